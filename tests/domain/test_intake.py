from __future__ import annotations

import pytest

from detectors.policy import approve_all
from domain.events import events_for
from domain.intake import Admission, Decision, IntakeEntry, admit
from domain.orders import OrderStatus
from tests.builders import order_request


def test_a_new_key_creates_an_order_with_received_then_decision_events() -> None:
    request = order_request()
    result = admit(request, None, approve_all)

    assert result.admission is Admission.CREATED
    assert result.order is not None
    assert result.order.id == f"ord_{request.request_id}"
    assert [c.status for c in result.order.history] == [OrderStatus.RECEIVED, OrderStatus.APPROVED]
    assert [e.event_id for e in result.events] == [f"{result.order.id}:1", f"{result.order.id}:2"]
    assert [e.order.status for e in result.events] == [OrderStatus.RECEIVED, OrderStatus.APPROVED]
    assert result.entry == IntakeEntry(request.request_id, request.body_hash, result.order)


def test_the_decision_comes_from_the_policy_collaborator() -> None:
    def decline(order: object) -> Decision:
        return Decision(OrderStatus.DECLINED, "blocked end user")

    result = admit(order_request(), None, decline)
    assert result.order is not None
    assert result.order.status is OrderStatus.DECLINED
    assert result.order.history[-1].reason == "blocked end user"


@pytest.mark.parametrize(
    ("request_id", "body_hash", "admission", "emits", "has_order"),
    [
        # the log redelivers the creating message: same answer, same events again
        ("01a2000000000000000000000000000a", "hash-1", Admission.CREATED, 2, True),
        # a client retry with the same body: the original order, nothing emitted
        ("01a2000000000000000000000000000b", "hash-1", Admission.REPLAYED, 0, True),
        # the same key with another body: refused
        ("01a2000000000000000000000000000b", "hash-2", Admission.CONFLICT, 0, False),
    ],
)
def test_an_existing_key(
    request_id: str, body_hash: str, admission: Admission, emits: int, has_order: bool
) -> None:
    first = admit(order_request(), None, approve_all)
    assert first.entry is not None

    again = admit(order_request(request_id=request_id, body_hash=body_hash), first.entry, approve_all)

    assert again.admission is admission
    assert again.entry is None  # nothing to store: the entry stays as it was
    assert len(again.events) == emits
    assert (again.order == first.order) if has_order else again.order is None
    if emits:
        assert again.events == first.events


def test_redelivery_without_stored_entry_recreates_the_identical_order() -> None:
    # The table write was lost in a crash but the outputs went out: replay must match them.
    first = admit(order_request(), None, approve_all)
    second = admit(order_request(), None, approve_all)
    assert first == second


def test_terminal_orders_refuse_transitions() -> None:
    def decline(order: object) -> Decision:
        return Decision(OrderStatus.DECLINED, "no")

    order = admit(order_request(), None, decline).order
    assert order is not None
    with pytest.raises(ValueError, match="no further transitions"):
        order.transition(OrderStatus.APPROVED, "late", order.updated_at)


def test_events_carry_the_order_as_of_each_transition() -> None:
    order = admit(order_request(), None, approve_all).order
    assert order is not None
    events = events_for(order)
    assert [e.order.version for e in events] == [1, 2]
    assert events_for(order, since=1) == events[1:]
