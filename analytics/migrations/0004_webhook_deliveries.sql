-- Partner webhooks. Every attempt is one row of webhook_attempts (attempt 0: queued); the
-- delivery as it stands after its latest attempt is one row of webhook_deliveries (merged by
-- updated_at). Both keys are deterministic, so a replayed log message replaces itself.
CREATE TABLE IF NOT EXISTS {db}.webhook_attempts
(
    attempt_id      String,
    message_id      String,
    company_id      String,
    event_type      LowCardinality(String),
    round           String,
    attempt         UInt16,
    status          LowCardinality(String),
    at              DateTime64(3, 'UTC'),
    url             String,
    response_status UInt16,
    duration_ms     UInt32,
    error           String,
    next_attempt_at Nullable(DateTime64(3, 'UTC')),
    occurred_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (company_id, message_id, attempt_id);

-- `occurred_at` (when the event happened) never changes for a message, so its row stays in
-- one partition and sort position; staff list and replay by it.
CREATE TABLE IF NOT EXISTS {db}.webhook_deliveries
(
    message_id           String,
    company_id           String,
    event_type           LowCardinality(String),
    lane                 String,
    position             Int64,
    occurred_at          DateTime64(3, 'UTC'),
    status               LowCardinality(String),
    attempts             UInt16,
    round                String,
    enqueued_at          DateTime64(3, 'UTC'),
    last_attempt_at      Nullable(DateTime64(3, 'UTC')),
    last_response_status UInt16,
    last_error           String,
    next_attempt_at      Nullable(DateTime64(3, 'UTC')),
    url                  String,
    body                 String CODEC(ZSTD(3)),
    updated_at           DateTime64(6, 'UTC'),
    INDEX message_id_idx message_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (company_id, occurred_at, message_id);
