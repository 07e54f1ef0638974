-- Fast transaction pages (issue 5). A page is found in two steps (analytics/reports/
-- page_window.py): candidates without FINAL (read in sort order, stops after a page), then
-- FINAL over the narrow window they span. Two layouts help the first step:

-- All-companies pages sort by time, which `orders` (company first) cannot read in order: a
-- copy of the report columns sorted by time. A copy by insert is exact for a
-- ReplacingMergeTree: every version and every replayed row lands in both tables, and FINAL
-- keeps the highest version of an order in each (the key (created_at, order_id) names one
-- order as (company_id, created_at, order_id) does, since created_at never changes).
CREATE TABLE IF NOT EXISTS {db}.orders_by_time
(
    order_id       String,
    company_id     String,
    product_id     String,
    product_type   LowCardinality(String),
    provider       LowCardinality(String),
    amount_value   Int64,
    fee_value      Int64,
    currency       LowCardinality(String),
    status         LowCardinality(String),
    status_reason  String,
    recipient_kind LowCardinality(String),
    card_bin       String,
    card_last4     String,
    end_user_id    String,
    external_id    String,
    sandbox        UInt8,
    created_at     DateTime64(3, 'UTC'),
    updated_at     DateTime64(3, 'UTC'),
    version        UInt32,
    INDEX end_user_idx end_user_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX external_id_idx external_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY (created_at, order_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.orders_by_time_mv TO {db}.orders_by_time AS
SELECT order_id, company_id, product_id, product_type, provider, amount_value, fee_value, currency,
       status, status_reason, recipient_kind, card_bin, card_last4, end_user_id, external_id,
       sandbox, created_at, updated_at, version
FROM {db}.orders;

-- Orders already stored before this migration (a replayed copy would be harmless too).
INSERT INTO {db}.orders_by_time
SELECT order_id, company_id, product_id, product_type, provider, amount_value, fee_value, currency,
       status, status_reason, recipient_kind, card_bin, card_last4, end_user_id, external_id,
       sandbox, created_at, updated_at, version
FROM {db}.orders;

-- A card's last 4 digits are in nearly every granule of a large company (10,000 values), so
-- no skip index helps; a projection sorted by (company, last 4) finds them in a few granules.
-- 'rebuild': merges that drop old versions rebuild the projection (required for Replacing).
ALTER TABLE {db}.orders MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE {db}.orders ADD PROJECTION IF NOT EXISTS by_card_last4
(
    SELECT company_id, card_last4, created_at, order_id, version, status, provider, product_type,
           product_id, currency, amount_value, fee_value, sandbox
    ORDER BY company_id, card_last4, created_at, order_id
);
ALTER TABLE {db}.orders MATERIALIZE PROJECTION by_card_last4 SETTINGS mutations_sync = 1;
