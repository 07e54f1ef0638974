"""The runner against a scripted partner API: upload, wait, report, exit code."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import httpx
import pytest

from examples.mass_payouts.runner import EXIT_ERROR, EXIT_NOT_FINISHED, EXIT_OK, EXIT_REJECTED, batch_key, main
from quadra_client import Quadra
from tests.clients.fake_partner_api import BASE_URL, TEST_KEY, FakeClock, ScriptedApi, by_route, ok, problem
from tests.clients.wire_samples import batch_json, batch_line_json, page

PAYOUTS = (
    "external_id,product_id,amount,currency,card_number,phone,email,end_user_id\n"
    "row-1,amazon-de-25,25,EUR,,,a@example.com,emp-1\n"
    "row-2,card-transfer-eur,10,EUR,4111111111111112,,,emp-2\n"
    "=HYPERLINK(1),amazon-de-25,25,EUR,,,b@example.com,emp-3\n"
)
DONE = batch_json(status="completed", completed_at="2026-11-26T12:00:09Z",
                  counts={"completed": 2, "failed": 0, "in_review": 0, "declined": 0, "rejected": 0, "pending": 0})  # fmt: skip
LINES = [batch_line_json(1), batch_line_json(2, rejected=True), {**batch_line_json(3), "external_id": "=HYPERLINK(1)"}]


def api_answering(batch: dict[str, object], upload: httpx.Response | None = None) -> ScriptedApi:
    return ScriptedApi([by_route({
        ("POST", "/v1/batches"): upload or ok(batch_json(), 202),
        ("GET", "/v1/batches/bat_1"): ok(batch),
        ("GET", "/v1/batches/bat_1/lines"): ok(page(LINES, None)),
    })])  # fmt: skip


def run(tmp_path: Path, api: ScriptedApi, *extra: str, clock: FakeClock | None = None) -> tuple[int, Path]:
    clock = clock or FakeClock()
    (tmp_path / "payouts.csv").write_text(PAYOUTS)
    report = tmp_path / "report.csv"
    quadra = Quadra(TEST_KEY, BASE_URL, transport=api.transport, sleep=clock.sleep, monotonic=clock.monotonic)
    code = main(["--csv", str(tmp_path / "payouts.csv"), "--report", str(report), *extra], quadra=quadra)
    return code, report


def test_a_batch_with_rejected_lines_is_reported_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    api = api_answering(DONE)
    code, report = run(tmp_path, api)
    assert code == EXIT_REJECTED
    upload = api.requests[0]
    assert upload.content == PAYOUTS.encode() and upload.headers["content-type"].startswith("text/csv")
    assert upload.headers["idempotency-key"] == batch_key(PAYOUTS.encode())
    rows = list(csv.DictReader(report.open()))
    assert [r["status"] for r in rows] == ["completed", "rejected_line", "completed"]
    assert rows[0]["amount"] == "10.00" and rows[1]["errors"] == "/recipient/card_number: not a card"
    assert rows[2]["external_id"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    out = capsys.readouterr().out
    assert "batch bat_1: completed" in out and "3 = 2 accepted + 1 rejected" in out and "10.00 EUR (fees 0.30)" in out


def test_rejected_lines_may_be_allowed(tmp_path: Path) -> None:
    assert run(tmp_path, api_answering(DONE), "--allow-rejected")[0] == EXIT_OK


def test_a_clean_batch_succeeds(tmp_path: Path) -> None:
    assert run(tmp_path, api_answering({**DONE, "rejected_lines": 0, "accepted_lines": 3}))[0] == EXIT_OK


def test_a_batch_still_processing_at_the_deadline_writes_what_is_known(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    code, report = run(tmp_path, api_answering(batch_json()), "--wait", "3", clock=clock)
    assert code == EXIT_NOT_FINISHED and sum(clock.slept) == 3 and report.exists()
    assert "run again with the same file" in capsys.readouterr().out


def test_a_file_the_api_refuses_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refusal = problem(422, "validation-failed", "unknown column colour", errors=[{"pointer": "/colour", "code": "unknown", "message": "unknown column"}])
    code, report = run(tmp_path, api_answering(DONE, upload=refusal))
    assert code == EXIT_ERROR and not report.exists()
    assert "validation-failed" in capsys.readouterr().err


def test_a_missing_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    api = api_answering(DONE)
    quadra = Quadra(TEST_KEY, BASE_URL, transport=api.transport)
    assert main(["--csv", str(tmp_path / "nope.csv"), "--report", str(tmp_path / "r.csv")], quadra=quadra) == EXIT_ERROR
    assert api.requests == [] and "nope.csv" in capsys.readouterr().err


def test_no_api_key_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUADRA_API_KEY", raising=False)
    (tmp_path / "p.csv").write_text(PAYOUTS)
    assert main(["--csv", str(tmp_path / "p.csv"), "--report", str(tmp_path / "r.csv")]) == EXIT_ERROR


def test_the_same_file_is_the_same_batch() -> None:
    assert batch_key(PAYOUTS.encode()) == batch_key(PAYOUTS.encode()) != batch_key(PAYOUTS.encode() + b"\n")
    assert re.fullmatch(r"payouts-[a-p]{40}", batch_key(PAYOUTS.encode()))
    assert json.dumps(batch_key(b""))  # any file, even empty, has a key
