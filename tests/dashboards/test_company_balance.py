"""Balance actions on the company page: a form, a confirmation step, then the ledger command
once (a double-submitted confirmation moves money once); roles, CSRF and hostile input."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest

from dashboards.i18n import Translator, UiLocale
from dashboards.pages.company_balance import ACTIONS, FormErrors, check
from domain.ledger import Account, BalanceStatus
from domain.staff import Permission as P
from domain.staff import Role
from tests.api.staff.conftest import COMPANY, StaffHarness
from tests.dashboards.conftest import csrf_of
from tests.dashboards.fakes import RecordedAuditFeed
from tests.dashboards.test_companies import SCRIPT, as_role, assert_escaped

BASE = f"/admin/companies/{COMPANY}/balance"
# Each action with valid fields, and what the account shows afterwards.
CASES = {
    "top-up": ({"amount": "1,234.56", "reference": "wire 42"}, lambda a: a.available == 100000 + 123456),
    "adjust": ({"amount": "-0.56", "reason": "bank fee"}, lambda a: a.available == 100000 - 56),
    "credit-limit": ({"credit_limit": "500"}, lambda a: a.credit_limit == 50000),
    "threshold": ({"threshold": "250.5"}, lambda a: a.low_balance_threshold == 25050),
    "limits": (
        {"per_order": "100", "per_day": "", "per_month": "9 000", "per_end_user_day": "50",
         "per_product_day": "card-transfer-eur 20.00\n\nzalando-50 10"},
        lambda a: (a.limits.per_order, a.limits.per_day, a.limits.per_month, a.limits.per_end_user_day,
                   a.limits.per_product_day) == (10000, None, 900000, 5000, (("card-transfer-eur", 2000), ("zalando-50", 1000))),
    ),
    "block": ({"reason": "chargebacks"}, lambda a: a.status is BalanceStatus.BLOCKED),
    "unblock": ({}, lambda a: a.status is BalanceStatus.ACTIVE),
}  # fmt: skip
PERMISSION = {"adjust": P.BALANCES_ADJUST}  # the rest need balances.write


@pytest.fixture
async def ui(admin_ui: StaffHarness) -> AsyncIterator[StaffHarness]:
    assert admin_ui.app is not None
    admin_ui.app.state.company_audit = RecordedAuditFeed(admin_ui.audit)
    yield admin_ui


def account(ui: StaffHarness, currency: str = "EUR") -> Account:
    book = ui.ledger.book(COMPANY)
    found = book.account(currency) if book else None
    assert found is not None
    return found


async def ask(client: httpx.AsyncClient, slug: str, fields: dict[str, str], currency: str = "EUR") -> httpx.Response:
    """The first (validating) post."""
    data = {"csrf_token": await csrf_of(client), "currency": currency, **fields}
    return await client.post(f"{BASE}/{slug}", data=data)


def confirmation(page: httpx.Response) -> dict[str, str]:
    """The confirmation form's hidden fields, as the Confirm button posts them."""
    assert page.status_code == 200, page.text[-2000:]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    return {k: v.replace("&amp;", "&").replace("&#34;", '"').replace("&#39;", "'") for k, v in fields.items()}


async def do(client: httpx.AsyncClient, slug: str, fields: dict[str, str], currency: str = "EUR") -> httpx.Response:
    hidden = confirmation(await ask(client, slug, fields, currency))
    return await client.post(f"{BASE}/{slug}", data={**hidden, "confirm": "yes"})


async def test_a_top_up_asks_first_then_credits_once_however_often_confirmed(ui: StaffHarness) -> None:
    asked = await ask(ui.client, "top-up", {"amount": "1,000", "reference": "wire 7"}, "RUB")
    assert "You are about to top up 1,000.00\u00a0RUB to the RUB balance of Acme Rewards." in asked.text
    assert ui.ledger.received == []  # nothing happens before the confirmation
    hidden = confirmation(asked)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", hidden["key"])
    first = await ui.client.post(f"{BASE}/top-up", data={**hidden, "confirm": "yes"})
    assert first.status_code == 303 and first.headers["location"].endswith("?done=balance.top_up#balances")
    second = await ui.client.post(f"{BASE}/top-up", data={**hidden, "confirm": "yes"})  # a double click
    assert second.status_code == 303
    assert account(ui, "RUB").available == 100000  # credited once
    assert {e.command.command_id for e in ui.ledger.received} == {f"top-up:{hidden['key']}"}
    page = (await ui.client.get(first.headers["location"])).text
    assert "The top-up is done." in page and "1,000.00\u00a0RUB" in page
    audit = page.split('id="audit"')[1]
    assert "balance.top_up" in audit and "reference=wire 7" in audit
    # Asking again is a new top-up with a new key.
    again = confirmation(await ask(ui.client, "top-up", {"amount": "1,000", "reference": ""}, "RUB"))
    assert again["key"] != hidden["key"]


async def test_change_goes_back_to_the_form_with_the_values(ui: StaffHarness) -> None:
    hidden = confirmation(await ask(ui.client, "top-up", {"amount": "12.5", "reference": SCRIPT}))
    back = await ui.client.post(f"{BASE}/top-up", data={**hidden, "confirm": "edit"})
    assert back.status_code == 200 and 'value="12.5"' in back.text and ui.ledger.received == []
    assert_escaped(back.text)


@pytest.mark.parametrize("slug", list(CASES))
async def test_every_action_through_its_confirmation(ui: StaffHarness, slug: str) -> None:
    await do(ui.client, "top-up", {"amount": "1000", "reference": ""})
    if slug == "unblock":
        await do(ui.client, "block", {"reason": "x"})
    fields, holds = CASES[slug]
    done = await do(ui.client, slug, fields)
    assert done.status_code == 303, done.text[-2000:]
    assert holds(account(ui))
    name = ui.ledger.received[-1].command.kind.value
    page = (await ui.client.get(done.headers["location"])).text
    assert f"balance.{name}" in page.split('id="audit"')[1]


@pytest.mark.parametrize("slug", [s for s in CASES if CASES[s][0]])
@pytest.mark.parametrize("value", [SCRIPT, "' OR 1=1 --", "abc", "1e9", "-", "1.001", "99999999999999999", "x" * 60_000])
async def test_hostile_input_in_any_field_is_refused_and_nothing_moves(ui: StaffHarness, slug: str, value: str) -> None:
    fields, _ = CASES[slug]
    for name in fields:
        if name in ("reference", "reason") and len(value) < 1000:
            continue  # free text: any printable words are a reason (shown escaped below)
        response = await ask(ui.client, slug, {**fields, name: value})
        assert response.status_code in (413, 422), (name, response.status_code)
        assert_escaped(response.text)
    assert ui.ledger.received == []


@pytest.mark.parametrize("slug", ["top-up", "block"])
async def test_free_text_is_shown_escaped_on_the_confirmation(ui: StaffHarness, slug: str) -> None:
    fields = {"amount": "1", "reference": SCRIPT} if slug == "top-up" else {"reason": SCRIPT}
    page = await ask(ui.client, slug, fields)
    assert page.status_code == 200 and "&lt;script&gt;" in page.text
    assert_escaped(page.text)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"amount": "0"}, "Enter an amount above zero."),
        ({"amount": "-5"}, "The amount cannot be negative."),
        ({"amount": ""}, "Enter an amount."),
        ({"amount": "1.234"}, "Too many decimal places"),
        ({"amount": "1", "currency": "XXX"}, "Choose a currency from the list."),
        ({"amount": "1", "currency": SCRIPT}, "Choose a currency from the list."),
        ({"amount": "1", "reference": "r" * 201}, "Too long."),
    ],
)
async def test_a_wrong_top_up_says_why(ui: StaffHarness, fields: dict[str, str], message: str) -> None:
    response = await ask(ui.client, "top-up", {"reference": "", **fields}, fields.get("currency", "EUR"))
    assert response.status_code == 422 and message in response.text
    assert 'aria-invalid="true"' in response.text and ui.ledger.received == []


async def test_a_confirmation_edited_in_between_is_checked_again(ui: StaffHarness) -> None:
    hidden = confirmation(await ask(ui.client, "top-up", {"amount": "10", "reference": ""}))
    for tampered in ({"amount": "abc"}, {"key": SCRIPT}, {"key": ""}, {"key": "k" * 65}, {"currency": "ZZZ"}):
        response = await ui.client.post(f"{BASE}/top-up", data={**hidden, **tampered, "confirm": "yes"})
        assert response.status_code == 422
        assert_escaped(response.text)
    assert ui.ledger.received == []


async def test_a_refused_adjustment_shows_the_ledgers_reason(ui: StaffHarness) -> None:
    response = await do(ui.client, "adjust", {"amount": "-5", "reason": "fee"})
    assert response.status_code == 409 and "below its credit limit" in response.text
    assert ui.ledger.book(COMPANY) is None


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("slug", list(CASES))
async def test_each_action_is_offered_and_allowed_only_with_its_permission(ui: StaffHarness, role: Role, slug: str) -> None:
    csrf = await as_role(ui, role)
    allowed = ui.users[role].may(PERMISSION.get(slug, P.BALANCES_WRITE))
    assert (await ui.client.get(f"{BASE}/{slug}?currency=EUR")).status_code == (200 if allowed else 403)
    fields, _ = CASES[slug]
    response = await ui.client.post(f"{BASE}/{slug}", data={"csrf_token": csrf, "currency": "EUR", **fields})
    assert response.status_code == (200 if allowed else 403)
    assert ui.ledger.received == []


async def test_posts_without_csrf_and_unknown_actions_are_refused(ui: StaffHarness) -> None:
    hidden = confirmation(await ask(ui.client, "top-up", {"amount": "10", "reference": ""}))
    del hidden["csrf_token"]
    assert (await ui.client.post(f"{BASE}/top-up", data={**hidden, "confirm": "yes"})).status_code == 403
    assert (await ui.client.get(f"{BASE}/withdraw-all")).status_code == 404
    assert (await ui.client.get("/admin/companies/cmp_nope/balance/top-up")).status_code == 404
    assert ui.ledger.received == []


async def test_settings_forms_start_from_the_current_settings(ui: StaffHarness) -> None:
    await do(ui.client, "limits", CASES["limits"][0])
    form = (await ui.client.get(f"{BASE}/limits?currency=EUR")).text
    assert 'value="100.00"' in form and "card-transfer-eur 20.00" in form and 'value="9000.00"' in form


def test_in_russian_amounts_are_typed_and_confirmed_as_in_russia() -> None:
    # The viewer's language on main is always English (staff users get a locale later), so
    # the check itself is run for a Russian-speaking viewer.
    viewer = SimpleNamespace(locale=UiLocale.RU, t=Translator(UiLocale.RU))
    checked = check(ACTIONS["top-up"], {"amount": "1 000,00", "reference": ""}, "RUB", viewer)  # type: ignore[arg-type]
    assert checked.command["amount"] == 100000 and checked.amount == "1\u00a0000,00\u00a0₽"
    sentence = viewer.t("companies.balance.confirm.top_up", amount=checked.amount, currency="RUB", company="Acme")
    assert sentence == "Вы собираетесь пополнить на 1\u00a0000,00\u00a0₽ баланс в RUB компании Acme."
    with pytest.raises(FormErrors) as refused:
        check(ACTIONS["adjust"], {"amount": "1,234", "reason": "x"}, "RUB", viewer)  # type: ignore[arg-type]
    assert refused.value.found == {"amount": "Слишком много знаков после запятой для этой валюты."}
