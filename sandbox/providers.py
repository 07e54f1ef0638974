"""The five simulated providers: paths, body validation and business rules."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from domain.sandbox_magic import MagicOutcome, magic_of_payout
from sandbox.config import SandboxConfig
from sandbox.state import SandboxState
from sandbox.validation import (
    luhn_check_digit,
    luhn_valid,
    optional_str,
    require_money,
    require_str,
)


class OutOfStock(Exception):
    """Gift stock is empty: answered 409 and nothing is executed or recorded."""


@dataclass(frozen=True)
class Outcome:
    status: str  # "accepted" | "completed" | "declined"
    decline_code: str | None = None
    decline_reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # Banks complete asynchronously: accepted now, completed after this delay.
    completes_after_ms: int | None = None
    # Executed at once, but the answer comes only after this delay (magic "timeout then
    # success"): the caller has given up by then and learns the result from a status query.
    answer_after_ms: int | None = None


def declined(code: str, reason: str) -> Outcome:
    return Outcome("declined", code, reason)


Validator = Callable[[dict[str, Any]], None]
Rules = Callable[[dict[str, Any], SandboxState, SandboxConfig], Outcome]


@dataclass(frozen=True)
class Provider:
    name: str
    resource: str  # path segment after /v1/
    # Validation is separate so the app can reject bad bodies before faults or idempotency.
    validate: Validator
    rules: Rules  # runs only on a validated body


def _validate_bank(body: dict[str, Any]) -> None:
    require_money(body, "amount")
    require_str(body, "card_number")
    require_str(body, "reference")


def _validate_card(body: dict[str, Any]) -> None:
    require_money(body, "amount")
    optional_str(body, "holder_email")


def _validate_gift(body: dict[str, Any]) -> None:
    require_str(body, "product_code")
    require_money(body, "denomination")


def _validate_topup(body: dict[str, Any]) -> None:
    require_str(body, "phone")
    require_money(body, "amount")


def _magic(card_number: str | None, phone: str | None, amount: int, config: SandboxConfig) -> Outcome | None:
    """The provider outcome a magic value asks for (domain/sandbox_magic.py); None: none."""
    magic = magic_of_payout(card_number, phone, amount)
    if magic is None:
        return None
    if magic.outcome is MagicOutcome.PROVIDER_DECLINE:
        return declined("provider_decline", f"declined by the provider ({magic.reason})")
    if magic.outcome is MagicOutcome.TIMEOUT_THEN_SUCCESS:
        return Outcome("completed", answer_after_ms=config.magic_answer_delay_ms)
    return None  # success, and the fraud check's outcomes: the provider pays as usual


def _bank_rules(body: dict[str, Any], state: SandboxState, config: SandboxConfig) -> Outcome:
    amount: int = body["amount"]["value"]
    card_number: str = body["card_number"]
    # Order matters: a bad number says nothing about its BIN, and limits come last.
    if not (12 <= len(card_number) <= 19) or not luhn_valid(card_number):
        return declined("invalid_card", "card number fails the Luhn check")
    magic = _magic(card_number, None, amount, config)
    if magic is not None:
        if magic.answer_after_ms is not None:  # a bank still completes asynchronously
            return replace(magic, status="accepted", completes_after_ms=config.bank_completion_delay_ms)
        return magic
    if card_number[:6] in config.blocked_bins:
        return declined("card_not_supported", "card BIN is not supported")
    if amount > config.bank_limit_minor:
        return declined("limit_exceeded", "amount above the transfer limit")
    return Outcome("accepted", completes_after_ms=config.bank_completion_delay_ms)


def _new_pan() -> str:
    partial = "5" + "".join(secrets.choice("0123456789") for _ in range(14))
    return partial + luhn_check_digit(partial)


def _card_rules(body: dict[str, Any], state: SandboxState, config: SandboxConfig) -> Outcome:
    magic = _magic(None, None, body["amount"]["value"], config)
    if magic is not None and magic.status == "declined":
        return magic
    today = date.today()
    expiry = f"{today.month:02d}/{(today.year + 3) % 100:02d}"
    cvv = f"{secrets.randbelow(1000):03d}"
    details = {"pan": _new_pan(), "expiry": expiry, "cvv": cvv}
    return replace(magic or Outcome("completed"), details=details)


def _gift_rules(body: dict[str, Any], state: SandboxState, config: SandboxConfig) -> Outcome:
    product_code: str = body["product_code"]
    if not state.take_code(product_code):
        raise OutOfStock(product_code)
    return Outcome("completed", details={"code": f"{product_code}-{secrets.token_hex(6).upper()}"})


# Longest prefix first so that a future overlapping prefix cannot shadow a longer one.
OPERATORS: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {"+4915": "telekom-de", "+4917": "vodafone-de", "+447": "ee-uk", "+1": "att-us"}.items(),
        key=lambda item: -len(item[0]),
    )
)


def operator_for(phone: str) -> str | None:
    return next((op for prefix, op in OPERATORS if phone.startswith(prefix)), None)


def _topup_rules(body: dict[str, Any], state: SandboxState, config: SandboxConfig) -> Outcome:
    phone: str = body["phone"]
    magic = _magic(None, phone, body["amount"]["value"], config)
    if magic is not None and magic.status == "declined":
        return magic
    operator = operator_for(phone)
    if operator is None:
        return declined("unknown_operator", "no operator for this number prefix")
    return replace(magic or Outcome("completed"), details={"operator": operator})


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("bank-a", "transfers", _validate_bank, _bank_rules),
        Provider("bank-b", "transfers", _validate_bank, _bank_rules),
        Provider("cards", "cards", _validate_card, _card_rules),
        Provider("gifts", "certificates", _validate_gift, _gift_rules),
        Provider("topup", "topups", _validate_topup, _topup_rules),
    )
}
