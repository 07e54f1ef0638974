-- orders_daily's groups (0007) also by amount band (analytics/rollups/amount_bands.py): the
-- totals and aggregates of an amount range (issue 7: the back office's largest company, amounts
-- 100.00-200.00 over 30 days, summed ~130,000 orders with FINAL on every page: ~200 ms of the
-- page's ~290). Whole bands of clean days come from here, the pieces of bands at the range's
-- ends and the other days from single orders (analytics/reports/order_sums.py).
--
-- Computed and kept exact as every rollup (analytics/rollups/refresh.py), on its own: rollup
-- name `order_amounts`, dirtied by the orders' marks. Empty until the refresher's first cycle
-- computes every day (build_missing); until a day is computed it is read live, as before.
-- Company then band after the computation: one company's range is a few adjacent rows per day.
CREATE TABLE IF NOT EXISTS {db}.order_amounts_daily
(
    day           Date,
    computed_from DateTime64(6, 'UTC'),
    company_id    String,
    amount_band   Int64,
    currency      LowCardinality(String),
    product_type  LowCardinality(String),
    product_id    String,
    provider      LowCardinality(String),
    status        LowCardinality(String),
    sandbox       UInt8,
    orders        UInt64,
    amount        Int64,
    fee           Int64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, computed_from, company_id, amount_band, currency, product_type, product_id, provider, status, sandbox);
