-- Back-office pages under 300 ms on 10 M orders (issue 7): narrow, exact sources for the review
-- queue and the all-companies request log (bench/back_office_queries.py).

-- The review queue: every order ever held for review, each version from the hold on. The
-- queue (orders whose latest state is in_review) is `held_orders FINAL WHERE status =
-- 'in_review'`, tens of thousands of rows instead of every order. Exact because a row is copied
-- when it says in_review or its history (the order snapshot, which holds every transition)
-- does: once an order was held, each later version says so, so the latest version of every
-- order here is here too. `position` only spares the JSON parse of the rows that cannot match.
CREATE TABLE IF NOT EXISTS {db}.held_orders
(
    order_id      String,
    company_id    String,
    created_at    DateTime64(3, 'UTC'),
    amount_value  Int64,
    currency      LowCardinality(String),
    product_id    String,
    end_user_id   String,
    external_id   String,
    status        LowCardinality(String),
    status_reason String,
    version       UInt32
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY (created_at, order_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.held_orders_mv TO {db}.held_orders AS
SELECT order_id, company_id, created_at, amount_value, currency, product_id, end_user_id, external_id,
       status, status_reason, version
FROM {db}.orders
WHERE status = 'in_review'
   OR (position(snapshot, 'in_review') > 0
       AND has(arrayMap(h -> JSONExtractString(h, 'status'), JSONExtractArrayRaw(snapshot, 'history')), 'in_review'));

-- Orders already stored before this migration (a replayed copy would be harmless too).
INSERT INTO {db}.held_orders
SELECT order_id, company_id, created_at, amount_value, currency, product_id, end_user_id, external_id,
       status, status_reason, version
FROM {db}.orders
WHERE status = 'in_review'
   OR (position(snapshot, 'in_review') > 0
       AND has(arrayMap(h -> JSONExtractString(h, 'status'), JSONExtractArrayRaw(snapshot, 'history')), 'in_review'));

-- The request log without a company: `request_log` is sorted by company, so the newest rows of
-- all companies are the tail of every company's range (2-3 s on 14.6 M rows), and even a page's
-- rows fetched by key are a granule per company (~120 granules, 200-450 ms). This copy is sorted
-- by time: a page is its first rows read in order, then FINAL over the narrow window they span
-- (analytics/reports/request_log.py). A copy by insert is exact for a ReplacingMergeTree: every
-- row and every replayed row lands in both tables, under the same identity (company, at,
-- request id). Same columns, codecs, indexes and retention as `request_log`.
CREATE TABLE IF NOT EXISTS {db}.request_log_by_time
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
    error_type      LowCardinality(String),
    INDEX correlation_idx correlation_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX status_idx status TYPE minmax GRANULARITY 4,
    INDEX path_idx path TYPE tokenbf_v1(8192, 3, 0) GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, request_id, company_id)
TTL toDateTime(at) + INTERVAL 13 MONTH;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.request_log_by_time_mv TO {db}.request_log_by_time AS
SELECT request_id, direction, at, company_id, method, path, query, status, duration_ms, client_ip,
       correlation_id, idempotency_key, request_headers, request_body, response_body, error_type
FROM {db}.request_log;

-- Rows already stored before this migration (a replayed copy would be harmless too).
INSERT INTO {db}.request_log_by_time
SELECT request_id, direction, at, company_id, method, path, query, status, duration_ms, client_ip,
       correlation_id, idempotency_key, request_headers, request_body, response_body, error_type
FROM {db}.request_log;
