"""Provider-side magic values (domain/sandbox_magic.py): a decline, and a payout whose answer
comes too late, so the caller learns from a status query that it was paid."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from domain.money import Money
from providers.banks import bank_a
from providers.base import OutcomeState, PayoutRequest, ProductType, ProviderConfig
from providers.topups import TopUpProvider
from sandbox import SandboxConfig, create_sandbox_app
from tests.sandbox.support import body_for, eur, executions, pay, status_of

ANSWER_DELAY_MS = 400


@pytest.fixture
async def slow_client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_sandbox_app(SandboxConfig(bank_completion_delay_ms=50, magic_answer_delay_ms=ANSWER_DELAY_MS))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as c:
        yield c


# (name, provider, body overrides, status, decline code)
ANSWERED: list[tuple[str, str, dict[str, Any], str, str | None]] = [
    ("bank: magic decline card", "bank-a", {"card_number": "4242424242400002"}, "declined", "provider_decline"),
    ("bank: magic decline amount", "bank-b", {"amount": eur(9902)}, "declined", "provider_decline"),
    ("bank: magic success card", "bank-a", {"card_number": "4242424242424242"}, "accepted", None),
    ("bank: magic review card is paid if it gets here", "bank-a", {"card_number": "4242424242480004"}, "accepted",
     None),
    ("bank: the card decides over the amount", "bank-a", {"card_number": "4242424242424242", "amount": eur(9902)},
     "accepted", None),
    ("bank: Luhn still first", "bank-a", {"card_number": "4242424242400003", "amount": eur(9902)}, "declined",
     "invalid_card"),
    ("top-up: magic decline phone", "topup", {"phone": "+15005550002"}, "declined", "provider_decline"),
    ("top-up: magic decline amount", "topup", {"amount": eur(9902)}, "declined", "provider_decline"),
    ("top-up: magic success phone", "topup", {"phone": "+15005550001"}, "completed", None),
    ("virtual card: magic decline amount", "cards", {"amount": eur(9902)}, "declined", "provider_decline"),
    ("virtual card: magic success amount", "cards", {"amount": eur(9901)}, "completed", None),
    ("gift: denominations carry no magic", "gifts", {"denomination": eur(9902)}, "completed", None),
]  # fmt: skip


@pytest.mark.parametrize(("provider", "overrides", "status", "code"), [c[1:] for c in ANSWERED],
                         ids=[c[0] for c in ANSWERED])  # fmt: skip
async def test_magic_values_answered_at_once(
    slow_client: httpx.AsyncClient, provider: str, overrides: dict[str, Any], status: str, code: str | None
) -> None:
    body = body_for(provider, **overrides)
    r = await pay(slow_client, provider, body)
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["decline_code"]) == (status, code)
    executed = (await executions(slow_client)).get(provider, {})
    assert (body["order_id"] in executed) is (status != "declined")  # a decline moves no money


@pytest.mark.parametrize(
    ("provider", "overrides", "final"),
    [
        ("bank-a", {"card_number": "4242424242490003"}, "completed"),
        ("bank-b", {"amount": eur(9903)}, "completed"),
        ("topup", {"phone": "+15005550003"}, "completed"),
        ("topup", {"amount": eur(9903)}, "completed"),
        ("cards", {"amount": eur(9903)}, "completed"),
    ],
)
async def test_magic_timeout_executes_at_once_and_answers_late(
    slow_client: httpx.AsyncClient, provider: str, overrides: dict[str, Any], final: str
) -> None:
    body = body_for(provider, **overrides)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pay(slow_client, provider, body), timeout=0.1)
    assert (await executions(slow_client))[provider] == {body["order_id"]: 1}
    await asyncio.sleep(0.1)  # a bank completes asynchronously (50 ms here)
    status = await status_of(slow_client, provider, body["order_id"])
    assert status.json()["status"] == final
    again = await pay(slow_client, provider, body)  # a repeat replays at once, paying nothing more
    assert again.status_code == 200 and (await executions(slow_client))[provider] == {body["order_id"]: 1}


async def test_the_late_answer_still_comes(slow_client: httpx.AsyncClient) -> None:
    r = await pay(slow_client, "topup", body_for("topup", phone="+15005550003"))
    assert r.status_code == 201 and r.json()["status"] == "completed"


CONFIG = ProviderConfig(timeout_s=0.1, max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.02)


@pytest.mark.parametrize(
    ("make", "request_"),
    [
        (lambda c: bank_a(c, CONFIG),
         PayoutRequest("ord_m1", ProductType.CARD_TRANSFER, Money(1500, "EUR"), card_number="4242424242490003")),
        (lambda c: TopUpProvider(c, CONFIG),
         PayoutRequest("ord_m2", ProductType.MOBILE_TOPUP, Money(9903, "EUR"), phone="+4915112345678")),
    ],
)  # fmt: skip
async def test_the_adapter_times_out_and_learns_the_payout_from_the_status_query(
    slow_client: httpx.AsyncClient, make, request_: PayoutRequest  # type: ignore[no-untyped-def]
) -> None:
    provider = make(slow_client)
    outcome = await provider.pay(request_)
    if outcome.state is OutcomeState.PENDING:  # banks complete asynchronously
        await asyncio.sleep(0.1)
        outcome = await provider.status(request_.order_id)
    assert outcome.state is OutcomeState.PAID, outcome
    assert (await executions(slow_client)) == {provider.name: {request_.order_id: 1}}


async def test_the_default_late_answer_outlasts_dispatch_s_timeout() -> None:
    assert SandboxConfig().magic_answer_delay_ms / 1000 > ProviderConfig().timeout_s
