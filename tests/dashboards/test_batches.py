"""The mass payout pages over the batch fakes: the list (company filter, keyset pages), one
batch (progress polled while it runs, counts, totals, rejected lines, the results CSV), the same
permission as transactions, and hostile input shown escaped or refused."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from markupsafe import escape

from domain.staff import Role
from tests.dashboards.batch_harness import CARD, HOSTILE_SCRIPT, BatchDesk, batch_desk  # noqa: F401  # the fixture
from tests.dashboards.conftest import raw_get, sign_in

PAGE = "/admin/batches"
SQL = "' OR 1=1 --"


@pytest.fixture
def desk(batch_desk: BatchDesk) -> BatchDesk:  # noqa: F811
    return batch_desk


async def _as(desk: BatchDesk, role: Role) -> None:
    r = await sign_in(desk.h.client, desk.h.users[role].email)
    assert r.status_code == 303


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE, Role.RISK, Role.SUPPORT, Role.READ_ONLY])
async def test_every_role_that_reads_transactions_sees_the_batches(desk: BatchDesk, role: Role) -> None:
    await _as(desk, role)
    r = await desk.h.client.get(PAGE)
    assert r.status_code == 200, r.text
    for batch_id in desk.ids:
        assert f'href="/admin/batches/{batch_id}"' in r.text
    assert r.text.index(desk.ids[3]) < r.text.index(desk.ids[0])  # newest first
    assert 'href="/admin/batches"' in r.text  # in the menu
    one = await desk.h.client.get(f"{PAGE}/{desk.ids[0]}")
    assert one.status_code == 200 and 'method="post"' not in one.text.split("<main", 1)[1]  # nothing to change here


async def test_the_company_filter_and_keyset_pages(desk: BatchDesk) -> None:
    await _as(desk, Role.READ_ONLY)
    r = await desk.h.client.get(PAGE, params={"company_id": "cmp_other"})
    assert desk.ids[3] in r.text and desk.ids[0] not in r.text and 'value="cmp_other"' in r.text
    first = await desk.h.client.get(PAGE, params={"limit": "25"})
    assert 'rel="next"' not in first.text
    store_page = await desk.service.list_batches(None, None, 1)
    assert store_page.next_cursor is not None
    second = await desk.h.client.get(PAGE, params={"limit": "25", "cursor": store_page.next_cursor})
    assert second.status_code == 200 and desk.ids[3] not in second.text and desk.ids[2] in second.text


async def test_a_batch_page_shows_progress_counts_totals_and_rejected_lines_escaped(desk: BatchDesk) -> None:
    await _as(desk, Role.READ_ONLY)
    r = await desk.h.client.get(f"{PAGE}/{desk.ids[1]}")
    assert r.status_code == 200, r.text
    page = r.text
    assert "completed" in page and 'hx-get="/admin/batches/' not in page  # done: no polling
    assert "too many decimals: EUR has 2" in page and HOSTILE_SCRIPT not in page
    assert CARD not in page and "10.00" in page and "0.35" in page  # fee: 0.25 + 1 % of 10.00
    assert f'href="/admin/batches/{desk.ids[1]}/results.csv"' in page
    running = await desk.h.client.get(f"{PAGE}/{desk.ids[2]}")
    assert f'hx-get="/admin/batches/{desk.ids[2]}/progress"' in running.text and "processing" in running.text
    panel = await desk.h.client.get(f"{PAGE}/{desk.ids[2]}/progress")
    assert panel.status_code == 200 and 'id="batch-progress"' in panel.text and "<html" not in panel.text


async def test_the_results_csv_downloads_from_the_page(desk: BatchDesk) -> None:
    await _as(desk, Role.SUPPORT)
    r = await desk.h.client.get(f"{PAGE}/{desk.ids[0]}/results.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert [row[2] for row in rows[1:]] == ["completed"] * 5


async def test_the_russian_page(desk: BatchDesk) -> None:
    await _as(desk, Role.ADMIN)
    me = desk.h.users[Role.ADMIN]
    desk.h.staff.users[me.id] = replace(desk.h.staff.users[me.id], locale=type(me.locale)("ru"))
    r = await desk.h.client.get(f"{PAGE}/{desk.ids[1]}")
    assert "Отклонённые строки" in r.text and "Скачать результаты (CSV)" in r.text


@pytest.mark.parametrize("path", ["/bat_" + "0" * 32, "/nope", "/" + CARD, f"/{escape(HOSTILE_SCRIPT)}"])
async def test_a_batch_that_is_none_is_the_404_page(desk: BatchDesk, path: str) -> None:
    await _as(desk, Role.READ_ONLY)
    for suffix in ("", "/progress", "/results.csv"):
        r = await desk.h.client.get(PAGE + path + suffix)
        assert r.status_code == 404 and CARD not in r.text and HOSTILE_SCRIPT not in r.text


@pytest.mark.parametrize(("params", "field"), [
    ({"company_id": SQL}, "company_id"), ({"company_id": HOSTILE_SCRIPT}, "company_id"),
    ({"company_id": "x" * 100_000}, "company_id"), ({"limit": "abc"}, "limit"), ({"limit": "1000"}, "limit"),
    ({"cursor": "AAAA"}, ""), ({"colour": "red"}, ""),
])  # fmt: skip
async def test_hostile_filters_are_refused_with_a_message_and_shown_escaped(
    desk: BatchDesk, params: dict[str, str], field: str
) -> None:
    await _as(desk, Role.READ_ONLY)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, page = await raw_get(desk.h, PAGE, query)
    if len(query) < 60_000:  # httpx refuses longer URLs; the page must still refuse them
        api = await desk.h.client.get("/staff/v1/batches", params=params, headers=desk.h.bearer(Role.READ_ONLY))
        assert status == api.status_code
    assert status in (400, 422), page[:500]
    assert 'role="alert"' in page and HOSTILE_SCRIPT not in page and "x" * 2000 not in page
    lines = await desk.h.client.get(f"{PAGE}/{desk.ids[1]}", params={"cursor": HOSTILE_SCRIPT})
    assert lines.status_code == 400 and HOSTILE_SCRIPT not in lines.text


async def test_signed_out_viewers_are_sent_to_sign_in(desk: BatchDesk) -> None:
    # Every role reads transactions (so every role sees batches); without a session: sign in.
    for path in (PAGE, f"{PAGE}/{desk.ids[0]}", f"{PAGE}/{desk.ids[0]}/results.csv"):
        r = await desk.h.client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login"), path
    r = await desk.h.client.get("/staff/v1/batches")
    assert r.status_code == 401
