"""The Companies area over the staff API's fakes: list and search, create, edit, deactivate,
API keys, catalog; every role sees only what it may do; CSRF; hostile input."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from domain.companies import CompanyStatus, hash_api_key
from domain.registry import CreateApiKey, CreateCompany, EditCompany, RevokeApiKey, SetCompanyCatalog, SetCompanyStatus
from domain.ledger_commands import BalanceCommand, CommandKind
from domain.staff import Permission as P
from domain.staff import Role
from streams.ledger_messages import CommandEnvelope
from tests.api.staff.conftest import COMPANY, StaffHarness
from tests.dashboards.conftest import csrf_of, sign_in
from tests.dashboards.fakes import RecordedAuditFeed

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [SCRIPT, "' OR 1=1 --", "x" * 60_000, "\x00\x1f", "😀" * 600]
WRITERS = {Role.ADMIN, Role.SUPPORT}  # companies.write and api_keys.write
VALID = {
    "name": "Globex", "legal_name": "Globex Corporation", "country": "US",
    "contact_email": "ops@globex.test", "notification_email": "", "registration_number": "HRB 1",
    "address": "1 Main St", "ip_allowlist": "10.0.0.0/24\n192.0.2.7",
}  # fmt: skip


@pytest.fixture
async def ui(admin_ui: StaffHarness) -> AsyncIterator[StaffHarness]:
    """Signed in as admin, with the company page's audit port over the recording trail."""
    assert admin_ui.app is not None
    admin_ui.app.state.company_audit = RecordedAuditFeed(admin_ui.audit)
    yield admin_ui


async def as_role(ui: StaffHarness, role: Role) -> str:
    """Signs the client in as `role`; returns its CSRF token."""
    await ui.client.post("/admin/logout", data={"csrf_token": await csrf_of(ui.client)})
    assert (await sign_in(ui.client, ui.users[role].email)).status_code == 303
    return await csrf_of(ui.client)


def assert_escaped(html: str) -> None:
    assert SCRIPT not in html and "<script>alert" not in html


# --- the list ---


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_sees_the_list_and_only_writers_may_create(ui: StaffHarness, role: Role) -> None:
    await as_role(ui, role)
    page = await ui.client.get("/admin/companies")
    assert page.status_code == 200 and "Acme Rewards" in page.text
    assert ('href="/admin/companies/new"' in page.text) is (role in WRITERS)
    assert (await ui.client.get("/admin/companies/new")).status_code == (200 if role in WRITERS else 403)


async def test_search_by_name_or_id_and_filter_by_status(ui: StaffHarness) -> None:
    client = ui.client
    await client.post("/admin/companies", data={**VALID, "csrf_token": await csrf_of(client)})
    assert "Globex" in (await client.get("/admin/companies?q=glob")).text
    by_name = (await client.get("/admin/companies?q=acme")).text
    assert "Acme Rewards" in by_name and "Globex" not in by_name
    by_id = (await client.get(f"/admin/companies?q={COMPANY}")).text
    assert "Acme Rewards" in by_id and "Globex" not in by_id
    assert "Acme Rewards" not in (await client.get("/admin/companies?status=inactive")).text
    sorted_by_created = await client.get("/admin/companies?sort=created")
    assert sorted_by_created.text.index("Acme Rewards") < sorted_by_created.text.index("Globex")


async def test_the_list_pages_by_keyset(ui: StaffHarness) -> None:
    csrf = await csrf_of(ui.client)
    for n in range(51):
        await ui.client.post("/admin/companies", data={**VALID, "name": f"Bulk {n:02d}", "csrf_token": csrf})
    first = (await ui.client.get("/admin/companies?q=bulk")).text
    assert "Bulk 49" in first and "Bulk 50" not in first
    after = re.search(r'href="\?([^"]*after=[^"]+)"', first)
    assert after is not None
    second = (await ui.client.get("/admin/companies?" + after[1].replace("&amp;", "&"))).text
    assert "Bulk 50" in second and "Bulk 49" not in second


@pytest.mark.parametrize("name", ["q", "status", "sort", "after"])
@pytest.mark.parametrize("value", [SCRIPT, "' OR 1=1 --", "z" * 5000])
async def test_hostile_filters_are_shown_escaped(ui: StaffHarness, name: str, value: str) -> None:
    page = await ui.client.get("/admin/companies", params={name: value})
    assert page.status_code == 200
    assert_escaped(page.text)


# --- create and edit ---


async def test_create_a_company_see_it_and_its_audit_event(ui: StaffHarness) -> None:
    created = await ui.client.post("/admin/companies", data={**VALID, "csrf_token": await csrf_of(ui.client)})
    assert created.status_code == 303
    command = ui.registry.commands[-1]
    assert isinstance(command, CreateCompany)
    assert command.profile.notification_email == "ops@globex.test"  # empty: the contact address
    assert command.profile.ip_allowlist == ("10.0.0.0/24", "192.0.2.7/32")
    page = await ui.client.get(created.headers["location"])
    assert "The company was created." in page.text and "Globex Corporation" in page.text
    assert "company.create" in page.text.split('id="audit"')[1]


@pytest.mark.parametrize("field", list(VALID))
@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_input_in_any_create_field_is_refused_or_escaped(ui: StaffHarness, field: str, value: str) -> None:
    response = await ui.client.post("/admin/companies", data={**VALID, field: value, "csrf_token": await csrf_of(ui.client)})
    if response.status_code == 303:  # printable text the API accepts too: stored, shown escaped
        assert field in ("name", "legal_name", "registration_number", "address") and value in (SCRIPT, "' OR 1=1 --")
        assert_escaped((await ui.client.get(response.headers["location"])).text)
        return
    assert response.status_code in (413, 422)
    assert ui.registry.commands == []
    assert_escaped(response.text)
    if response.status_code == 422:
        assert 'aria-invalid="true"' in response.text


async def test_a_create_without_csrf_or_by_a_reader_writes_nothing(ui: StaffHarness) -> None:
    assert (await ui.client.post("/admin/companies", data=VALID)).status_code == 403
    csrf = await as_role(ui, Role.FINANCE)
    assert (await ui.client.post("/admin/companies", data={**VALID, "csrf_token": csrf})).status_code == 403
    assert ui.registry.commands == []


async def test_edit_sends_only_what_changed(ui: StaffHarness) -> None:
    form = await ui.client.get(f"/admin/companies/{COMPANY}/edit")
    assert 'value="Acme Rewards GmbH"' in form.text
    fields = {
        "name": "Acme Prime", "legal_name": "Acme Rewards GmbH", "country": "DE", "contact_email": "ops@acme.test",
        "notification_email": "ops@acme.test", "registration_number": "", "address": "", "ip_allowlist": "",
        "csrf_token": await csrf_of(ui.client),
    }  # fmt: skip
    saved = await ui.client.post(f"/admin/companies/{COMPANY}/edit", data=fields)
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=updated")
    command = ui.registry.commands[-1]
    assert isinstance(command, EditCompany) and command.changes == {"name": "Acme Prime"}
    again = await ui.client.post(f"/admin/companies/{COMPANY}/edit", data={**fields, "name": "Acme Prime"})
    assert again.headers["location"].endswith("done=unchanged") and len(ui.registry.commands) == 1
    bad = await ui.client.post(f"/admin/companies/{COMPANY}/edit", data={**fields, "country": SCRIPT})
    assert bad.status_code == 422 and "Two capital letters" in bad.text and len(ui.registry.commands) == 1
    assert_escaped(bad.text)


async def test_deactivate_asks_first_then_reactivate(ui: StaffHarness) -> None:
    csrf = await csrf_of(ui.client)
    asked = await ui.client.post(f"/admin/companies/{COMPANY}/deactivate", data={"csrf_token": csrf})
    assert asked.status_code == 200 and "You are about to deactivate Acme Rewards" in asked.text
    assert ui.registry.commands == []
    done = await ui.client.post(f"/admin/companies/{COMPANY}/deactivate", data={"csrf_token": csrf, "confirm": "yes"})
    assert done.status_code == 303
    assert isinstance(ui.registry.commands[-1], SetCompanyStatus)
    assert ui.registry.get(COMPANY).status is CompanyStatus.INACTIVE  # type: ignore[union-attr]
    page = (await ui.client.get(done.headers["location"])).text
    assert "deactivated" in page and f'/admin/companies/{COMPANY}/reactivate' in page
    assert "company.deactivate" in page
    await ui.client.post(f"/admin/companies/{COMPANY}/reactivate", data={"csrf_token": csrf, "confirm": "yes"})
    assert ui.registry.get(COMPANY).status is CompanyStatus.ACTIVE  # type: ignore[union-attr]


# --- the company page and who sees what ---


@pytest.mark.parametrize("role", list(Role))
async def test_the_company_page_offers_only_what_the_role_may_do(ui: StaffHarness, role: Role) -> None:
    await ui.ledger.submit(_top_up_envelope())
    await as_role(ui, role)
    page = await ui.client.get(f"/admin/companies/{COMPANY}")
    assert page.status_code == 200 and "Acme Rewards GmbH" in page.text
    html = page.text
    may = ui.users[role].may
    assert (f"/admin/companies/{COMPANY}/edit" in html) is may(P.COMPANIES_WRITE)
    assert (f"/admin/companies/{COMPANY}/deactivate" in html) is may(P.COMPANIES_WRITE)
    assert (f"/admin/companies/{COMPANY}/keys" in html) is may(P.API_KEYS_WRITE)
    assert ("/balance/top-up" in html) is may(P.BALANCES_WRITE)
    assert ("/balance/adjust" in html) is may(P.BALANCES_ADJUST)
    assert ("10.00" in html) is may(P.BALANCES_READ)
    assert ('id="audit"' in html) is may(P.AUDIT_READ)
    catalog = await ui.client.get(f"/admin/companies/{COMPANY}/catalog")
    assert catalog.status_code == 200
    assert ("Save the catalog" in catalog.text) is may(P.COMPANIES_WRITE)


@pytest.mark.parametrize("company_id", ["cmp_nope", SCRIPT, "' OR 1=1 --", "x" * 3000])
async def test_an_unknown_or_hostile_company_id_is_a_404_page(ui: StaffHarness, company_id: str) -> None:
    page = await ui.client.get(f"/admin/companies/{company_id}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert_escaped(page.text)


async def test_without_an_audit_port_the_page_says_so(admin_ui: StaffHarness) -> None:
    page = await admin_ui.client.get(f"/admin/companies/{COMPANY}")
    assert "The audit log is not available here." in page.text


# --- API keys ---


async def test_a_new_key_is_shown_once_and_revoked_after_confirming(ui: StaffHarness) -> None:
    client = ui.client
    csrf = await csrf_of(client)
    issued = await client.post(f"/admin/companies/{COMPANY}/keys", data={"mode": "live", "csrf_token": csrf})
    assert issued.status_code == 201 and "only time the key is shown" in issued.text
    secret = re.search(r'id="f-secret" type="text" value="(qk_live_[^"]+)"', issued.text)
    assert secret is not None and issued.headers["cache-control"] == "no-store"
    command = ui.registry.commands[-1]
    assert isinstance(command, CreateApiKey) and command.key_hash == hash_api_key(secret[1])
    page = (await client.get(f"/admin/companies/{COMPANY}")).text
    assert secret[1] not in page and command.key_prefix in page and "api_key.create" in page
    revoke = f"/admin/companies/{COMPANY}/keys/{command.key_prefix}/revoke"
    asked = await client.post(revoke, data={"csrf_token": csrf})
    assert "You are about to revoke the key" in asked.text and len(ui.registry.commands) == 1
    done = await client.post(revoke, data={"csrf_token": csrf, "confirm": "yes"})
    assert done.status_code == 303 and isinstance(ui.registry.commands[-1], RevokeApiKey)
    assert "api_key.revoke" in (await client.get(done.headers["location"])).text
    assert (await client.post(revoke, data={"csrf_token": csrf, "confirm": "yes"})).status_code == 404


@pytest.mark.parametrize("mode", ["", "prod", SCRIPT, "' OR 1=1 --", "test,live"])
async def test_a_key_of_no_known_mode_is_refused(ui: StaffHarness, mode: str) -> None:
    response = await ui.client.post(f"/admin/companies/{COMPANY}/keys", data={"mode": mode, "csrf_token": await csrf_of(ui.client)})
    assert response.status_code == 422 and ui.registry.commands == []
    assert_escaped(response.text)


@pytest.mark.parametrize("role", [Role.FINANCE, Role.RISK, Role.READ_ONLY])
async def test_only_key_writers_issue_keys(ui: StaffHarness, role: Role) -> None:
    csrf = await as_role(ui, role)
    response = await ui.client.post(f"/admin/companies/{COMPANY}/keys", data={"mode": "test", "csrf_token": csrf})
    assert response.status_code == 403 and ui.registry.commands == []


@pytest.mark.parametrize(
    "path",
    ["/admin/companies", f"/admin/companies/{COMPANY}/edit", f"/admin/companies/{COMPANY}/deactivate",
     f"/admin/companies/{COMPANY}/reactivate", f"/admin/companies/{COMPANY}/keys",
     f"/admin/companies/{COMPANY}/keys/qk_test_abcd/revoke", f"/admin/companies/{COMPANY}/catalog"],
)  # fmt: skip
async def test_every_post_without_the_csrf_token_is_refused(ui: StaffHarness, path: str) -> None:
    response = await ui.client.post(path, data={"confirm": "yes", "mode": "test", "name": "X"})
    assert response.status_code == 403 and "CSRF" in response.text
    assert ui.registry.commands == []


# --- catalog ---


async def test_the_catalog_saves_products_and_own_terms(ui: StaffHarness) -> None:
    form = {
        "csrf_token": await csrf_of(ui.client), "on.card-transfer-eur": "yes", "min.card-transfer-eur": "5.00",
        "max.card-transfer-eur": "1,000", "fee_fixed.card-transfer-eur": "0.30", "fee_bp.card-transfer-eur": "150",
        "on.zalando-50": "yes",
    }  # fmt: skip
    saved = await ui.client.post(f"/admin/companies/{COMPANY}/catalog", data=form)
    assert saved.status_code == 303, saved.text
    command = ui.registry.commands[-1]
    assert isinstance(command, SetCompanyCatalog)
    eur = command.products[0]
    assert (eur.product_id, eur.min_amount, eur.max_amount) == ("card-transfer-eur", 500, 100000)
    assert eur.fee is not None and (eur.fee.fixed, eur.fee.basis_points) == (30, 150)
    assert [p.product_id for p in command.products] == ["card-transfer-eur", "zalando-50"]
    again = (await ui.client.get(f"/admin/companies/{COMPANY}/catalog")).text
    assert re.search(r'name="fee_bp.card-transfer-eur" value="150"', again)
    assert re.search(r'name="max.card-transfer-eur" value="1000.00"', again)
    assert "company.catalog" in (await ui.client.get(f"/admin/companies/{COMPANY}")).text


@pytest.mark.parametrize("field", ["min", "max", "fee_fixed", "fee_bp"])
@pytest.mark.parametrize("value", [SCRIPT, "' OR 1=1 --", "abc", "-5", "1.234", "99999999999999", "10001"])
async def test_hostile_catalog_terms_are_refused(ui: StaffHarness, field: str, value: str) -> None:
    if field != "fee_bp" and value == "10001":
        value = "0.001"
    form = {"csrf_token": await csrf_of(ui.client), "on.card-transfer-eur": "yes", f"{field}.card-transfer-eur": value}
    response = await ui.client.post(f"/admin/companies/{COMPANY}/catalog", data=form)
    assert response.status_code == 422 and ui.registry.commands == []
    assert_escaped(response.text)


async def test_an_unknown_product_or_a_range_upside_down_is_refused(ui: StaffHarness) -> None:
    csrf = await csrf_of(ui.client)
    stranger = await ui.client.post(f"/admin/companies/{COMPANY}/catalog", data={"csrf_token": csrf, f"on.{SCRIPT}": "yes"})
    assert stranger.status_code == 422 and "There is no product ?" in stranger.text
    upside = await ui.client.post(f"/admin/companies/{COMPANY}/catalog", data={
        "csrf_token": csrf, "on.topup-de": "yes", "min.topup-de": "50", "max.topup-de": "10"})  # fmt: skip
    assert upside.status_code == 422 and "max_amount is below min_amount" in upside.text
    assert ui.registry.commands == []


async def test_only_company_writers_save_the_catalog(ui: StaffHarness) -> None:
    csrf = await as_role(ui, Role.FINANCE)
    response = await ui.client.post(f"/admin/companies/{COMPANY}/catalog", data={"csrf_token": csrf})
    assert response.status_code == 403 and ui.registry.commands == []


def _top_up_envelope() -> CommandEnvelope:
    command = BalanceCommand("seed-top-up", COMPANY, CommandKind.TOP_UP, "EUR", "seed", datetime.now(UTC), amount=1000)
    return CommandEnvelope("seed", command)
