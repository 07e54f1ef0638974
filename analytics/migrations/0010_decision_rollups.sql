-- Risk dashboard and rule statistics (issue 7) over the decisions table, as the reports' daily
-- rollups (0007) are over orders: recomputed per dirty day from `decisions FINAL`, read for
-- the clean whole hours of a range (analytics/rollups/hours.py), the rest read live. Hour
-- buckets inside a day: a range ending now still reads all but its edge hours from here.

-- The decisions as `decisions` holds them (same key, so FINAL keeps the same rows), sorted by
-- time, without the features: a materialized view writes every inserted row within the insert,
-- so they are there before the sink marks their days. The rollups are computed from it, and the
-- live edges of a read over every company come from it: an hour of every company is a few
-- granules here, hundreds in `decisions`, whose granules are per company (bench/risk_dashboard.py).
CREATE TABLE IF NOT EXISTS {db}.decisions_by_time
(
    order_id     String,
    company_id   String,
    at           DateTime64(3, 'UTC'),
    outcome      LowCardinality(String),
    score        Float64,
    fired_rules  Array(String),
    shadow_rules Array(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, company_id, order_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.decisions_by_time_mv TO {db}.decisions_by_time AS
SELECT order_id, company_id, at, outcome, score, fired_rules, shadow_rules
FROM {db}.decisions;

INSERT INTO {db}.decisions_by_time
SELECT order_id, company_id, at, outcome, score, fired_rules, shadow_rules
FROM {db}.decisions;

-- Decisions per company, hour, outcome and score bucket: what the outcome, score and fraud
-- rate panels and the rule statistics' total count.
CREATE TABLE IF NOT EXISTS {db}.decisions_hourly
(
    day           Date,
    computed_from DateTime64(6, 'UTC'),
    company_id    String,
    hour          DateTime('UTC'),
    outcome       LowCardinality(String),
    -- 0-19: the score panel's buckets of width 0.05 (a score of 1 in 19); 255: no score (< 0)
    score_bucket  UInt8,
    decisions     UInt64,
    -- Every company's hours (the dashboard without a company filter): a sixtieth of the rows.
    PROJECTION by_hour
    (
        SELECT day, computed_from, hour, outcome, score_bucket, sum(decisions)
        GROUP BY day, computed_from, hour, outcome, score_bucket
    ),
    -- Per company without score buckets (the fraud rate panel): a sixth of the rows; and for
    -- the whole days of a range, without hours: a hundredth.
    PROJECTION by_company
    (
        SELECT day, computed_from, company_id, hour, outcome, sum(decisions)
        GROUP BY day, computed_from, company_id, hour, outcome
    ),
    PROJECTION by_company_day
    (
        SELECT day, computed_from, company_id, outcome, sum(decisions)
        GROUP BY day, computed_from, company_id, outcome
    )
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, computed_from, company_id, hour, outcome, score_bucket)
-- A company's day is a few hundred rows (every company's ~35,000): small granules let a read
-- for one company skip the others' (8192-row granules read every company's day for one).
SETTINGS lightweight_mutation_projection_mode = 'rebuild', index_granularity = 256;

-- Rule hits per company, hour, rule (with its version: `name@version`) and kind (fired 1,
-- shadow 0): the alerts panel (versions summed) and the rule statistics (per version).
CREATE TABLE IF NOT EXISTS {db}.rule_hits_hourly
(
    day           Date,
    computed_from DateTime64(6, 'UTC'),
    company_id    String,
    hour          DateTime('UTC'),
    rule          String,
    fired         UInt8,
    hits          UInt64,
    PROJECTION by_hour
    (
        SELECT day, computed_from, hour, rule, fired, sum(hits)
        GROUP BY day, computed_from, hour, rule, fired
    )
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, computed_from, company_id, hour, rule, fired)
SETTINGS lightweight_mutation_projection_mode = 'rebuild', index_granularity = 256;

-- The top-suspects panels' scores: only the declined and held decisions (a twenty-fifth),
-- sorted by time, instead of a scan of every decision of the range for them. A replayed row
-- replaces itself (same key); the panels take max(score) per order either way.
CREATE TABLE IF NOT EXISTS {db}.flagged_decisions
(
    order_id   String,
    company_id String,
    at         DateTime64(3, 'UTC'),
    outcome    LowCardinality(String),
    score      Float64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, order_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.flagged_decisions_mv TO {db}.flagged_decisions AS
SELECT order_id, company_id, at, outcome, score
FROM {db}.decisions
WHERE outcome IN ('declined', 'in_review');

-- Decisions already stored before this migration (the decision rollups are built by the
-- refresher's first cycle, or `quadra analytics rollup`: every day without one).
INSERT INTO {db}.flagged_decisions
SELECT order_id, company_id, at, outcome, score
FROM {db}.decisions
WHERE outcome IN ('declined', 'in_review');
