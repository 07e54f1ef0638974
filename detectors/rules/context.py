"""What a rule can read: every feature of `FEATURE_NAMES` plus a few attributes of the order.

Each name has a CEL type, checked when a rule is compiled (CEL does not coerce: `int + double`
is an error, so `user_mean_30d * 3` must be written `user_mean_30d * 3.0`; comparisons across
int and double are fine, `user_amount_ratio_30d > 5`).

Features (columns of the feature matrix, see detectors.features.names):
- bool: is_weekend, is_night, rcpt_is_card, rcpt_is_phone, user_rcpt_new
- double: the means, ratios and z-score of the user's amounts, rcpt_age_days,
  rcpt_days_since_known_fraud, rcpt_risk_ratio_*
- int: everything else — amount and the *_sum_* totals in minor units, counts, distinct
  counts, hour (0-23 UTC), weekday (Monday = 0), user_outliers_7d, rcpt_risk_count_*,
  rcpt_risk_frauds_*, rcpt_known_fraud_streak

Order attributes (`OrderAttributes`, not in the matrix):
- amount: int, minor units of `currency` (the exact order amount; the same as the feature)
- amount_major: int, whole major units, rounded down (1999 EUR cents → 19): thresholds that
  read the same across currencies with two decimals; still NOT converted between currencies
- currency: string, ISO 4217 ("EUR")
- product_type: string, the catalog product's type ("" when unknown)
- recipient_kind: string, "card" | "phone" | "email"
- card_bin: string, the first 6 digits of a card recipient, "" otherwise
- bin_country: string, ISO 3166 alpha-2 country of card_bin by the BIN directory, "" unknown
- company_id: string
- sandbox: bool, a sandbox (test) order
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from detectors.bins import SAMPLE_BINS, BinDirectory
from detectors.features.names import FEATURE_INDEX, FEATURE_NAMES
from domain.money import CURRENCY_EXPONENTS
from domain.orders import Order, RecipientKind


class CelType(str, enum.Enum):
    BOOL = "bool"
    INT = "int"
    DOUBLE = "double"
    STRING = "string"
    LIST = "list"  # only as a literal on the right of `in`

    @property
    def numeric(self) -> bool:
        return self is CelType.INT or self is CelType.DOUBLE


_BOOL_FEATURES = frozenset({"is_weekend", "is_night", "rcpt_is_card", "rcpt_is_phone", "user_rcpt_new"})
_DOUBLE_FEATURES = frozenset(
    name
    for name in FEATURE_NAMES
    if "_mean_" in name
    or "_ratio_" in name
    or "_z_" in name
    or name in ("rcpt_age_days", "rcpt_days_since_known_fraud")
)


def _feature_type(name: str) -> CelType:
    if name in _BOOL_FEATURES:
        return CelType.BOOL
    if name in _DOUBLE_FEATURES:
        return CelType.DOUBLE
    return CelType.INT


FEATURE_TYPES: Mapping[str, CelType] = {name: _feature_type(name) for name in FEATURE_NAMES}

ORDER_ATTRIBUTES: Mapping[str, CelType] = {
    "amount": CelType.INT,
    "amount_major": CelType.INT,
    "currency": CelType.STRING,
    "product_type": CelType.STRING,
    "recipient_kind": CelType.STRING,
    "card_bin": CelType.STRING,
    "bin_country": CelType.STRING,
    "company_id": CelType.STRING,
    "sandbox": CelType.BOOL,
}

# Every name a rule may use, with its type.
VOCABULARY: Mapping[str, CelType] = {**FEATURE_TYPES, **ORDER_ATTRIBUTES}


@dataclass(frozen=True, slots=True)
class OrderAttributes:
    """The order's own attributes next to its feature row."""

    company_id: str
    amount: int  # minor units
    currency: str
    recipient_kind: str  # RecipientKind value
    card_bin: str = ""
    product_type: str = ""
    sandbox: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError("amount must be an int of minor units")

    @property
    def amount_major(self) -> int:
        divisor: int = 10 ** CURRENCY_EXPONENTS.get(self.currency, 2)
        return self.amount // divisor


def attributes_for(order: Order) -> OrderAttributes:
    r = order.recipient
    return OrderAttributes(
        company_id=order.company_id,
        amount=order.amount.value,
        currency=order.amount.currency,
        recipient_kind=r.kind.value,
        card_bin=(r.card_bin or "") if r.kind is RecipientKind.CARD else "",
        product_type=order.product_type,
        sandbox=order.sandbox,
    )


def _attribute(orders: Sequence[OrderAttributes], name: str, bins: BinDirectory) -> np.ndarray:
    if name == "amount":
        return np.fromiter((o.amount for o in orders), dtype=np.int64, count=len(orders))
    if name == "amount_major":
        currencies = [o.currency for o in orders]
        divisors = {c: 10 ** CURRENCY_EXPONENTS.get(c, 2) for c in set(currencies)}
        amounts = np.fromiter((o.amount for o in orders), dtype=np.int64, count=len(orders))
        return amounts // np.fromiter((divisors[c] for c in currencies), dtype=np.int64, count=len(orders))
    if name == "sandbox":
        return np.fromiter((o.sandbox for o in orders), dtype=np.bool_, count=len(orders))
    if name == "bin_country":  # few distinct BINs per batch: one lookup each
        card_bins = [o.card_bin for o in orders]
        countries = {b: bins.country(b) for b in set(card_bins)}
        values = [countries[b] for b in card_bins]
    else:
        values = [getattr(o, name) for o in orders]
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def columns(
    names: frozenset[str], matrix: np.ndarray, orders: Sequence[OrderAttributes], bins: BinDirectory
) -> dict[str, np.ndarray]:
    """One array per name a rule set reads, for a batch: int64, float64, bool or object (str)."""
    if matrix.shape != (len(orders), len(FEATURE_NAMES)):
        raise ValueError(f"matrix {matrix.shape} does not match {len(orders)} orders × features")
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name in ORDER_ATTRIBUTES:
            out[name] = _attribute(orders, name, bins)
            continue
        column = matrix[:, FEATURE_INDEX[name]]
        kind = FEATURE_TYPES[name]
        if kind is CelType.BOOL:
            out[name] = column != 0
        elif kind is CelType.INT:
            out[name] = column.astype(np.int64)
        else:
            out[name] = column.astype(np.float64, copy=False)
    return out


def context_for(
    names: frozenset[str], row: np.ndarray, order: OrderAttributes, bins: BinDirectory = SAMPLE_BINS
) -> dict[str, Any]:
    """One order's values as plain Python (bool, int, float, str): the CEL package's input."""
    out: dict[str, Any] = {}
    for name in names:
        if name in ORDER_ATTRIBUTES:
            if name == "bin_country":
                out[name] = bins.country(order.card_bin)
            else:
                out[name] = getattr(order, name)
            continue
        value = float(row[FEATURE_INDEX[name]])
        kind = FEATURE_TYPES[name]
        out[name] = value != 0 if kind is CelType.BOOL else int(value) if kind is CelType.INT else value
    return out
