-- The risk dashboard's every-company reads of whole days (issue 7, acceptance 2: the 30-day
-- dashboard): the hourly decision rollups (0010) summed over companies and hours, per day and
-- computation. A 30-day range of every company read ~1,000 rows here instead of ~45,000 from
-- decisions_hourly's projections, whose planning alone (index analysis of four layouts of
-- 256-row granules) cost more than reading this table (bench/README.md, risk_dashboard).
--
-- Exact by construction: the refresher writes a day's totals from its own hourly rows of the
-- same computation, with the same computed_from, before it records the computation in
-- rollup_days (analytics/rollups/refresh.py), and readers take both by (day, computed_from);
-- the prune deletes superseded computations from both. The per-company reads keep the hourly
-- tables (a company's day is a few hundred rows there).

CREATE TABLE IF NOT EXISTS {db}.decisions_daily_totals
(
    day           Date,
    computed_from DateTime64(6, 'UTC'),
    outcome       LowCardinality(String),
    score_bucket  UInt8,
    decisions     UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, computed_from, outcome, score_bucket);

CREATE TABLE IF NOT EXISTS {db}.rule_hits_daily_totals
(
    day           Date,
    computed_from DateTime64(6, 'UTC'),
    rule          String,
    fired         UInt8,
    hits          UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, computed_from, rule, fired);

-- Every computation already stored (superseded ones not yet pruned too: readers never take
-- them, the next prune of their day deletes them).
INSERT INTO {db}.decisions_daily_totals
SELECT day, computed_from, outcome, score_bucket, sum(decisions)
FROM {db}.decisions_hourly
GROUP BY day, computed_from, outcome, score_bucket;

INSERT INTO {db}.rule_hits_daily_totals
SELECT day, computed_from, rule, fired, sum(hits)
FROM {db}.rule_hits_hourly
GROUP BY day, computed_from, rule, fired;
