"""Both example applications run as their users would start them (`python -m …`), against the
shared `quadra up` (`partner_stack`): the store orders a reward and shows it completed; the
runner pays a CSV file as a batch and reports every line."""

from __future__ import annotations

import csv
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.quadra_process import REPO, QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]


def partner_env(stack: QuadraProcess, **extra: str) -> dict[str, str]:
    return {**os.environ, "QUADRA_API_URL": stack.url, "QUADRA_API_KEY": stack.key,
            "PYTHONPATH": str(REPO), **extra}  # fmt: skip


@pytest.fixture
def store_url(partner_stack: QuadraProcess, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "store.log").open("wb")
    store = subprocess.Popen([sys.executable, "-m", "examples.motivation_store"], cwd=REPO, stdout=log,
                             stderr=subprocess.STDOUT, env=partner_env(partner_stack, STORE_PORT=str(port)))  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert store.poll() is None, (tmp_path / "store.log").read_text()
            try:
                httpx.get(url + "/", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the store did not start in 30 s"
                time.sleep(0.2)
        yield url
    finally:
        store.terminate()
        store.wait(10)


def test_the_store_sends_a_reward_and_shows_it_completed(store_url: str) -> None:
    employee = f"emp-{uuid.uuid4().hex[:10]}"
    with httpx.Client(base_url=store_url, timeout=30) as browser:
        shop = browser.get("/")
        assert shop.status_code == 200 and "Amazon.de" in shop.text
        form = re.search(r'value="amazon-de-25">\s*<input type="hidden" name="idempotency_key" value="([^"]+)"', shop.text)
        assert form, shop.text
        fields = {"product_id": "amazon-de-25", "amount": "25.00", "employee_id": employee,
                  "recipient": f"{employee}@example.com", "idempotency_key": form.group(1)}  # fmt: skip
        sent = browser.post("/rewards", data=fields)
        assert sent.status_code == 303, sent.text
        again = browser.post("/rewards", data=fields)  # a double click: the same reward
        assert again.headers["location"] == sent.headers["location"]
        deadline = time.monotonic() + 20
        while '<strong id="status">completed</strong>' not in (status := browser.get(sent.headers["location"])).text:
            assert time.monotonic() < deadline, status.text
            time.sleep(0.5)
        assert employee in status.text and "code:" in status.text  # the gift code, shown to HR
        refused = browser.post("/rewards", data={**fields, "amount": "26", "idempotency_key": "other"})
        assert refused.status_code == 422


@pytest.fixture
def batches_api(partner_stack: QuadraProcess) -> QuadraProcess:
    """Probe: until the batches API is merged, POST /v1/batches answers 404 "No route" — then
    the runner has nothing to run against. (Sent without an Idempotency-Key: never writes.)"""
    probe = httpx.post(partner_stack.url + "/v1/batches", json={"lines": []},
                       headers={"Authorization": f"Bearer {partner_stack.key}"}, timeout=30)  # fmt: skip
    if probe.status_code == 404 and "No route" in probe.json().get("detail", ""):
        pytest.skip("POST /v1/batches is not served yet (the batches API is built on another branch)")
    return partner_stack


def test_the_runner_pays_a_csv_and_reports_every_line(batches_api: QuadraProcess, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:10]
    payouts = tmp_path / "payouts.csv"
    payouts.write_text(
        "external_id,product_id,amount,currency,card_number,phone,email,end_user_id\n"
        f"{tag}-1,amazon-de-25,25,EUR,,,one-{tag}@example.com,run-{tag}-1\n"
        f"{tag}-2,card-transfer-eur,10.50,EUR,4111111111111112,,,run-{tag}-2\n"  # fails the Luhn check
        f"{tag}-3,topup-de,15,EUR,,+49151{random.randrange(10**7, 10**8)},,run-{tag}-3\n"
        f"{tag}-4,amazon-de-25,25,EUR,,,four-{tag}@example.com,run-{tag}-4\n"
    )
    report = tmp_path / "report.csv"
    command = [sys.executable, "-m", "examples.mass_payouts.runner", "--csv", str(payouts), "--report", str(report),
               "--wait", "120"]  # fmt: skip
    first = subprocess.run(command, cwd=REPO, env=partner_env(batches_api), capture_output=True, text=True, timeout=300)
    assert first.returncode == 1, first.stdout + first.stderr  # one rejected line
    rows = list(csv.DictReader(report.open()))
    assert [r["line"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["status"] for r in rows] == ["completed", "rejected_line", "completed", "completed"], rows
    assert "card_number" in rows[1]["errors"] and "4111111111111112" not in report.read_text()
    assert all(r["order_id"].startswith("ord_") for r in (rows[0], rows[2], rows[3]))
    batch_id = re.search(r"batch (bat_\S+)", first.stdout)
    assert batch_id and "4 = 3 accepted + 1 rejected" in first.stdout

    again = subprocess.run([*command, "--allow-rejected"], cwd=REPO, env=partner_env(batches_api),
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"batch {batch_id.group(1)}" in again.stdout  # the same file is the same batch: paid once
