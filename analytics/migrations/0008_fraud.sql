-- Fraud (issue 6): each decision's rule points, reasons and top features, and the fraud
-- reports partners receive (`GET /v1/fraud-reports`, `fraud.suspected`).
ALTER TABLE {db}.decisions ADD COLUMN IF NOT EXISTS points Int32 DEFAULT 0 AFTER score;
ALTER TABLE {db}.decisions ADD COLUMN IF NOT EXISTS reasons Array(String) AFTER shadow_rules;
ALTER TABLE {db}.decisions ADD COLUMN IF NOT EXISTS top_features Array(String) AFTER model;
-- Rule hit statistics count fired and shadow rules over time, per company.
ALTER TABLE {db}.decisions ADD INDEX IF NOT EXISTS order_idx order_id TYPE bloom_filter(0.01) GRANULARITY 4;

-- One row per report; a replayed message replaces its row (same report_id).
CREATE TABLE IF NOT EXISTS {db}.fraud_reports
(
    report_id    String,
    company_id   String,
    order_id     String,
    external_id  Nullable(String),
    end_user_id  String,
    reason       String,
    blocked      UInt8,
    reported_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(reported_at)
ORDER BY (company_id, reported_at, report_id);

-- Cases are their events (opened, assigned, note, resolved); a case's view aggregates them.
CREATE TABLE IF NOT EXISTS {db}.fraud_case_events
(
    event_id    String,
    case_id     String,
    kind        LowCardinality(String),
    at          DateTime64(3, 'UTC'),
    actor       String,
    company_id  String,
    order_id    String,
    subject     String,
    text        String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (case_id, at, event_id);
