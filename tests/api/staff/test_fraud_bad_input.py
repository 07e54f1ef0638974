"""Bad input to the staff fraud routes gets a clear 4xx problem and writes nothing: malformed
JSON, wrong types, oversized or hostile notes, injection attempts in filters, unknown ids,
foreign cursors; and each role gets exactly what its row allows (support and read-only read,
never act)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.fraud import CaseEvent, CaseEventKind
from domain.staff import Role
from tests.api.staff.fraud_harness import Fraud
from tests.fraud_builders import order_id

CASE = f"/cases/case_{order_id(1)}"
REVIEW = f"/orders/{order_id(1)}/review"
INJECTIONS = ["cmp_seeded' OR 1=1 --", "x'); DROP TABLE orders; --", "{company_id:String}", "cmp_%", "cmp_a\x00"]


def _problem(r: Any, status: int, slug: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["type"].endswith("/" + slug), body
    return body


BAD_BODIES: list[tuple[str, Any, int, str, str]] = [
    # (path, raw body or JSON, status, slug, field pointer or "")
    (REVIEW, b"{not json", 400, "malformed-json", ""),
    (REVIEW, [], 422, "validation-failed", ""),
    (REVIEW, {"action": "refund"}, 422, "validation-failed", "/action"),
    (REVIEW, {"action": 1}, 422, "validation-failed", "/action"),
    (REVIEW, {"action": "approve", "block": "yes"}, 422, "validation-failed", "/block"),
    (REVIEW, {"action": "approve", "note": 5}, 422, "validation-failed", "/note"),
    (REVIEW, {"action": "approve", "note": "x" * 2001}, 422, "validation-failed", "/note"),
    (REVIEW, {"action": "approve", "note": "card 4111 1111 1111 1111"}, 422, "validation-failed", "/note"),
    (REVIEW, {"action": "approve", "note": "bell\x07"}, 422, "validation-failed", "/note"),
    (REVIEW, {"action": "approve", "analyst": "someone_else"}, 422, "validation-failed", "/analyst"),
    (REVIEW, {}, 422, "validation-failed", "/action"),
    (CASE + "/notes", {"text": ""}, 422, "validation-failed", "/text"),
    (CASE + "/notes", {"text": "   "}, 422, "validation-failed", "/text"),
    (CASE + "/notes", {"text": "y" * 2001}, 422, "validation-failed", "/text"),
    (CASE + "/notes", {"text": ["a"]}, 422, "validation-failed", "/text"),
    (CASE + "/notes", {"text": "pan 5500-0000-0000-0004 seen"}, 422, "validation-failed", "/text"),
    (CASE + "/notes", {"text": "<script>\x1b[31m</script>"}, 422, "validation-failed", "/text"),
    (CASE + "/assign", {"analyst_id": 42}, 422, "validation-failed", "/analyst_id"),
    (CASE + "/assign", {"analyst_id": "stf_x' OR 1=1"}, 422, "validation-failed", "/analyst_id"),
    (CASE + "/assign", {"analyst_id": "stf_nobody"}, 422, "validation-failed", "/analyst_id"),
    (CASE + "/assign", {"analyst_id": "stf_risk2", "extra": 1}, 422, "validation-failed", "/extra"),
]


@pytest.mark.parametrize(("path", "body", "status", "slug", "pointer"), BAD_BODIES,
                         ids=[f"{i}" for i in range(len(BAD_BODIES))])  # fmt: skip
async def test_bad_bodies_are_refused_and_change_nothing(
    fraud: Fraud, path: str, body: Any, status: int, slug: str, pointer: str
) -> None:
    kw: dict[str, Any] = {"content": body, "headers": {"Content-Type": "application/json"}} if isinstance(
        body, bytes) else {"json": body}  # fmt: skip
    problem = _problem(await fraud.call(Role.RISK, "POST", path, **kw), status, slug)
    if pointer:
        assert pointer in [e["pointer"] for e in problem.get("errors", [])], problem
    assert fraud.written() == (0, 0, 0)


async def test_wrong_media_type_unknown_ids_and_resolved_cases(fraud: Fraud) -> None:
    r = await fraud.call(Role.RISK, "POST", REVIEW, content=b"action=approve",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    _problem(r, 415, "unsupported-media-type")
    for path in (f"/orders/{order_id(99)}/review", "/orders/ord_1'%20OR%201=1/review", "/orders/x/review"):
        _problem(await fraud.call(Role.RISK, "POST", path, json={"action": "approve"}), 404, "not-found")
    for path in ("/cases/case_nope/notes", "/cases/nope'--/notes", "/cases/" + "case_" + "a" * 300 + "/notes"):
        _problem(await fraud.call(Role.RISK, "POST", path, json={"text": "hi"}), 404, "not-found")
    for path in ("/cases/case_nope", f"/decisions/{order_id(99)}", "/decisions/ord_x' OR 1=1"):
        _problem(await fraud.call(Role.RISK, "GET", path), 404, "not-found")
    support = fraud.h.users[Role.SUPPORT].id  # exists, but may not review
    _problem(await fraud.call(Role.RISK, "POST", CASE + "/assign", json={"analyst_id": support}), 422,
             "validation-failed")  # fmt: skip
    assert fraud.written() == (0, 0, 0)

    done = await fraud.call(Role.RISK, "POST", REVIEW, json={"action": "decline"})
    assert done.status_code == 200
    resolved = CaseEvent("resolved", f"case_{order_id(1)}", CaseEventKind.RESOLVED, fraud.h.now(), "intake",
                         "cmp_seeded", order_id(1), "", "decline: declined")  # fmt: skip
    fraud.tables.events[resolved.event_id] = resolved  # the intake's resolution, as the sink stores it
    risk = fraud.h.users[Role.RISK].id
    _problem(await fraud.call(Role.RISK, "POST", CASE + "/assign", json={"analyst_id": risk}), 409, "case-resolved")
    assert (await fraud.call(Role.RISK, "POST", CASE + "/notes", json={"text": "closed, fine"})).status_code == 202


QUERY_FAULTS: list[tuple[str, dict[str, Any]]] = [
    *[("/reviews", {"company_id": v}) for v in INJECTIONS],
    *[("/reviews", {"assignee": v}) for v in INJECTIONS],
    *[("/cases", {"company_id": v}) for v in INJECTIONS],
    ("/cases", {"status": "closed"}),
    ("/cases", {"assignee": "a" * 65}),
    ("/reviews", {"limit": 0}),
    ("/reviews", {"limit": 501}),
    ("/reviews", {"limit": "ten"}),
    ("/reviews", {"compnay_id": "cmp_seeded"}),  # misspelt: never silently ignored
    ("/rule-stats", {}),
    ("/rule-stats", {"from": "2026-11-26T00:00:00Z"}),
    ("/rule-stats", {"from": "2026-11-26T00:00:00Z", "to": "2026-11-25T00:00:00Z"}),
    ("/rule-stats", {"from": "2026-11-26T00:00:00", "to": "2026-11-27T00:00:00"}),  # no zone
    ("/rule-stats", {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}),
    ("/rule-stats", {"from": "yesterday", "to": "today"}),
    *[("/rule-stats", {"from": "2026-11-26T00:00:00Z", "to": "2026-11-27T00:00:00Z", "company_id": v})
      for v in INJECTIONS],
]  # fmt: skip


@pytest.mark.parametrize(("path", "params"), QUERY_FAULTS, ids=[str(i) for i in range(len(QUERY_FAULTS))])
async def test_bad_filters_are_422_problems(fraud: Fraud, path: str, params: dict[str, Any]) -> None:
    _problem(await fraud.call(Role.RISK, "GET", path, params=params), 422, "validation-failed")


async def test_foreign_or_edited_cursors_are_400_problems(fraud: Fraud) -> None:
    cases = (await fraud.call(Role.RISK, "GET", "/cases", params={"limit": 1})).json()["next_cursor"]
    queue = (await fraud.call(Role.RISK, "GET", "/reviews", params={"limit": 1})).json()["next_cursor"]
    for path, cursor in (("/reviews", cases), ("/cases", queue), ("/reviews", queue[:-3] + "AAA"), ("/cases", "x")):
        _problem(await fraud.call(Role.RISK, "GET", path, params={"cursor": cursor}), 400, "invalid-cursor")


READS = ["/reviews", "/cases", f"/cases/case_{order_id(1)}", f"/decisions/{order_id(1)}",
         "/rule-stats?from=2026-11-26T00:00:00Z&to=2026-11-27T00:00:00Z"]  # fmt: skip
ACTIONS: list[tuple[str, dict[str, Any]]] = [
    (REVIEW, {"action": "approve"}), (CASE + "/notes", {"text": "hello"}), (CASE + "/assign", {"analyst_id": "?"}),
]  # fmt: skip


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_every_role_reads_only_risk_and_admin_act(fraud: Fraud, role: Role) -> None:
    for path in READS:
        r = await fraud.call(role, "GET", path)
        assert r.status_code == 200, (path, r.text)
    for path, body in ACTIONS:
        if path.endswith("/assign"):
            body = {"analyst_id": fraud.h.users[Role.RISK].id}
        r = await fraud.call(role, "POST", path, json=body)
        if role in (Role.ADMIN, Role.RISK):
            assert r.status_code in (200, 202), (path, r.text)
        else:
            _problem(r, 403, "forbidden")
    if role not in (Role.ADMIN, Role.RISK):
        assert fraud.written() == (0, 0, 0)


async def test_signed_out_callers_get_401(fraud: Fraud) -> None:
    r = await fraud.h.client.get("/staff/v1/fraud/reviews")
    _problem(r, 401, "unauthorized")
    r = await fraud.h.client.post("/staff/v1/fraud" + REVIEW, json={"action": "approve"})
    _problem(r, 401, "unauthorized")
    assert fraud.written() == (0, 0, 0)
