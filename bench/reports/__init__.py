"""reports_bench: staff report latency over 10 million orders in the embedded ClickHouse.

    .venv/bin/python -m bench.reports_bench (or -m bench.reports) [--orders 10000000] [--dir DIR] [--reuse]
        [--reps 30] [--investigate] [--stand-ins] [--only TEXT,…] [--json PATH]

It generates orders (with older duplicate versions, so FINAL matters), their events and the
ledger entries (daily top-ups per company and currency; reserve, capture and fee, or reserve
and release, per order; consistent running balances) server-side with
`INSERT … SELECT … FROM numbers(…)` into a fresh data dir, then times the report functions
of `analytics/reports/` (or, with `--stand-ins` or when they are missing, equivalent SQL in
`queries.py`)
against two baselines measured in the same run: `SELECT count() FROM orders` (what any query
costs: parsing, the engine, the client) and a full-scan aggregate of `orders` without FINAL
(what reading the whole table costs). Targets (issue 5): transactions page p95 < 50 ms, daily
aggregates by company over 90 days < 200 ms, a statement of one company and month < 200 ms.

`--investigate` then prints the index use (`EXPLAIN indexes = 1`), times bench-only SQL
experiments (hand-written PREWHERE, a daily rollup) and re-times the queries after
`OPTIMIZE TABLE … FINAL`. (`do_not_merge_across_partitions_select_final` is no longer an
experiment: the report functions pass it with every FINAL read.)
Without `--investigate` nothing is changed in a reused data dir but the daily rollups: built,
as the refresher would, for every day that has none (all of them after generation), and the
latest day marked dirty, as traffic keeps it, so each timed aggregate and statement reads the
rollups plus one live day. Unless `--skip-live`, the FINAL-only variants (what the reports did
before the rollups) are timed too, as lines ending in LIVE, and every rollup answer is checked
against its live answer first. With `--investigate`, OPTIMIZE rewrites the data dir.

Modules: `generate` (the data), `rollups` (their build and the exactness check), `queries`
(what is timed), `measure` (timing, the scenario and the standard query set), `investigate` (EXPLAIN, experiments, settings, OPTIMIZE), `cli`
(options, data dir, the run). `bench/reports_bench.py` is a shim kept for the old command.
"""
