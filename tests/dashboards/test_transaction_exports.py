"""Exports from the transactions page: direct links for small results, background jobs with a
progress page polled by htmx, the download; CSRF, ownership and bad input."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
from dataclasses import replace

import pytest

from domain.staff import Role
from tests.api.staff.conftest import COMPANY
from tests.dashboards.conftest import ReportDesk, csrf_of, sign_in

PAGE = "/admin/transactions"
POST = "/admin/transactions/exports"


@pytest.fixture
async def desk(report_desk: ReportDesk) -> ReportDesk:
    await sign_in(report_desk.h.client, report_desk.h.users[Role.FINANCE].email)
    return report_desk


async def _switch(desk: ReportDesk, role: Role) -> None:
    await desk.h.client.post("/admin/logout", data={"csrf_token": await csrf_of(desk.h.client)})
    assert (await sign_in(desk.h.client, desk.h.users[role].email)).status_code == 303


def _actions(desk: ReportDesk) -> list[str]:
    return [e.action for e in desk.h.audit.events]


async def test_small_results_link_to_the_direct_files_with_the_same_filters(desk: ReportDesk) -> None:
    r = await desk.h.client.get(PAGE, params={"company_id": COMPANY, "amount_min": "0.50", "status": "completed",
                                              "from": "2026-01-01", "sort": "amount", "limit": "25"})  # fmt: skip
    link = re.search(r'href="(/staff/v1/reports/transactions\.csv\?[^"]+)"', r.text)
    assert link, r.text
    url = html.unescape(link.group(1))
    assert "amount_min=50" in url and "from=2026-01-01T00%3A00%3A00Z" in url  # the API's units and times
    assert "sort=" not in url and "limit=" not in url  # the export routes take filters only
    file = await desk.h.client.get(url)  # the session cookie opens the JSON route too
    assert file.status_code == 200, file.text
    table = list(csv.reader(io.StringIO(file.text)))
    assert len(table) == 8 and file.headers["x-total-count"] == "7"
    assert _actions(desk)[-1] == "report.export"
    assert "transactions.xlsx?" in r.text


async def test_beyond_the_direct_limit_only_the_background_export_is_offered(desk: ReportDesk) -> None:
    from tests.api.staff.report_fakes import transaction

    desk.reads.transactions = [transaction(n) for n in range(11)]  # direct_limit is 10
    r = await desk.h.client.get(PAGE)
    assert "transactions.csv?" not in r.text and "More than 10 rows" in r.text
    assert f'action="{POST}"' in r.text


async def test_a_background_export_shows_progress_then_the_download(desk: ReportDesk) -> None:
    client = desk.h.client
    page = await client.get(PAGE, params={"company_id": COMPANY, "status": "completed", "limit": "25", "cursor": ""})
    form = page.text[page.text.index(f'action="{POST}"'):]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[: form.index("</form>")]))
    assert fields.keys() == {"csrf_token", "company_id", "status"}  # the filters, not the page state
    desk.rows.gate = asyncio.Event()  # hold the job so the first look sees it unfinished
    started = await client.post(POST, data={**fields, "format": "csv"})
    assert started.status_code == 303, started.text
    progress_page = started.headers["location"]
    export_id = progress_page.rsplit("/", 1)[-1]
    assert re.fullmatch(r"/admin/transactions/exports/exp_[0-9a-f]{32}", progress_page)
    job = desk.jobs.get(export_id)
    assert job is not None and job.filter.company_ids == (COMPANY,) and job.filter.statuses == ("completed",)
    assert job.owner_id == desk.h.users[Role.FINANCE].id and _actions(desk)[-1] == "export.create"

    shown = await client.get(progress_page)
    assert shown.status_code == 200
    assert f'hx-get="{progress_page}/progress" hx-trigger="every 1s"' in shown.text
    assert "/download" not in shown.text
    desk.rows.gate.set()
    await desk.finished(export_id)
    partial = await client.get(progress_page + "/progress", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert "hx-trigger" not in partial.text  # done: polling stops
    assert 'value="100"' in partial.text and "7 of 7 rows (100%)" in partial.text
    download = re.search(r'href="([^"]+/download)"', partial.text)
    assert download and download.group(1) == progress_page + "/download"
    file = await client.get(download.group(1))
    assert file.status_code == 200 and file.headers["content-disposition"].endswith(f'{export_id}.csv"')
    assert len(list(csv.reader(io.StringIO(file.text)))) == 8
    assert _actions(desk)[-1] == "export.download"


async def test_an_export_post_without_the_csrf_token_is_refused_and_starts_nothing(desk: ReportDesk) -> None:
    for data in ({"format": "csv"}, {"format": "csv", "csrf_token": "forged"}):
        r = await desk.h.client.post(POST, data=data)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "export.create" not in _actions(desk)  # no job was started (starting one is audited)
    assert (await desk.h.client.post(POST, json={"format": "csv"})).status_code == 415


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"format": "pdf"}, "format"),
        ({"format": "<script>alert(1)</script>"}, "format"),
        ({}, "format"),
        ({"format": "csv", "company_id": "' OR 1=1 --"}, "company_id"),
        ({"format": "csv", "amount_min": "abc"}, "amount_min"),
        ({"format": "csv", "from": "2026-12-01", "to": "2026-11-01"}, "to"),
        ({"format": "csv", "end_user_id": "x" * 5000}, "end_user_id"),
        ({"format": "csv", "sneaky": "1"}, "sneaky"),
    ],
)
async def test_a_bad_export_form_is_refused_with_a_message_and_starts_nothing(
    desk: ReportDesk, fields: dict[str, str], field: str
) -> None:
    token = await csrf_of(desk.h.client, PAGE)
    r = await desk.h.client.post(POST, data={"csrf_token": token, **fields})
    assert r.status_code == 422, r.text
    assert "The export was not started" in r.text and "<script>alert(1)</script>" not in r.text
    assert field in r.text
    assert "export.create" not in _actions(desk)


async def test_a_huge_export_form_is_refused(desk: ReportDesk) -> None:
    token = await csrf_of(desk.h.client, PAGE)
    r = await desk.h.client.post(POST, data={"csrf_token": token, "format": "csv", "end_user_id": "x" * 100_000})
    assert r.status_code == 413 and "export.create" not in _actions(desk)


async def test_too_many_running_exports_is_a_message_not_a_crash(desk: ReportDesk) -> None:
    desk.rows.gate = asyncio.Event()
    token = await csrf_of(desk.h.client, PAGE)
    codes = [(await desk.h.client.post(POST, data={"csrf_token": token, "format": "csv"})).status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    r = await desk.h.client.post(POST, data={"csrf_token": token, "format": "xlsx"})
    assert r.status_code == 429 and "already running" in r.text


async def test_someone_elses_export_or_a_made_up_id_is_not_found(desk: ReportDesk) -> None:
    token = await csrf_of(desk.h.client, PAGE)
    started = await desk.h.client.post(POST, data={"csrf_token": token, "format": "csv"})
    page = started.headers["location"]
    await _switch(desk, Role.SUPPORT)
    for path in (page, page + "/progress", page + "/download"):
        assert (await desk.h.client.get(path)).status_code == 404, path
    for bad in ("exp_x", "<script>", "' OR 1=1 --", "exp_" + "0" * 32):
        r = await desk.h.client.get(f"{POST}/{bad}")
        assert r.status_code == 404 and "<script>" not in r.text
    await _switch(desk, Role.ADMIN)
    assert (await desk.h.client.get(page)).status_code == 200  # an admin sees every export


async def test_a_failed_export_says_so_and_stops_polling(desk: ReportDesk) -> None:
    desk.rows.fail = True
    token = await csrf_of(desk.h.client, PAGE)
    started = await desk.h.client.post(POST, data={"csrf_token": token, "format": "xlsx"})
    export_id = started.headers["location"].rsplit("/", 1)[-1]
    await desk.finished(export_id)
    partial = await desk.h.client.get(started.headers["location"] + "/progress")
    assert "The export failed (RuntimeError)" in partial.text and "hx-trigger" not in partial.text
    assert "/download" not in partial.text
    assert (await desk.h.client.get(started.headers["location"] + "/download")).status_code == 409


async def test_without_an_export_service_the_page_offers_no_export(desk: ReportDesk) -> None:
    app = desk.h.app
    assert app is not None
    app.state.services = replace(app.state.services, staff=replace(app.state.services.staff, exports=None))
    r = await desk.h.client.get(PAGE)
    assert r.status_code == 200 and f'action="{POST}"' not in r.text and "transactions.csv" not in r.text
