-- The risk dashboard's top suspicious end users and recipients (issue 7) from an hourly rollup,
-- as its decision panels read decisions_hourly (0010): per dirty day recomputed from
-- `flagged_orders FINAL` with each order's score from `flagged_decisions FINAL`, read for the
-- clean whole hours of a range, the edges live (analytics/dashboards/suspect_panels.py). It is
-- built like the others (the refresher's first cycle, or `quadra analytics rollup`: every day
-- without one); until then the panels read every day live, as before.

-- Flagged orders per company, hour, end user and recipient: their counts by outcome and the
-- highest score of their decisions (NULL: none stored). About one row per flagged order. The
-- hashes of the two top lists' groups (end user and company; recipient, kind and card) let a
-- list find its candidates without reading or grouping the strings.
CREATE TABLE IF NOT EXISTS {db}.suspects_hourly
(
    day            Date,
    computed_from  DateTime64(6, 'UTC'),
    company_id     String,
    hour           DateTime('UTC'),
    end_user_id    String,
    recipient_kind LowCardinality(String),
    recipient      String,
    card           String,
    end_user_hash  UInt64,
    recipient_hash UInt64,
    declined       UInt64,
    in_review      UInt64,
    max_score      Nullable(Float64)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, computed_from, company_id, hour, end_user_id, recipient_kind, recipient, card)
-- A company's day is a few dozen rows: small granules let a read for one company skip the others'.
SETTINGS index_granularity = 256;
