-- Reports (issue 5): what staff filter transactions by, the ledger's entries for statements,
-- fraud decisions, and retention. Sort keys stay (company_id, time, id): every report is per
-- company or per time range; skip indexes cover the needle-in-haystack filters.

-- Orders: product type and provider are columns (filters and aggregates), not parsed text.
ALTER TABLE {db}.orders ADD COLUMN IF NOT EXISTS product_type LowCardinality(String) DEFAULT '' AFTER product_id;
ALTER TABLE {db}.orders ADD COLUMN IF NOT EXISTS provider LowCardinality(String) DEFAULT '' AFTER product_type;
ALTER TABLE {db}.orders ADD INDEX IF NOT EXISTS end_user_idx end_user_id TYPE bloom_filter(0.01) GRANULARITY 4;
ALTER TABLE {db}.orders ADD INDEX IF NOT EXISTS external_id_idx external_id TYPE bloom_filter(0.01) GRANULARITY 4;
ALTER TABLE {db}.orders ADD INDEX IF NOT EXISTS card_last4_idx card_last4 TYPE set(10000) GRANULARITY 4;
ALTER TABLE {db}.orders ADD INDEX IF NOT EXISTS amount_idx amount_value TYPE minmax GRANULARITY 4;
ALTER TABLE {db}.orders ADD INDEX IF NOT EXISTS order_id_idx order_id TYPE bloom_filter(0.01) GRANULARITY 4;

-- The books: one row per ledger entry (entry ids are deterministic, so a replay replaces
-- itself). `available_after`/`reserved_after` are the balance right after the entry, which
-- makes a statement's opening and closing balance one lookup each.
CREATE TABLE IF NOT EXISTS {db}.ledger_entries
(
    entry_id        String,
    company_id      String,
    currency        LowCardinality(String),
    kind            LowCardinality(String),
    amount          Int64,
    source          LowCardinality(String),
    target          LowCardinality(String),
    at              DateTime64(3, 'UTC'),
    order_id        String,
    command_id      String,
    reason          String,
    actor           String,
    available_after Int64,
    reserved_after  Int64,
    INDEX order_id_idx order_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (company_id, currency, at, entry_id);

-- Fraud decisions per order: features, score and the rules that fired (filled by issue 6).
CREATE TABLE IF NOT EXISTS {db}.decisions
(
    order_id     String,
    company_id   String,
    at           DateTime64(3, 'UTC'),
    outcome      LowCardinality(String),
    score        Float64,
    fired_rules  Array(String),
    shadow_rules Array(String),
    model        LowCardinality(String),
    features     String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (company_id, at, order_id);

-- Request logs: searched by correlation id and status; kept 13 months.
ALTER TABLE {db}.request_log ADD INDEX IF NOT EXISTS correlation_idx correlation_id TYPE bloom_filter(0.01) GRANULARITY 4;
ALTER TABLE {db}.request_log ADD INDEX IF NOT EXISTS status_idx status TYPE minmax GRANULARITY 4;
ALTER TABLE {db}.request_log ADD INDEX IF NOT EXISTS path_idx path TYPE tokenbf_v1(8192, 3, 0) GRANULARITY 4;
ALTER TABLE {db}.request_log MODIFY TTL toDateTime(at) + INTERVAL 13 MONTH;
ALTER TABLE {db}.webhook_attempts MODIFY TTL toDateTime(at) + INTERVAL 13 MONTH;
