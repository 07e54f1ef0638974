"""Crafted rule contexts: a feature row and order attributes from one flat dict of names."""

from __future__ import annotations

from typing import Any

import numpy as np

from detectors.features.names import FEATURE_INDEX, FEATURE_NAMES, NO_FRAUD_YET
from detectors.rules import ORDER_ATTRIBUTES, OrderAttributes

# A quiet order: a returning end user paying a card it knows, a usual amount.
BENIGN: dict[str, Any] = {
    "amount": 2500, "hour": 14, "weekday": 2, "rcpt_is_card": True,
    "user_count_1h": 0, "user_count_24h": 1, "user_count_30d": 6, "user_sum_30d": 15000,
    "user_mean_30d": 2500.0, "user_amount_ratio_30d": 1.0, "user_amount_ratio_typical": 1.0,
    "user_distinct_rcpt_24h": 1, "rcpt_distinct_users_24h": 1, "rcpt_count_1h": 0,
    "rcpt_age_days": 40.0, "rcpt_days_since_known_fraud": NO_FRAUD_YET,
    "currency": "EUR", "card_bin": "411111", "recipient_kind": "card",
}  # fmt: skip
_ATTRIBUTE_FIELDS = ("company_id", "amount", "currency", "recipient_kind", "card_bin", "product_type", "sandbox")


def context(**changes: Any) -> dict[str, Any]:
    return {**BENIGN, **changes}


def batch(*contexts: dict[str, Any]) -> tuple[np.ndarray, list[OrderAttributes]]:
    """The feature matrix and attributes of orders given as {name: value} (unnamed: 0 / "")."""
    matrix = np.zeros((len(contexts), len(FEATURE_NAMES)))
    orders = []
    for i, c in enumerate(contexts):
        unknown = set(c) - set(FEATURE_INDEX) - set(ORDER_ATTRIBUTES) - set(_ATTRIBUTE_FIELDS)
        assert not unknown, unknown
        for name, value in c.items():
            if name in FEATURE_INDEX:
                matrix[i, FEATURE_INDEX[name]] = float(value)
        fields = {k: c[k] for k in _ATTRIBUTE_FIELDS if k in c}
        fields.setdefault("company_id", "c1")
        fields.setdefault("amount", int(c.get("amount", 0)))
        fields.setdefault("currency", "EUR")
        fields.setdefault("recipient_kind", "card")
        orders.append(OrderAttributes(**fields))
    return matrix, orders
