"""The back office over the staff API's in-memory fakes (tests/api/staff/conftest.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from api.staff.export_jobs import ExportJobs, ExportStatus
from api.staff.export_service import TransactionExports
from api.staff.report_service import ReportService
from domain.staff import Role
from tests.api.staff.export_fakes import InMemoryExportRows, export_row
from tests.api.staff.conftest import StaffHarness, shared_staff_app, staff_api  # noqa: F401  # the fixtures
from tests.api.staff.fakes import PASSWORD
from tests.api.staff.report_fakes import FakeReports

_HIDDEN = re.compile(r'name="(csrf_token|login_csrf)" value="([^"]+)"')


def hidden(html: str, name: str) -> str:
    for found, value in _HIDDEN.findall(html):
        if found == name:
            return value
    raise AssertionError(f"no hidden {name} field in the page")


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/admin/login")
    return await client.post(
        "/admin/login",
        data={"email": email, "password": password, "login_csrf": hidden(form.text, "login_csrf")},
    )


@pytest.fixture
async def admin_ui(staff_api: StaffHarness) -> AsyncIterator[StaffHarness]:  # noqa: F811
    """The harness with its client signed in to the back office as the admin."""
    response = await sign_in(staff_api.client, staff_api.users[Role.ADMIN].email)
    assert response.status_code == 303, response.text
    yield staff_api


async def csrf_of(client: httpx.AsyncClient, page: str = "/admin") -> str:
    return hidden((await client.get(page)).text, "csrf_token")


@dataclass
class ReportDesk:
    """The harness's app serving reports and exports from fakes the test can see and steer."""

    h: StaffHarness
    reads: FakeReports
    rows: InMemoryExportRows
    jobs: ExportJobs

    async def finished(self, export_id: str) -> None:
        for _ in range(500):
            job = self.jobs.get(export_id)
            if job is not None and job.status in (ExportStatus.DONE, ExportStatus.FAILED):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"export {export_id} did not finish")


@pytest.fixture
async def report_desk(staff_api: StaffHarness, tmp_path: Path) -> AsyncIterator[ReportDesk]:  # noqa: F811
    """Swaps the app's report and export services for ones over visible fakes (as
    tests/api/staff/test_exports.py does): 3 transactions, 7 export rows, direct exports up to 10."""
    reads = FakeReports()
    rows = InMemoryExportRows([export_row(n) for n in range(7)])
    jobs = ExportJobs(rows, tmp_path / "exports", max_active=2)
    exports = TransactionExports(rows, jobs, staff_api.audit, tmp_path / "exports", direct_limit=10)
    assert staff_api.app is not None
    services = staff_api.app.state.services
    staff = replace(services.staff, reports=ReportService(reads, reads, reads, reads), exports=exports)
    staff_api.app.state.services = replace(services, staff=staff)
    try:
        yield ReportDesk(staff_api, reads, rows, jobs)
    finally:
        if rows.gate is not None:
            rows.gate.set()
        await jobs.close()


async def raw_get(h: StaffHarness, path: str, query: str) -> tuple[int, str]:
    """A GET with the client's cookies straight to the ASGI app: httpx refuses URLs over 64 KiB,
    but a page must still cope with (refuse) a 100k-character query value sent by anything else."""
    assert h.app is not None
    cookie = "; ".join(f"{name}={value}" for name, value in h.client.cookies.items())
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "root_path": "", "headers": [(b"host", b"test"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 1234), "server": ("test", 80),
    }  # fmt: skip
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await h.app(scope, receive, send)
    status = next(int(m["status"]) for m in sent if m["type"] == "http.response.start")  # type: ignore[call-overload]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
    return status, body.decode()


from tests.dashboards.risk_harness import desk_fixture, fraud, risk_ui  # noqa: E402, F401  # the Risk pages' desks
