"""Acceptance 3 (issue 8) against the shared `quadra up`: a 10,000-line CSV batch with exactly 2%
bad lines (mixed faults) completes with exactly those lines rejected and the rest paid, and the
company's balance moves by exactly the paid total plus fees, which is also the sum over its
orders. Then a replay pays nothing more, and the results CSV has a row per line."""

from __future__ import annotations

import csv
import io
import os
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.cards import with_luhn_digit
from tests.e2e.quadra_process import QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

# Acceptance 3 is 10,000 lines. The whole order pipeline runs in the one `quadra up` process:
# on the shared 2-core development machine it admitted ~100 lines/s and paid 13-27 orders/s, so
# 10,000 lines took 7-13 minutes there (docs/mass-payouts.md, "Throughput") - more than half the
# suite's budget. `make test` therefore runs the same scenario at 1,000 lines (20 bad ones);
# the acceptance run sets the full size (a multiple of 50):
#     QUADRA_BATCH_E2E_LINES=10000 uv run pytest -s tests/e2e/test_batches.py
LINES = int(os.environ.get("QUADRA_BATCH_E2E_LINES", "1000"))
BAD_EVERY = 50  # every 50th line is bad: exactly 2 %
HEADER = "external_id,product_id,amount,currency,card_number,phone,email,end_user_id"


def _good(run: str, n: int, base: int) -> str:
    """Distinct end users and recipients (the default rules hold bursts per end user, per
    card), amounts inside the products' bounds; every fifth line a mobile top-up."""
    amount = 100 + (n * 37) % 4_900  # 1.00 … 49.99 EUR
    major = f"{amount // 100}.{amount % 100:02d}".removesuffix(".00")
    if n % 5 == 0:
        return f"{run}-{n},topup-de,{max(5, amount // 100)},EUR,,+49151{base % 1000:03d}{n:05d},,{run}-u{n}"
    card = with_luhn_digit(f"411111{base % 10**4:04d}{n:05d}")
    return f"{run}-{n},card-transfer-eur,{major},EUR,{card},,,{run}-u{n}"


# One kind of fault each, in turn: (name, line maker).
FAULTS: list[tuple[str, Callable[[str, int], str]]] = [
    ("bad Luhn", lambda run, n: f"{run}-{n},card-transfer-eur,10,EUR,4111111111111112,,,{run}-u{n}"),
    ("bad phone", lambda run, n: f"{run}-{n},topup-de,10,EUR,,0151-CALL-ME,,{run}-u{n}"),
    ("amount above the product's maximum", lambda run, n: f"{run}-{n},topup-de,500,EUR,,+4915112345678,,{run}-u{n}"),
    ("unknown product", lambda run, n: f"{run}-{n},no-such-product,10,EUR,,+4915112345678,,{run}-u{n}"),
    ("no end user", lambda run, n: f"{run}-{n},topup-de,10,EUR,,+4915112345678,,"),
    ("too many decimals", lambda run, n: f"{run}-{n},card-transfer-eur,10.001,EUR,{with_luhn_digit('41111122223333' + str(n % 10))},,,{run}-u{n}"),
]


def batch_csv(run: str, lines: int = LINES) -> tuple[str, set[int]]:
    """The batch's CSV and its bad lines' numbers."""
    base = random.randrange(10**6)
    rows, bad = [HEADER], set()
    for n in range(1, lines + 1):
        if n % BAD_EVERY == 0:
            bad.add(n)
            rows.append(FAULTS[(n // BAD_EVERY) % len(FAULTS)][1](run, n))
        else:
            rows.append(_good(run, n, base))
    return "\r\n".join(rows) + "\r\n", bad


def _available_eur(client: httpx.Client) -> int:
    balances = client.get("/v1/balance").json()["balances"]
    return next(b["available"] for b in balances if b["currency"] == "EUR")


def _wait_completed(client: httpx.Client, batch_id: str, timeout: float) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        batch = client.get(f"/v1/batches/{batch_id}").json()
        if batch["status"] == "completed" or time.monotonic() > deadline:
            return batch
        time.sleep(0.5)


def _all_lines(client: httpx.Client, batch_id: str) -> list[dict]:  # type: ignore[type-arg]
    lines, cursor = [], None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/batches/{batch_id}/lines", params=params).json()
        lines += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return lines


def _orders_since(client: httpx.Client, since: datetime) -> list[dict]:  # type: ignore[type-arg]
    orders, cursor = [], None
    while True:
        params = {"from": since.isoformat(), "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/orders", params=params).json()
        orders += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return orders


@pytest.mark.timeout(3600)
def test_a_csv_batch_with_2_percent_bad_lines(partner_stack: QuadraProcess) -> None:
    run = f"bt{uuid.uuid4().hex[:8]}"
    text, bad = batch_csv(run)
    assert LINES % BAD_EVERY == 0 and len(bad) == LINES * 2 // 100
    headers = {"Authorization": f"Bearer {partner_stack.key}"}
    with httpx.Client(base_url=partner_stack.url, headers=headers, timeout=1800) as client:
        catalog = {p["id"]: p for p in client.get("/v1/catalog").json()["data"]}
        assert {"card-transfer-eur", "topup-de"} <= set(catalog)
        before = _available_eur(client)
        since = datetime.now(UTC) - timedelta(seconds=5)

        started = time.monotonic()
        r = client.post("/v1/batches", content=text.encode(), params={"reference": run},
                        headers={"Idempotency-Key": run, "Content-Type": "text/csv"})  # fmt: skip
        admitted = time.monotonic() - started
        assert r.status_code == 202, r.text[:2000]
        batch = r.json()
        assert (batch["total_lines"], batch["accepted_lines"], batch["rejected_lines"]) == (LINES, LINES - len(bad), len(bad))

        batch = _wait_completed(client, batch["id"], timeout=3000)
        settled = time.monotonic() - started
        print(f"\n{LINES}-line batch: admitted in {admitted:.1f} s, completed in {settled:.1f} s")
        assert batch["status"] == "completed", batch
        assert batch["counts"]["completed"] == LINES - len(bad), batch["counts"]
        [eur] = batch["totals"]
        assert eur["currency"] == "EUR"

        lines = _all_lines(client, batch["id"])
        assert [x["line"] for x in lines] == list(range(1, LINES + 1))
        rejected = {x["line"] for x in lines if x["status"] == "rejected_line"}
        assert rejected == bad  # exactly those lines, by number
        assert all(x["errors"] and x["order_id"] is None for x in lines if x["line"] in bad)
        assert {x["status"] for x in lines if x["line"] not in bad} == {"completed"}
        assert "4111111111111112" not in str(lines)  # refused card numbers are never echoed
        paid = sum(x["amount"]["value"] for x in lines if x["status"] == "completed")
        assert paid == eur["paid"]

        # The sum over its orders, as GET /v1/orders lists them (this run's external ids).
        orders = [o for o in _orders_since(client, since) if (o["external_id"] or "").startswith(run + "-")]
        assert sorted(o["id"] for o in orders) == sorted(x["order_id"] for x in lines if x["order_id"])
        assert all(o["status"] == "completed" for o in orders)
        assert sum(o["amount"]["value"] for o in orders) == eur["paid"]
        assert sum(o["fee"]["value"] for o in orders) == eur["fees"] > 0

        # The balance moved by exactly paid + fees (the ledger may publish the last captures a
        # moment after the orders' events: wait for it to settle).
        deadline = time.monotonic() + 30
        while (moved := before - _available_eur(client)) != eur["paid"] + eur["fees"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert moved == eur["paid"] + eur["fees"], (moved, eur)

        # A replay (a client that never saw the answer) pays nothing more.
        again = client.post("/v1/batches", content=text.encode(), params={"reference": run},
                            headers={"Idempotency-Key": run, "Content-Type": "text/csv"})  # fmt: skip
        assert again.status_code == 200 and again.json()["id"] == batch["id"]
        results = client.get(f"/v1/batches/{batch['id']}/results.csv")
        rows = list(csv.reader(io.StringIO(results.text)))
        assert len(rows) == LINES + 1 and {int(r[0]) for r in rows[1:] if r[2] == "rejected_line"} == bad
        time.sleep(1)
        assert before - _available_eur(client) == eur["paid"] + eur["fees"]
