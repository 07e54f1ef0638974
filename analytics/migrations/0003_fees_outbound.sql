-- Fees: what the partner pays on top of each payout, in minor units of the order's currency.
-- Rows written before fees existed read as 0, which is what those orders were charged.
-- (Outbound provider calls need no schema change: they land in request_log with
-- direction = 'outbound' and the order id as correlation_id.)
ALTER TABLE {db}.orders ADD COLUMN IF NOT EXISTS fee_value Int64 DEFAULT 0 AFTER amount_value;
