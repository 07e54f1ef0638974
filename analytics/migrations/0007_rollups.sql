-- Daily rollups behind the staff aggregates, totals and statements (issue 5), never stale:
-- see analytics/rollups/refresh.py for why they stay exact. A recompute of a day writes all of
-- its groups anew under one `computed_from` (ClickHouse's now64(6) when it started); readers
-- take a day's rows only at the day's latest computed_from in rollup_days, and only while no
-- mark in rollup_dirty is as new. Superseded rows are deleted by later recomputes.

-- Orders (latest state, read with FINAL) per UTC day of created_at and every dimension a
-- report can filter or group by without touching single orders. Day first: readers take
-- whole days at one computed_from (the key prefix), and the slowest report, every company
-- over 90 days, reads days; one company's days are a few hundred rows each either way.
CREATE TABLE IF NOT EXISTS {db}.orders_daily
(
    day           Date,
    computed_from DateTime64(6, 'UTC'),
    company_id    String,
    currency      LowCardinality(String),
    product_type  LowCardinality(String),
    product_id    String,
    provider      LowCardinality(String),
    status        LowCardinality(String),
    sandbox       UInt8,
    orders        UInt64,
    amount        Int64,
    fee           Int64,
    -- Day x company x currency, what daily aggregates by company and unfiltered totals read
    -- (a sixteenth of the rows); exact for any condition on its key columns.
    PROJECTION by_company
    (
        SELECT day, computed_from, company_id, currency, sum(orders), sum(amount), sum(fee)
        GROUP BY day, computed_from, company_id, currency
    )
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, computed_from, company_id, currency, product_type, product_id, provider, status, sandbox)
-- Superseded rows go by lightweight DELETE, which refuses tables with projections unless told
-- to rebuild them.
SETTINGS lightweight_mutation_projection_mode = 'rebuild';

-- Ledger entries (each once, read with FINAL) per UTC day of `at`, company, currency, kind:
-- what a statement's movements sum (always for one company and currency: they come first).
CREATE TABLE IF NOT EXISTS {db}.ledger_daily
(
    day             Date,
    computed_from   DateTime64(6, 'UTC'),
    company_id      String,
    currency        LowCardinality(String),
    kind            LowCardinality(String),
    entries         UInt64,
    amount          Int64,
    available_delta Int64,
    reserved_delta  Int64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (company_id, currency, day, computed_from, kind);

-- The computations of each day, per rollup ('orders', 'ledger'). Readers only need the
-- newest per day (max(computed_from)), so merges may drop the older rows.
CREATE TABLE IF NOT EXISTS {db}.rollup_days
(
    rollup_name   LowCardinality(String),
    day           Date,
    computed_from DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_from)
ORDER BY (rollup_name, day);

-- Days that received rows: the sink marks each day of a batch after the batch's insert is
-- acknowledged and before it commits its offsets. marked_at is ClickHouse's clock, the same
-- clock as computed_from. Only the newest mark per day matters (max(marked_at)).
CREATE TABLE IF NOT EXISTS {db}.rollup_dirty
(
    rollup_name LowCardinality(String),
    day         Date,
    marked_at   DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(marked_at)
ORDER BY (rollup_name, day);
