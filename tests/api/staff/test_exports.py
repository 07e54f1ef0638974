"""Staff transaction exports over fakes: direct files, the job lifecycle, ownership, limits,
expiry, audit, and bad input."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from api.staff.export_jobs import ExportJobs
from api.staff.export_service import TransactionExports
from domain.staff import Role
from tests.api.staff.conftest import COMPANY, StaffHarness
from tests.api.staff.export_fakes import InMemoryExportRows, export_row

PROBLEMS = "https://docs.quadra.dev/problems/"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Exports:
    h: StaffHarness
    rows: InMemoryExportRows
    clock: Clock
    directory: Path

    async def call(self, role: Role, method: str, path: str, **kw: Any) -> Any:
        return await self.h.client.request(method, "/staff/v1" + path, headers=self.h.bearer(role), **kw)

    async def finished(self, role: Role, export_id: str) -> dict[str, Any]:
        for _ in range(200):
            body = (await self.call(role, "GET", f"/exports/{export_id}")).json()
            if body["status"] in ("done", "failed"):
                return body
            await asyncio.sleep(0.01)
        raise AssertionError(f"export {export_id} did not finish")


@pytest.fixture
async def exports(staff_api: StaffHarness, tmp_path: Path) -> AsyncIterator[Exports]:
    rows = InMemoryExportRows([export_row(n) for n in range(7)] + [export_row(99, "cmp_other")])
    clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    jobs = ExportJobs(rows, tmp_path, max_active=2, clock=clock)
    service = TransactionExports(rows, jobs, staff_api.audit, tmp_path, direct_limit=10)
    app = staff_api.client._transport.app  # type: ignore[attr-defined]  # the ASGI app under test
    services = app.state.services
    app.state.services = replace(services, staff=replace(services.staff, exports=service))
    try:
        yield Exports(staff_api, rows, clock, tmp_path)
    finally:
        await jobs.close()


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


async def test_direct_csv_and_xlsx(exports: Exports) -> None:
    query = f"company_id={COMPANY}&status=completed"
    r = await exports.call(Role.READ_ONLY, "GET", f"/reports/transactions.csv?{query}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="transactions-')
    assert r.headers["x-total-count"] == "7"
    table = _csv(r.content)
    assert table[0][:3] == ["order_id", "company_id", "created_at"]
    assert [row[0] for row in table[1:]] == [f"ord_{n:032x}" for n in range(7)]
    event = exports.h.audit.events[-1]
    assert event.action == "report.export" and event.company_id == COMPANY
    assert event.details["filter"] == {"company_ids": [COMPANY], "statuses": ["completed"]}

    r = await exports.call(Role.FINANCE, "GET", "/reports/transactions.xlsx?company_id=cmp_other")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)["transactions"]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][0] == f"ord_{99:032x}" and values[1][9] == 99.5
    assert list(exports.directory.iterdir()) == []  # the direct file is gone once sent


async def test_direct_export_beyond_the_limit_points_to_jobs(exports: Exports) -> None:
    exports.rows.rows += [export_row(n) for n in range(100, 110)]
    r = await exports.call(Role.READ_ONLY, "GET", "/reports/transactions.csv")
    assert r.status_code == 422
    assert r.json()["type"] == PROBLEMS + "export-too-large" and "/staff/v1/exports" in r.json()["detail"]


@pytest.mark.parametrize(
    "query, pointer",
    [
        ("colour=red", "/query/colour"),
        ("from=yesterday", "/query/from"),
        ("from=2026-01-01T00:00:00", "/query/from"),  # no time zone
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("status=lost", "/query/status/0"),
        ("product_type=cash", "/query/product_type/0"),
        ("amount_min=10&amount_max=5", "amount_max"),
        ("amount_min=-1", "/query/amount_min"),
        ("card_last4=12a4", "/query/card_last4"),
        ("currency=eur", "/query/currency"),
        ("company_id=' OR 1=1 --", "/query/company_id/0"),
    ],
)
async def test_bad_filters_are_422(exports: Exports, query: str, pointer: str) -> None:
    r = await exports.call(Role.READ_ONLY, "GET", f"/reports/transactions.csv?{query}")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in r.json()["errors"]]


async def test_a_job_runs_to_a_download(exports: Exports) -> None:
    r = await exports.call(Role.SUPPORT, "POST", "/exports", json={"format": "csv", "company_id": [COMPANY]})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and job["progress"] == 0 and job["download_url"] is None
    assert r.headers["location"] == f"/staff/v1/exports/{job['id']}"

    done = await exports.finished(Role.SUPPORT, job["id"])
    assert done["status"] == "done" and done["progress"] == 100
    assert done["rows_written"] == done["total_rows"] == 7
    assert done["download_url"] == f"/staff/v1/exports/{job['id']}/download"

    r = await exports.call(Role.SUPPORT, "GET", f"/exports/{job['id']}/download")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == f'attachment; filename="transactions-{job["id"]}.csv"'
    assert len(_csv(r.content)) == 8
    actions = [(e.action, e.target) for e in exports.h.audit.events]
    assert actions == [("export.create", job["id"]), ("export.download", job["id"])]

    r = await exports.call(Role.ADMIN, "POST", "/exports", json={"format": "xlsx", "status": ["completed"]})
    done = await exports.finished(Role.ADMIN, r.json()["id"])
    r = await exports.call(Role.ADMIN, "GET", f"/exports/{done['id']}/download")
    assert r.status_code == 200 and r.content[:2] == b"PK"


async def test_only_the_owner_or_an_admin_sees_a_job(exports: Exports) -> None:
    job = (await exports.call(Role.SUPPORT, "POST", "/exports", json={"format": "csv"})).json()
    await exports.finished(Role.SUPPORT, job["id"])
    for path in (f"/exports/{job['id']}", f"/exports/{job['id']}/download"):
        r = await exports.call(Role.FINANCE, "GET", path)
        assert r.status_code == 404 and r.json()["type"] == PROBLEMS + "not-found"
    assert (await exports.call(Role.ADMIN, "GET", f"/exports/{job['id']}")).status_code == 200
    assert (await exports.call(Role.ADMIN, "GET", f"/exports/{job['id']}/download")).status_code == 200
    assert (await exports.call(Role.SUPPORT, "GET", "/exports/exp_nope")).status_code == 404
    assert (await exports.h.client.get(f"/staff/v1/exports/{job['id']}")).status_code == 401


async def test_too_many_jobs_are_refused_until_one_finishes(exports: Exports) -> None:
    exports.rows.gate = asyncio.Event()
    first = (await exports.call(Role.SUPPORT, "POST", "/exports", json={"format": "csv"})).json()
    await exports.call(Role.FINANCE, "POST", "/exports", json={"format": "xlsx"})
    await asyncio.sleep(0.01)
    running = (await exports.call(Role.SUPPORT, "GET", f"/exports/{first['id']}")).json()
    assert running["status"] == "running" and running["total_rows"] == 8
    r = await exports.call(Role.SUPPORT, "GET", f"/exports/{first['id']}/download")
    assert r.status_code == 409

    r = await exports.call(Role.ADMIN, "POST", "/exports", json={"format": "csv"})
    assert r.status_code == 429 and r.json()["type"] == PROBLEMS + "too-many-exports"
    exports.rows.gate.set()
    await exports.finished(Role.SUPPORT, first["id"])
    await asyncio.sleep(0.05)
    assert (await exports.call(Role.ADMIN, "POST", "/exports", json={"format": "csv"})).status_code == 202


async def test_a_failed_job_says_so_and_leaves_no_file(exports: Exports) -> None:
    exports.rows.fail = True
    job = (await exports.call(Role.SUPPORT, "POST", "/exports", json={"format": "xlsx"})).json()
    failed = await exports.finished(Role.SUPPORT, job["id"])
    assert failed["status"] == "failed" and failed["error"] == "RuntimeError" and failed["download_url"] is None
    assert list(exports.directory.iterdir()) == []


async def test_files_expire_after_a_day(exports: Exports) -> None:
    job = (await exports.call(Role.SUPPORT, "POST", "/exports", json={"format": "csv"})).json()
    await exports.finished(Role.SUPPORT, job["id"])
    assert len(list(exports.directory.iterdir())) == 1
    exports.clock.now += timedelta(hours=24, seconds=1)
    assert (await exports.call(Role.SUPPORT, "GET", f"/exports/{job['id']}")).status_code == 404
    assert list(exports.directory.iterdir()) == []


@pytest.mark.parametrize(
    "body, pointer",
    [
        ({"format": "pdf"}, "/format"),
        ({}, "/format"),
        ({"format": "csv", "from": "2026-13-01T00:00:00Z"}, "/from"),
        ({"format": "csv", "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "/to"),
        ({"format": "csv", "company_id": "cmp_seeded"}, "/company_id"),  # a list, not a string
        ({"format": "csv", "limit": 5}, "/limit"),
    ],
)
async def test_bad_job_requests_are_422(exports: Exports, body: dict[str, Any], pointer: str) -> None:
    r = await exports.call(Role.SUPPORT, "POST", "/exports", json=body)
    assert r.status_code == 422, r.text
    assert pointer in [e["pointer"] for e in r.json()["errors"]]
