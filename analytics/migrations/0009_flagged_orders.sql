-- Risk dashboard (issue 7): the orders the fraud check held or declined, with who sent them and
-- to whom. The top-suspects panels group these; finding the few flagged orders of a range in
-- `orders` (sorted by company) means scanning every company's part of the range, about a
-- second per day of 10 M orders (bench/risk_dashboard.py), while this table holds only them.

-- An order's row at version 2 is the fraud check's decision (version 1 is `received`); its
-- status there is the outcome. A replayed row replaces itself (same key).
CREATE TABLE IF NOT EXISTS {db}.flagged_orders
(
    order_id       String,
    company_id     String,
    created_at     DateTime64(3, 'UTC'),
    outcome        LowCardinality(String),
    end_user_id    String,
    recipient_kind LowCardinality(String),
    recipient      String,
    card           String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(created_at)
ORDER BY (created_at, order_id);

-- Cards by token and masked number (BIN and last four), never the card number; phones and
-- e-mail addresses as the order's snapshot holds them.
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.flagged_orders_mv TO {db}.flagged_orders AS
SELECT order_id, company_id, created_at, status AS outcome, end_user_id, recipient_kind,
       multiIf(card_token != '', card_token,
               recipient_kind = 'phone', JSONExtractString(snapshot, 'recipient', 'phone'),
               JSONExtractString(snapshot, 'recipient', 'email')) AS recipient,
       if(card_last4 != '', concat(card_bin, '…', card_last4), '') AS card
FROM {db}.orders
WHERE version = 2 AND status IN ('in_review', 'declined');

-- Orders already stored before this migration.
INSERT INTO {db}.flagged_orders
SELECT order_id, company_id, created_at, status AS outcome, end_user_id, recipient_kind,
       multiIf(card_token != '', card_token,
               recipient_kind = 'phone', JSONExtractString(snapshot, 'recipient', 'phone'),
               JSONExtractString(snapshot, 'recipient', 'email')) AS recipient,
       if(card_last4 != '', concat(card_bin, '…', card_last4), '') AS card
FROM {db}.orders
WHERE version = 2 AND status IN ('in_review', 'declined');
