-- Orders, latest state: one row per order after merges; `version` counts transitions.
CREATE TABLE IF NOT EXISTS {db}.orders
(
    order_id        String,
    company_id      String,
    idempotency_key String,
    product_id      String,
    amount_value    Int64,
    currency        LowCardinality(String),
    status          LowCardinality(String),
    status_reason   String,
    recipient_kind  LowCardinality(String),
    card_bin        String,
    card_last4      String,
    card_token      String,
    end_user_id     String,
    external_id     String,
    sandbox         UInt8,
    created_at      DateTime64(3, 'UTC'),
    updated_at      DateTime64(3, 'UTC'),
    version         UInt32,
    snapshot        String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY (company_id, created_at, order_id);

-- Every status transition; event_id is deterministic, so a replayed event replaces itself.
CREATE TABLE IF NOT EXISTS {db}.order_events
(
    event_id     String,
    order_id     String,
    company_id   String,
    sequence     UInt32,
    status       LowCardinality(String),
    reason       String,
    at           DateTime64(3, 'UTC'),
    amount_value Int64,
    currency     LowCardinality(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (company_id, at, event_id);

-- Inbound (and later outbound) HTTP exchanges, sanitized before they reach Kafka.
CREATE TABLE IF NOT EXISTS {db}.request_log
(
    request_id      String,
    direction       LowCardinality(String),
    at              DateTime64(3, 'UTC'),
    company_id      String,
    method          LowCardinality(String),
    path            String,
    query           String,
    status          UInt16,
    duration_ms     UInt32,
    client_ip       String,
    correlation_id  String,
    idempotency_key String,
    request_headers String,
    request_body    String CODEC(ZSTD(3)),
    response_body   String CODEC(ZSTD(3)),
    error_type      LowCardinality(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (company_id, at, request_id);
