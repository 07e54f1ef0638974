"""Soak (issue 10): the whole product under mixed load with random faults, then verified.

    python -m bench.soak --minutes 30          # the target: three clean runs in a row
    python -m bench.soak --minutes 3           # a quick look

One `quadra up` (API, worker, sink, embedded ClickHouse) and one extra `quadra worker` on a
broker of the soak's own, the provider sandbox as its own process (bench/soak/stack.py says
why), several companies each with a webhook endpoint at a receiver inside the soak. Partners
send card transfers and mobile top-ups through the REST API at a steady rate, magic values
included, retrying 503s and connection errors with the same Idempotency-Key (load.py); staff
top up balances now and then. Faults on a seeded schedule (schedule.py, run by faults.py):
SIGKILL of the extra worker or of `quadra up` then a restart, the broker stopped for 10-30 s,
providers down, the webhook receiver answering 500. At the end (checks.py): every accepted
order terminal (orders held for review are reviewed through the staff API), one order per key,
magic values ended as documented, the sandbox paid each completed order exactly once and
nothing else; then `quadra up` is stopped with SIGTERM and `quadra ledger verify --clickhouse`
and `quadra audit verify` must pass and the API's outbox spool be empty. A summary table
(report.py); exit code 0 only when everything is clean; the work dir is kept otherwise.
"""
