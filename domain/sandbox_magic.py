"""Magic values of the sandbox: card numbers, phone numbers and amounts that send a sandbox order
(one made with a `qk_test_` key) down a chosen path, so a partner can test every outcome
(docs/sandbox.md is the partner's table).

Two places act on them, each on what it sees:
- the fraud check (`detectors/sandbox.py`), for sandbox orders only: a value for review holds
  the order `in_review`, one for a fraud decline declines it, and every other magic value
  approves it whatever the rules, lists or model say (so the provider outcome it asks for
  happens every time, however often a test pays the same card);
- the provider sandbox (`sandbox/providers.py`): a value for a provider decline is declined
  (`provider_decline`), one for a timeout then success is paid but answered only after the
  caller has given up, so dispatch learns the result from its status query.

One value decides an order: the recipient's (card or phone) when it is magic, else the amount's.
Cards are matched by their full number where the number is known (the provider sandbox) and by
BIN and last four where only those are (the fraud check never sees a clear number): the magic
cards share the test BIN 424242 and differ in their last four.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class MagicOutcome(str, enum.Enum):
    SUCCESS = "success"  # approved, paid, completed
    PROVIDER_DECLINE = "provider_decline"  # approved, declined by the provider: failed
    TIMEOUT_THEN_SUCCESS = "timeout_then_success"  # approved, the provider's answer times out; completed
    REVIEW = "review"  # held by the fraud check: in_review
    FRAUD_DECLINE = "fraud_decline"  # declined by the fraud check

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


MAGIC_CARDS: dict[str, MagicOutcome] = {
    "4242424242424242": MagicOutcome.SUCCESS,
    "4242424242400002": MagicOutcome.PROVIDER_DECLINE,
    "4242424242490003": MagicOutcome.TIMEOUT_THEN_SUCCESS,
    "4242424242480004": MagicOutcome.REVIEW,
    "4242424242470005": MagicOutcome.FRAUD_DECLINE,
}
# +1 500 555 …: a North American range of personal numbers, the kind test numbers come from.
MAGIC_PHONES: dict[str, MagicOutcome] = {
    "+15005550001": MagicOutcome.SUCCESS,
    "+15005550002": MagicOutcome.PROVIDER_DECLINE,
    "+15005550003": MagicOutcome.TIMEOUT_THEN_SUCCESS,
    "+15005550004": MagicOutcome.REVIEW,
    "+15005550005": MagicOutcome.FRAUD_DECLINE,
}
# Minor units, any currency: 99.01 … 99.05 in a two-decimal one. Within every range product of
# the sandbox catalog (top-ups 5.00-100.00, virtual cards 5.00-500.00, card transfers).
MAGIC_AMOUNTS: dict[int, MagicOutcome] = {
    9901: MagicOutcome.SUCCESS,
    9902: MagicOutcome.PROVIDER_DECLINE,
    9903: MagicOutcome.TIMEOUT_THEN_SUCCESS,
    9904: MagicOutcome.REVIEW,
    9905: MagicOutcome.FRAUD_DECLINE,
}
_CARDS_BY_BIN_LAST4 = {(number[:6], number[-4:]): outcome for number, outcome in MAGIC_CARDS.items()}


@dataclass(frozen=True, slots=True)
class Magic:
    outcome: MagicOutcome
    source: str  # "card", "phone" or "amount": what carried it

    @property
    def reason(self) -> str:
        return f"sandbox: magic {self.source} for {self.outcome.label}"


def magic_of_order(card_bin: str | None, card_last4: str | None, phone: str | None, amount: int) -> Magic | None:
    """What an order asks for, seen as the fraud check sees it (no clear card number)."""
    if card_bin and card_last4:
        card = _CARDS_BY_BIN_LAST4.get((card_bin, card_last4))
        if card is not None:
            return Magic(card, "card")
    return _phone_or_amount(phone, amount)


def magic_of_payout(card_number: str | None, phone: str | None, amount: int) -> Magic | None:
    """What a payout asks for, seen as a provider sees it (the clear card number)."""
    if card_number:
        card = MAGIC_CARDS.get(card_number)
        if card is not None:
            return Magic(card, "card")
    return _phone_or_amount(phone, amount)


def _phone_or_amount(phone: str | None, amount: int) -> Magic | None:
    if phone:
        found = MAGIC_PHONES.get(phone)
        if found is not None:
            return Magic(found, "phone")
    by_amount = MAGIC_AMOUNTS.get(amount)
    return Magic(by_amount, "amount") if by_amount is not None else None
