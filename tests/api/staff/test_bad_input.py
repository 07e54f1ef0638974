"""Acceptance 5 for the staff endpoints: bad input → a 4xx problem+json, and nothing changed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.staff import Role
from tests.api.staff.conftest import COMPANY, MAX_BODY, StaffHarness
from tests.api.staff.fakes import PASSWORD

C = f"/staff/v1/companies/{COMPANY}"
NOBODY = "/staff/v1/companies/cmp_nobody"
GOOD_COMPANY = {"name": "N", "legal_name": "N Ltd", "country": "DE", "contact_email": "a@n.test"}
GOOD_USER = {"email": "x@quadra.test", "name": "X", "role": "risk", "password": "long enough password"}
JSON = "application/json"


def company(**changes: Any) -> dict[str, Any]:
    return {**GOOD_COMPANY, **changes}


def user(**changes: Any) -> dict[str, Any]:
    return {**GOOD_USER, **changes}


ME_PASSWORD = "/staff/v1/me/password"
AUDIT = "/staff/v1/audit"
NEW = "a brand new passphrase"


def pw(**changes: Any) -> dict[str, Any]:
    return {"current_password": PASSWORD, "new_password": NEW, **changes}


# (name, method, path, body (bytes are sent raw), content type, status, problem type)
CASES: list[tuple[str, str, str, Any, str | None, int, str]] = [
    ("login malformed", "POST", "/staff/v1/login", b'{"email": ', JSON, 400, "malformed-json"),
    ("login array", "POST", "/staff/v1/login", [1], JSON, 422, "validation-failed"),
    ("login unknown field", "POST", "/staff/v1/login",
     {"email": "a@b.de", "password": "x", "remember": True}, JSON, 422, "validation-failed"),
    ("login email as number", "POST", "/staff/v1/login", {"email": 1, "password": "x"}, JSON, 422,
     "validation-failed"),
    ("login huge password", "POST", "/staff/v1/login", {"email": "a@b.de", "password": "p" * 1025},
     JSON, 422, "validation-failed"),
    ("login form post", "POST", "/staff/v1/login", b"email=a&password=b",
     "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
    ("login oversized", "POST", "/staff/v1/login", {"email": "a" * MAX_BODY, "password": "x"}, JSON,
     413, "payload-too-large"),
    ("create malformed", "POST", "/staff/v1/companies", b"{nope", JSON, 400, "malformed-json"),
    ("create empty", "POST", "/staff/v1/companies", {}, JSON, 422, "validation-failed"),
    ("create unknown field", "POST", "/staff/v1/companies", company(status="inactive"), JSON, 422,
     "validation-failed"),
    ("create name as number", "POST", "/staff/v1/companies", company(name=42), JSON, 422,
     "validation-failed"),
    ("create long name", "POST", "/staff/v1/companies", company(name="n" * 201), JSON, 422,
     "validation-failed"),
    ("create control chars", "POST", "/staff/v1/companies", company(name="a\u0000b"), JSON, 422,
     "validation-failed"),
    ("create bad country", "POST", "/staff/v1/companies", company(country="Germany"), JSON, 422,
     "validation-failed"),
    ("create bad email", "POST", "/staff/v1/companies", company(contact_email="nobody"), JSON, 422,
     "validation-failed"),
    ("create bad cidr", "POST", "/staff/v1/companies", company(ip_allowlist=["10.0.0.5/8"]), JSON,
     422, "validation-failed"),
    ("create cidr as string", "POST", "/staff/v1/companies", company(ip_allowlist="10.0.0.0/8"),
     JSON, 422, "validation-failed"),
    ("create too many cidrs", "POST", "/staff/v1/companies",
     company(ip_allowlist=[f"10.0.{i}.0/24" for i in range(101)]), JSON, 422, "validation-failed"),
    ("create oversized", "POST", "/staff/v1/companies", company(address="x" * MAX_BODY), JSON, 413,
     "payload-too-large"),
    ("create no content type", "POST", "/staff/v1/companies", company(), None, 415,
     "unsupported-media-type"),
    ("list bad status", "GET", "/staff/v1/companies?status=deleted", None, None, 422,
     "validation-failed"),
    ("get unknown", "GET", NOBODY, None, None, 404, "not-found"),
    ("get malformed id", "GET", "/staff/v1/companies/'%20OR%201=1", None, None, 404, "not-found"),
    ("edit nothing", "PATCH", C, {}, JSON, 422, "validation-failed"),
    ("edit null", "PATCH", C, {"name": None}, JSON, 422, "validation-failed"),
    ("edit unknown field", "PATCH", C, {"id": "cmp_x"}, JSON, 422, "validation-failed"),
    ("edit wrong type", "PATCH", C, {"ip_allowlist": [1]}, JSON, 422, "validation-failed"),
    ("edit malformed", "PATCH", C, b"[", JSON, 400, "malformed-json"),
    ("edit unknown company", "PATCH", NOBODY, {"name": "x"}, JSON, 404, "not-found"),
    ("deactivate unknown", "POST", f"{NOBODY}/deactivate", None, None, 404, "not-found"),
    ("reactivate unknown", "POST", f"{NOBODY}/reactivate", None, None, 404, "not-found"),
    ("keys of unknown", "GET", f"{NOBODY}/api-keys", None, None, 404, "not-found"),
    ("key bad mode", "POST", f"{C}/api-keys", {"mode": "prod"}, JSON, 422, "validation-failed"),
    ("key no mode", "POST", f"{C}/api-keys", {}, JSON, 422, "validation-failed"),
    ("key unknown field", "POST", f"{C}/api-keys", {"mode": "test", "key": "qk_test_mine"}, JSON,
     422, "validation-failed"),
    ("key for unknown", "POST", f"{NOBODY}/api-keys", {"mode": "test"}, JSON, 404, "not-found"),
    ("revoke unknown key", "POST", f"{C}/api-keys/qk_test_zzzz/revoke", None, None, 404,
     "not-found"),
    ("revoke for unknown", "POST", f"{NOBODY}/api-keys/qk_test_zzzz/revoke", None, None, 404,
     "not-found"),
    ("user short password", "POST", "/staff/v1/users", user(password="short"), JSON, 422,
     "validation-failed"),
    ("user weak password", "POST", "/staff/v1/users", user(password="a" * 20), JSON, 422,
     "validation-failed"),
    ("user bad role", "POST", "/staff/v1/users", user(role="root"), JSON, 422,
     "validation-failed"),
    ("user bad email", "POST", "/staff/v1/users", user(email="x"), JSON, 422, "validation-failed"),
    ("user unknown field", "POST", "/staff/v1/users", user(id="stf_mine"), JSON, 422,
     "validation-failed"),
    ("change nothing", "PATCH", "/staff/v1/users/stf_risk2", {}, JSON, 422, "validation-failed"),
    ("change active as text", "PATCH", "/staff/v1/users/stf_risk2", {"active": "no"}, JSON, 422,
     "validation-failed"),
    ("change unknown user", "PATCH", "/staff/v1/users/stf_nobody", {"name": "x"}, JSON, 404,
     "not-found"),
    ("change bad locale", "PATCH", "/staff/v1/users/stf_risk2", {"locale": "de"}, JSON, 422,
     "validation-failed"),
    ("me nothing", "PATCH", "/staff/v1/me", {}, JSON, 422, "validation-failed"),
    ("me bad locale", "PATCH", "/staff/v1/me", {"locale": "EN"}, JSON, 422, "validation-failed"),
    ("me locale as number", "PATCH", "/staff/v1/me", {"locale": 1}, JSON, 422, "validation-failed"),
    ("me locale null", "PATCH", "/staff/v1/me", {"locale": None}, JSON, 422, "validation-failed"),
    ("me huge locale", "PATCH", "/staff/v1/me", {"locale": "r" * 10_000}, JSON, 422,
     "validation-failed"),
    ("me own role", "PATCH", "/staff/v1/me", {"locale": "ru", "role": "admin"}, JSON, 422,
     "validation-failed"),
    ("me malformed", "PATCH", "/staff/v1/me", b'{"locale": ', JSON, 400, "malformed-json"),
    ("me form", "PATCH", "/staff/v1/me", b"locale=ru", "application/x-www-form-urlencoded", 415,
     "unsupported-media-type"),
    ("password empty", "POST", ME_PASSWORD, {}, JSON, 422, "validation-failed"),
    ("password no current", "POST", ME_PASSWORD, {"new_password": NEW}, JSON, 422,
     "validation-failed"),
    ("password short", "POST", ME_PASSWORD, pw(new_password="short"), JSON, 422,
     "validation-failed"),
    ("password weak", "POST", ME_PASSWORD, pw(new_password="ab" * 10), JSON, 422,
     "validation-failed"),
    ("password padded", "POST", ME_PASSWORD, pw(new_password=f" {NEW}"), JSON, 422,
     "validation-failed"),
    ("password unchanged", "POST", ME_PASSWORD, pw(new_password=PASSWORD), JSON, 422,
     "validation-failed"),
    ("password as number", "POST", ME_PASSWORD, pw(new_password=123456789012345), JSON, 422,
     "validation-failed"),
    ("password current as list", "POST", ME_PASSWORD, pw(current_password=[PASSWORD]), JSON, 422,
     "validation-failed"),
    ("password huge new", "POST", ME_PASSWORD, pw(new_password="xyz1" * 257), JSON, 422,
     "validation-failed"),
    ("password huge current", "POST", ME_PASSWORD, pw(current_password="p" * 1025), JSON, 422,
     "validation-failed"),
    ("password empty current", "POST", ME_PASSWORD, pw(current_password=""), JSON, 422,
     "validation-failed"),
    ("password unknown field", "POST", ME_PASSWORD, pw(user_id="stf_risk2"), JSON, 422,
     "validation-failed"),
    ("password malformed", "POST", ME_PASSWORD, b'{"current_password"', JSON, 400,
     "malformed-json"),
    ("password oversized", "POST", ME_PASSWORD, pw(current_password="p" * MAX_BODY), JSON, 413,
     "payload-too-large"),
    ("password no content type", "POST", ME_PASSWORD, pw(), None, 415, "unsupported-media-type"),
    ("audit bad cursor", "GET", f"{AUDIT}?cursor=abc", None, None, 400, "invalid-cursor"),
    ("audit sql cursor", "GET", f"{AUDIT}?cursor=%27%20OR%201%3D1%20--", None, None, 400,
     "invalid-cursor"),
    ("audit huge cursor", "GET", f"{AUDIT}?cursor={'a' * 1001}", None, None, 422,
     "validation-failed"),
    ("audit limit too big", "GET", f"{AUDIT}?limit=201", None, None, 422, "validation-failed"),
    ("audit limit zero", "GET", f"{AUDIT}?limit=0", None, None, 422, "validation-failed"),
    ("audit limit text", "GET", f"{AUDIT}?limit=ten", None, None, 422, "validation-failed"),
    ("audit naive from", "GET", f"{AUDIT}?from=2026-11-26T00:00:00", None, None, 422,
     "validation-failed"),
    ("audit bad to", "GET", f"{AUDIT}?to=yesterday", None, None, 422, "validation-failed"),
    ("audit upside down", "GET", f"{AUDIT}?from=2026-11-27T00:00:00Z&to=2026-11-26T00:00:00Z",
     None, None, 422, "validation-failed"),
    ("audit both actions", "GET", f"{AUDIT}?action=staff.login&action_prefix=staff.", None, None,
     422, "validation-failed"),
    ("audit bad actor kind", "GET", f"{AUDIT}?actor_kind=root", None, None, 422,
     "validation-failed"),
    ("audit huge actor", "GET", f"{AUDIT}?actor_id={'a' * 201}", None, None, 422,
     "validation-failed"),
    ("audit empty action", "GET", f"{AUDIT}?action=", None, None, 422, "validation-failed"),
    ("audit unknown param", "GET", f"{AUDIT}?actor=stf_1", None, None, 422, "validation-failed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status", "slug"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_bad_input_is_a_problem_and_changes_nothing(
    staff_api: StaffHarness,
    method: str,
    path: str,
    body: Any,
    content_type: str | None,
    status: int,
    slug: str,
) -> None:
    h = staff_api
    before = (h.registry.snapshot(), dict(h.staff.users))
    headers = h.bearer(Role.ADMIN)
    if content_type:
        headers["Content-Type"] = content_type
    content = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()

    response = await h.client.request(method, path, content=content, headers=headers)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"https://docs.quadra.dev/problems/{slug}"
    assert problem["status"] == status and problem["request_id"]
    if status == 422:
        assert problem["errors"]
    assert (h.registry.snapshot(), dict(h.staff.users)) == before
    assert h.registry.commands == [] and h.staff.commands == [] and h.audit.events == []


UNAUTHENTICATED = sorted({(c[1], c[2].split("?")[0]) for c in CASES if c[2] != "/staff/v1/login"})


@pytest.mark.parametrize(("method", "path"), UNAUTHENTICATED, ids=[f"{m} {p}" for m, p in UNAUTHENTICATED])
async def test_every_staff_endpoint_needs_a_session(
    staff_api: StaffHarness, method: str, path: str
) -> None:
    h = staff_api
    response = await h.client.request(method, path, json={"name": "x"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/unauthorized")
    assert h.registry.commands == [] and h.staff.commands == []
