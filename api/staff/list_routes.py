"""Staff routes for the fraud block/allow lists: decode, call one use case, encode.

Reading needs orders.read (every role that may change lists has it); changing needs
risk.review.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api import errors
from api.deps import require_json
from api.staff.auth import acting, require
from api.staff.list_schemas import ListEntries, ListEntryIn, ListEntryOut, ListEntryPutOut
from api.staff.list_service import ListAdmin, ListQuery, entry_id, key_of
from api.staff.rule_routes import desk
from api.staff.rule_schemas import CompanyId
from detectors.lists import ListKind, ListVerdict
from domain.staff import Permission, StaffUser

router = APIRouter(prefix="/fraud/lists", tags=["staff: fraud lists"])
Reader = Annotated[StaffUser, Depends(require(Permission.ORDERS_READ))]
Analyst = Annotated[StaffUser, Depends(require(Permission.RISK_REVIEW))]
Json = Annotated[None, Depends(require_json)]


def _lists(request: Request) -> ListAdmin:
    return desk(request).lists


def _key(entry: str) -> str:
    key = key_of(entry)
    if key is None:
        raise errors.not_found(f"No list entry {entry[:70]}")
    return key


def _cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    key = key_of(cursor)
    if key is None:
        raise errors.validation_failed([errors.FieldError("cursor", "invalid", "not a cursor from this API")])
    return key


@router.get("", response_model=ListEntries)
async def list_entries(
    request: Request,
    _user: Reader,
    kind: Annotated[ListKind | None, Query()] = None,
    verdict: Annotated[ListVerdict | None, Query()] = None,
    scope: Annotated[Literal["global"] | None, Query(description="global: only entries for every company")] = None,
    company_id: Annotated[CompanyId | None, Query(description="only this company's entries")] = None,
    include_expired: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=1100)] = None,
) -> ListEntries:
    if scope is not None and company_id is not None:
        raise errors.validation_failed([errors.FieldError("scope", "conflict", "send scope or company_id, not both")])
    query = ListQuery(kind, verdict, scope == "global", company_id, include_expired)
    now = request.state.received_at
    entries, last = _lists(request).entries(query, now, _cursor(cursor), limit)
    return ListEntries(data=[ListEntryOut.from_entry(e, now) for e in entries],
                       next_cursor=None if last is None else entry_id(last))  # fmt: skip


@router.post(
    "",
    status_code=201,
    response_model=ListEntryPutOut,
    responses={200: {"model": ListEntryPutOut, "description": "Replaced the entry with the same kind, company and value"}},
)
async def put_entry(
    request: Request, response: Response, user: Analyst, _json: Json, body: ListEntryIn
) -> ListEntryPutOut:
    """Adds an entry, or replaces the one with the same kind, company and value (200)."""
    result = await _lists(request).put(acting(request, user), body.new_entry())
    if not result.created:
        response.status_code = 200
    response.headers["Location"] = f"/staff/v1/fraud/lists/{entry_id(result.entry.key)}"
    return ListEntryPutOut.from_result(result, request.state.received_at)


@router.get("/{entry}", response_model=ListEntryOut)
async def get_entry(request: Request, entry: str, _user: Reader) -> ListEntryOut:
    return ListEntryOut.from_entry(_lists(request).entry(_key(entry)), request.state.received_at)


@router.delete("/{entry}", response_model=ListEntryOut)
async def delete_entry(request: Request, entry: str, user: Analyst) -> ListEntryOut:
    """Removes the entry (a tombstone on the lists topic); returns what was removed."""
    removed = await _lists(request).remove(acting(request, user), _key(entry))
    return ListEntryOut.from_entry(removed, request.state.received_at)
