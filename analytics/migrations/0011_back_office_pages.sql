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
-- all companies are the tail of every company's range (2-3 s on 14.6 M rows). This copy of the
-- key and the filterable columns is sorted by time: a page's keys are its first rows read in
-- order, then the page's rows are read from `request_log` by key (analytics/reports/
-- request_log.py). Same identity (company, at, request id) and engine as `request_log`, so a
-- replayed row replaces itself in both; same retention.
CREATE TABLE IF NOT EXISTS {db}.request_log_by_time
(
    at             DateTime64(3, 'UTC'),
    request_id     String,
    company_id     String,
    direction      LowCardinality(String),
    path           String,
    status         UInt16,
    correlation_id String,
    INDEX correlation_idx correlation_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX path_idx path TYPE tokenbf_v1(8192, 3, 0) GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, request_id, company_id)
TTL toDateTime(at) + INTERVAL 13 MONTH;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.request_log_by_time_mv TO {db}.request_log_by_time AS
SELECT at, request_id, company_id, direction, path, status, correlation_id FROM {db}.request_log;

INSERT INTO {db}.request_log_by_time
SELECT at, request_id, company_id, direction, path, status, correlation_id FROM {db}.request_log;
