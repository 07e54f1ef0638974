"""Staff fraud routes over fakes: the review queue, cases, assignments and notes, verdicts
through the intake (and its refusals), decisions, rule hits; every action audited."""

from __future__ import annotations

from domain.errors import Unavailable
from domain.fraud import ReviewAction
from domain.orders import OrderStatus
from domain.staff import Role
from tests.api.staff.conftest import COMPANY
from tests.api.staff.fraud_harness import Fraud
from tests.builders import T0
from tests.fraud_builders import M, order_id


async def test_queue_is_oldest_first_with_decisions_and_pages(fraud: Fraud) -> None:
    first = await fraud.call(Role.READ_ONLY, "GET", "/reviews", params={"limit": 2})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [i["order_id"] for i in body["data"]] == [order_id(1), order_id(2)]
    item = body["data"][0]
    assert item["amount"] == {"value": 1001, "currency": "EUR"} and item["case_id"] == f"case_{order_id(1)}"
    assert item["assignee"] is None and item["external_id"] == "ext-1"
    assert item["decision"] == {"outcome": "in_review", "score": 0.87, "points": 40, "fired_rules": ["many_to_one@3"],
                                "reasons": ["many users to one card"],
                                "top_features": ["distinct_users_24h", "amount_ratio"]}  # fmt: skip
    seen = [i["order_id"] for i in body["data"]]
    cursor = body["next_cursor"]
    while cursor:
        page = (await fraud.call(Role.RISK, "GET", "/reviews", params={"limit": 2, "cursor": cursor})).json()
        seen += [i["order_id"] for i in page["data"]]
        cursor = page["next_cursor"]
    assert seen == [order_id(n) for n in range(1, 6)]  # order 6 was approved: not in the queue

    other = (await fraud.call(Role.RISK, "GET", "/reviews", params={"company_id": "cmp_other"})).json()
    assert [i["order_id"] for i in other["data"]] == [order_id(3)]


async def test_assigning_shows_in_queue_and_case_and_is_audited(fraud: Fraud) -> None:
    risk = fraud.h.users[Role.RISK]
    case_id = f"case_{order_id(2)}"
    r = await fraud.call(Role.ADMIN, "POST", f"/cases/{case_id}/assign", json={"analyst_id": risk.id})
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "assigned" and r.json()["text"] == risk.id
    [event] = fraud.case_log.appended
    assert (event.company_id, event.order_id, event.actor) == (COMPANY, order_id(2), fraud.h.users[Role.ADMIN].id)
    [audit] = fraud.h.audit.events
    assert audit.action == "fraud.case_assign" and audit.target == case_id and audit.company_id == COMPANY
    assert audit.details["analyst_id"] == risk.id

    mine = (await fraud.call(Role.RISK, "GET", "/reviews", params={"assignee": risk.id})).json()
    assert [(i["order_id"], i["assignee"]) for i in mine["data"]] == [(order_id(2), risk.id)]
    cases = (await fraud.call(Role.RISK, "GET", "/cases", params={"assignee": risk.id, "status": "open"})).json()
    assert [c["case_id"] for c in cases["data"]] == [case_id]


async def test_a_retry_with_the_same_idempotency_key_appends_the_same_event(fraud: Fraud) -> None:
    headers = {"Idempotency-Key": "note-7"}
    path = f"/cases/case_{order_id(1)}/notes"
    one = await fraud.call(Role.RISK, "POST", path, json={"text": "called the partner"}, headers=headers)
    two = await fraud.call(Role.RISK, "POST", path, json={"text": "called the partner"}, headers=headers)
    assert one.status_code == two.status_code == 202 and one.json()["event_id"] == two.json()["event_id"]
    detail = (await fraud.call(Role.RISK, "GET", f"/cases/case_{order_id(1)}")).json()
    assert [e["kind"] for e in detail["timeline"]] == ["opened", "note"]  # stored once
    without_key = await fraud.call(Role.RISK, "POST", path, json={"text": "again"})
    assert without_key.json()["event_id"] != one.json()["event_id"]


async def test_case_detail_has_timeline_order_and_decision(fraud: Fraud) -> None:
    r = await fraud.call(Role.SUPPORT, "GET", f"/cases/case_{order_id(4)}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "open" and body["company_id"] == COMPANY and body["subject"] == "end_user:user-4"
    assert [e["kind"] for e in body["timeline"]] == ["opened"] and body["summary"] == "many users to one card"
    assert body["order"]["id"] == order_id(4) and body["order"]["status"] == "in_review"
    assert body["order"]["recipient"]["card_last4"] == "1111" and "card_token" not in body["order"]["recipient"]
    assert body["decision"]["features"] == {"distinct_users_24h": 9.0, "amount_ratio": 3.5}
    listing = (await fraud.call(Role.RISK, "GET", "/cases", params={"limit": 500})).json()
    assert len(listing["data"]) == 5 and listing["next_cursor"] is None
    assert listing["data"][0]["case_id"] == f"case_{order_id(5)}"  # newest opened first


async def test_review_goes_through_the_intake_and_a_second_verdict_is_refused(fraud: Fraud) -> None:
    body = {"action": "approve", "note": "known customer", "block": False}
    r = await fraud.call(Role.RISK, "POST", f"/orders/{order_id(1)}/review", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["order_id"] == order_id(1)
    [command] = fraud.reviews.commands
    assert (command.company_id, command.idempotency_key, command.action) == (COMPANY, "idem-1", ReviewAction.APPROVE)
    assert command.analyst == fraud.h.users[Role.RISK].id and command.note == "known customer"
    [audit] = fraud.h.audit.events
    assert audit.action == "fraud.review_approve" and audit.target == order_id(1)
    assert audit.details["command_id"] == command.command_id == r.json()["command_id"]

    again = await fraud.call(Role.RISK, "POST", f"/orders/{order_id(1)}/review", json={"action": "decline"})
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["type"].endswith("/review-refused") and "approved" in again.json()["detail"]
    assert len(fraud.h.audit.events) == 1  # a refused verdict is not recorded as done


async def test_decline_with_block_and_fraud_confirmed_later(fraud: Fraud) -> None:
    r = await fraud.call(Role.ADMIN, "POST", f"/orders/{order_id(2)}/review",
                         json={"action": "decline", "note": "mule", "block": True})  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "declined", r.text
    assert fraud.reviews.commands[-1].block is True
    later = await fraud.call(Role.RISK, "POST", f"/orders/{order_id(6)}/review", json={"action": "confirm_fraud"})
    assert later.status_code == 200 and later.json()["status"] == "approved", later.text  # labelled, not moved
    assert fraud.tables.orders[order_id(6)].status is OrderStatus.APPROVED


async def test_no_answer_in_time_is_a_503_problem(fraud: Fraud) -> None:
    fraud.reviews.silent = True
    r = await fraud.call(Role.RISK, "POST", f"/orders/{order_id(1)}/review", json={"action": "approve"})
    assert r.status_code == 503 and r.json()["type"].endswith("/command-timeout"), r.text
    assert r.headers["retry-after"] == "1"
    assert fraud.h.audit.events == []


async def test_a_review_done_but_not_yet_audited_is_a_503_to_retry(fraud: Fraud) -> None:
    """The soak: the intake declined the order, then the audit record met the broker
    restarting (LeaderNotAvailable) and the analyst got a 500. The same request again
    records it."""
    fraud.h.audit.refusal = Unavailable("The audit log did not take the record")
    headers = {"Idempotency-Key": "review-1"}
    r = await fraud.call(Role.RISK, "POST", f"/orders/{order_id(1)}/review", json={"action": "decline"}, headers=headers)
    assert r.status_code == 503 and r.json()["type"].endswith("/temporarily-unavailable"), r.text
    assert r.headers["content-type"].startswith("application/problem+json") and r.headers["retry-after"] == "1"
    assert len(fraud.reviews.commands) == 1 and fraud.h.audit.events == []
    fraud.h.audit.refusal = None
    again = await fraud.call(Role.RISK, "POST", f"/orders/{order_id(1)}/review", json={"action": "decline"}, headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "declined", again.text
    assert [e.action for e in fraud.h.audit.events] == ["fraud.review_decline"]
    assert fraud.reviews.commands[0].command_id == fraud.reviews.commands[1].command_id  # the same command


async def test_decision_and_rule_stats(fraud: Fraud) -> None:
    d = await fraud.call(Role.READ_ONLY, "GET", f"/decisions/{order_id(3)}")
    assert d.status_code == 200, d.text
    body = d.json()
    assert body["object"] == "decision" and body["company_id"] == "cmp_other" and body["model"] == "m-7"
    assert body["shadow_rules"] == ["card_testing@1"] and body["points"] == 40

    params = {"from": T0.isoformat(), "to": (T0 + 4 * M).isoformat()}  # orders 1-3
    stats = await fraud.call(Role.RISK, "GET", "/rule-stats", params=params)
    assert stats.status_code == 200, stats.text
    s = stats.json()
    assert s["decisions"] == 3 and s["from"].startswith("2026-11-26T12:00")
    assert {(r["rule_id"], r["version"], r["fired"], r["shadow"]) for r in s["rules"]} == {
        ("many_to_one", "3", 3, 0), ("card_testing", "1", 0, 3)}
    mine = (await fraud.call(Role.RISK, "GET", "/rule-stats", params={**params, "company_id": "cmp_other"})).json()
    assert mine["decisions"] == 1
