-- Mass payouts (issue 8, POST /v1/batches; api/batch_service.py says where a batch lives).
-- A batch is its header (`batches`), its rejected lines (`batch_rejected_lines`) and the orders
-- its good lines became: those carry the batch id and line number, so progress and per-line
-- results are reads over the orders' latest state.

-- Orders written before batches belong to none: '' and 0. (Before the snapshot, which stays
-- the last column.)
ALTER TABLE {db}.orders ADD COLUMN IF NOT EXISTS batch_id String DEFAULT '' AFTER version;
ALTER TABLE {db}.orders ADD COLUMN IF NOT EXISTS batch_line UInt32 DEFAULT 0 AFTER batch_id;

-- The header, from the compacted `batches` topic: version 1 when it is written (before its
-- lines are submitted), 2 once every good line has been submitted. Keyed by (company, batch):
-- a retried POST writes the same batch id again and replaces it.
CREATE TABLE IF NOT EXISTS {db}.batches
(
    batch_id        String,
    company_id      String,
    idempotency_key String,
    body_hash       String,
    format          LowCardinality(String),
    reference       String,
    sandbox         UInt8,
    request_id      String,
    created_at      DateTime64(3, 'UTC'),
    submitted_at    Nullable(DateTime64(3, 'UTC')),
    total_lines     UInt32,
    accepted_lines  UInt32,
    rejected_lines  UInt32,
    version         UInt32
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (company_id, batch_id);

-- Lines refused before any order existed (schema, catalog terms, CSV faults), with their
-- errors as JSON ([{"pointer", "code", "message"}], never a card number).
CREATE TABLE IF NOT EXISTS {db}.batch_rejected_lines
(
    batch_id    String,
    company_id  String,
    line        UInt32,
    external_id String,
    errors      String CODEC(ZSTD(3)),
    at          DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (batch_id, line);

-- A batch's orders in line order: a copy of the batch orders' versions, sorted by (batch,
-- line), so a batch's progress and its lines read a few granules instead of its company's
-- orders since the batch began. A copy by insert is exact for a ReplacingMergeTree (every
-- version lands in both tables; FINAL keeps each order's highest), as for orders_by_time. One
-- order per line: its idempotency key is `batch:<batch id>:<line>`.
CREATE TABLE IF NOT EXISTS {db}.batch_orders
(
    batch_id      String,
    batch_line    UInt32,
    order_id      String,
    company_id    String,
    external_id   String,
    amount_value  Int64,
    fee_value     Int64,
    currency      LowCardinality(String),
    status        LowCardinality(String),
    status_reason String,
    created_at    DateTime64(3, 'UTC'),
    updated_at    DateTime64(3, 'UTC'),
    version       UInt32
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (batch_id, batch_line);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.batch_orders_mv TO {db}.batch_orders AS
SELECT batch_id, batch_line, order_id, company_id, external_id, amount_value, fee_value, currency,
       status, status_reason, created_at, updated_at, version
FROM {db}.orders
WHERE batch_id != '';
