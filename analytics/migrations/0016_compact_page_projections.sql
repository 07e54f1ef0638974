-- One company's transactions pages by card last 4 and by an amount range in one small read
-- (issue 5: p95 < 50 ms on 10 M orders). Both are read by grouping each order's versions from a
-- projection that holds every page column (analytics/reports/card_orders.py, amount_orders.py).
--
-- Small granules in compact parts: a card's or an amount range's few rows sit in one granule of
-- each part (~19 parts on the bench's 10 M orders), and the read's cost is opening and
-- decompressing 19 columns of each such granule. At the table's 8,192 rows (and a file per
-- column: wide parts) a granule holds ~20x the rows needed. 1,024-row granules (marks: ~11,000
-- per projection on 10 M orders, a small index) and one file per part (compact: every column's
-- granule in one file, compressed per granule) took the median company's amount page from ~72
-- to ~45 ms of CPU and the largest company's card page from ~65 to ~45 (bench/README.md).
--
-- by_card_last4_compact replaces by_card_last4_rows (migration 0014: same columns and order,
-- coarse wide parts); ClickHouse would keep picking the coarse one (fewer marks), so it goes.
-- by_amount_compact is new: sorted by (company, amount), an amount range of one company reads
-- only its rows, where `orders` reads the company's every granule (the amount minmax index
-- skips none: every granule holds all amounts). ~430 MiB each on 10 M orders.
--
-- Existing parts get both by MATERIALIZE (a mutation that rewrites no column, only adds the
-- projections: ~2 minutes each on 10 M orders on 2 shared cores); parts written after the ADD
-- have them at once. Until a part has one, ClickHouse reads that part from `orders` in the
-- same query, so answers stay exact meanwhile. deduplicate_merge_projection_mode = 'rebuild'
-- (0014) rebuilds both when merges drop old versions.
--
-- WITH SETTINGS on a projection needs a ClickHouse with projection-level settings (ClickHouse
-- PR #90158, merged December 2025, so 25.12+): the embedded chdb (26.9) has them, and
-- compose.yaml's server image is 26.8 LTS for this migration.
ALTER TABLE {db}.orders ADD PROJECTION IF NOT EXISTS by_card_last4_compact
(
    SELECT company_id, card_last4, created_at, order_id, version, status, status_reason, provider,
           product_type, product_id, currency, amount_value, fee_value, sandbox, recipient_kind,
           card_bin, end_user_id, external_id, updated_at
    ORDER BY company_id, card_last4, created_at, order_id
) WITH SETTINGS (index_granularity = 1024, min_bytes_for_wide_part = 100000000000, min_rows_for_wide_part = 1000000000);
ALTER TABLE {db}.orders ADD PROJECTION IF NOT EXISTS by_amount_compact
(
    SELECT company_id, card_last4, created_at, order_id, version, status, status_reason, provider,
           product_type, product_id, currency, amount_value, fee_value, sandbox, recipient_kind,
           card_bin, end_user_id, external_id, updated_at
    ORDER BY company_id, amount_value, created_at, order_id
) WITH SETTINGS (index_granularity = 1024, min_bytes_for_wide_part = 100000000000, min_rows_for_wide_part = 1000000000);
ALTER TABLE {db}.orders MATERIALIZE PROJECTION by_card_last4_compact SETTINGS mutations_sync = 1;
ALTER TABLE {db}.orders MATERIALIZE PROJECTION by_amount_compact SETTINGS mutations_sync = 1;
ALTER TABLE {db}.orders DROP PROJECTION IF EXISTS by_card_last4_rows SETTINGS mutations_sync = 1;
