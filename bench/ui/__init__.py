"""`python -m bench.ui_pages`: issue 7, acceptance 2: server time of every back-office page on
the 10-million-order data.

It takes a reports_bench data dir (`python -m bench.reports_bench --dir D` makes one: orders,
events, ledger), adds what the back office also reads — one decision per order with fraud
reports and cases (bench.risk_dashboard_data), an inbound request and a provider call per
order, a webhook delivery and attempt per order, 200,000 audit events — then starts the real
`quadra up` on it (its own local Kafka, the embedded ClickHouse at D), signs in as an admin
made with `quadra admin create-user` and fetches every page with typical filters. Each page's
`Server-Timing: app;dur=` (the handler's own time, queries and template included) and the
client's wall time are reported as p50/p95 over --reps, with the ratio to a baseline measured
in the same run: the sign-in form (a template and no query).
"""
