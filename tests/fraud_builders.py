"""Fraud test data: orders held for review, their decisions, case events and partner reports,
built with the domain's own functions (as the intake and the sink make them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.fraud import Assessment, CaseEvent, FraudReport, ReviewAction, ReviewCommand, opened_for_review
from domain.fraud_views import DecisionView
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from streams import fraud_messages as fm
from tests.builders import T0

M = timedelta(minutes=1)


def order_id(n: int) -> str:
    return f"ord_{n:032x}"


def held_order(n: int, company: str = "cmp_a", status: OrderStatus = OrderStatus.IN_REVIEW) -> Order:
    """Order n, created n minutes after T0, received then decided `status`."""
    at = T0 + n * M
    history = (StatusChange(OrderStatus.RECEIVED, "received", at), StatusChange(status, "velocity", at))
    return Order(
        id=order_id(n), company_id=company, idempotency_key=f"idem-{n}", product_id="card-transfer-eur",
        amount=Money(1000 + n, "EUR"), recipient=Recipient(RecipientKind.CARD, card_token="tok", card_bin="411111",
                                                            card_last4="1111"),
        end_user=EndUser(f"user-{n}"), created_at=at, history=history, external_id=f"ext-{n}",
        product_type="card_transfer",
    )  # fmt: skip


def moved_on(order: Order, status: OrderStatus) -> Order:
    return order.transition(status, "by analyst", order.updated_at + M)


def assessment(status: OrderStatus = OrderStatus.IN_REVIEW, score: float | None = 0.87) -> Assessment:
    return Assessment(
        status, ("many users to one card",), score, 40, ("many_to_one@3",), ("card_testing@1",), "m-7",
        ("distinct_users_24h", "amount_ratio"), {"distinct_users_24h": 9.0, "amount_ratio": 3.5},
    )  # fmt: skip


def decision(order: Order, a: Assessment | None = None) -> dict[str, Any]:
    """A decision as the sink decodes it from `fraud.decisions`."""
    return fm.decode_decision(fm.encode_decision(order, a or assessment(order.status)))


def decision_view(order: Order, a: Assessment | None = None) -> DecisionView:
    d = decision(order, a)
    return DecisionView(
        d["order_id"], d["company_id"], d["at"], d["outcome"], None if d["score"] < 0 else d["score"], d["points"],
        tuple(d["fired_rules"]), tuple(d["shadow_rules"]), tuple(d["reasons"]), d["model"],
        tuple(d["top_features"]), d["features"],
    )  # fmt: skip


def opened(order: Order) -> CaseEvent:
    return opened_for_review(order, assessment(order.status))


def review(order: Order, action: ReviewAction, n: int = 1) -> ReviewCommand:
    return ReviewCommand(f"cmd-{n}", action, order.company_id, order.id, order.idempotency_key, "stf_risk",
                         "looks like a mule", True, order.created_at + 5 * M)  # fmt: skip


def report(n: int, company: str = "cmp_a") -> FraudReport:
    return FraudReport(f"frr_{n:04d}", company, order_id(n), f"ext-{n}" if n % 2 else None, f"user-{n}",
                       "confirmed fraud", bool(n % 2), T0 + n * M)  # fmt: skip
