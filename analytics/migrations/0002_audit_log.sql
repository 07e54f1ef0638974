-- The hash-chained audit log: one row per (chain, seq). A replayed record is identical and
-- replaces itself; `quadra audit verify` reads it back with FINAL and re-checks every hash.
-- `at` keeps microseconds because the hash covers them.
CREATE TABLE IF NOT EXISTS {db}.audit_log
(
    chain      UInt32,
    seq        UInt64,
    hash       String,
    prev_hash  String,
    event_id   String,
    at         DateTime64(6, 'UTC'),
    actor_kind LowCardinality(String),
    actor_id   String,
    company_id String,
    action     LowCardinality(String),
    target     String,
    request_id String,
    ip         String,
    details    String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (chain, seq);
