"""The list use cases over an in-memory lists topic: entries, card numbers, tombstones."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from api.staff.list_service import ListAdmin, ListQuery, NewEntry, entry_id, key_of
from detectors.lists import ListEntry, ListIndex, ListKind, ListVerdict, OrderIdentifiers
from domain.cards import CardVault
from domain.errors import InvalidCommand, NotFound
from domain.staff import Role, StaffActor
from tests.api.fakes import RecordingAuditTrail
from tests.api.staff.fakes import InMemoryStaff
from tests.api.staff.rule_fakes import InMemoryListStore
from tests.builders import T0

CARD = "4111 1111 1111 1111"
VAULT = CardVault({"k1": b"k" * 32}, b"token-key")
ACTOR = StaffActor(InMemoryStaff().add(Role.RISK), "req", "10.0.0.1", T0)


class Companies:
    def get(self, company_id: str) -> object | None:
        return object() if company_id == "cmp_a" else None


@pytest.fixture
def lists() -> tuple[ListAdmin, InMemoryListStore, RecordingAuditTrail, ListIndex]:
    index, store, audit = ListIndex(), InMemoryListStore(), RecordingAuditTrail()
    return ListAdmin(index, store, VAULT, Companies(), audit), store, audit, index  # type: ignore[arg-type]


def new(kind: ListKind, value: str, company: str | None = None, **kw: object) -> NewEntry:
    fields = {"verdict": ListVerdict.BLOCK, "reason": "mule", "expires_at": None} | kw
    return NewEntry(kind, value, fields["verdict"], company, fields["reason"], fields["expires_at"])  # type: ignore[arg-type]


async def test_a_card_number_is_tokenized_and_never_stored_echoed_or_audited(lists: tuple) -> None:
    admin, store, audit, index = lists
    result = await admin.put(ACTOR, new(ListKind.CARD_TOKEN, CARD))
    token = VAULT.token_for(CARD.replace(" ", ""))
    assert result.created and result.entry.value == token
    written = repr(store.records) + repr(audit.events) + repr(result)
    assert "4111111111111111" not in written and CARD not in written
    assert audit.events[0].details["tokenized"] is True and audit.events[0].action == "fraud.list.put"
    # The worker's replica blocks the card by its token, as an order carries it.
    worker = store.replayed()
    assert worker.match(OrderIdentifiers(card_token=token), "cmp_x", T0)[0].verdict is ListVerdict.BLOCK
    again = await admin.put(ACTOR, new(ListKind.CARD_TOKEN, token, reason="again"))
    assert not again.created and len(index) == 1


@pytest.mark.parametrize(
    ("entry", "pointer"),
    [
        (new(ListKind.CARD_TOKEN, "4111111111111112"), "/value"),  # not Luhn-valid, not a token
        (new(ListKind.PHONE, CARD), "/value"),  # a card number as another kind
        (new(ListKind.END_USER, f"user {CARD}"), "/value"),
        (new(ListKind.END_USER, "u1", reason=f"card {CARD}"), "/reason"),
        (new(ListKind.IP, "300.1.1.1"), "/value"),
        (new(ListKind.BIN, "12ab56"), "/value"),
        (new(ListKind.END_USER, "u1", "cmp_unknown"), "/company_id"),
        (new(ListKind.END_USER, "u1", expires_at=T0 - timedelta(days=1)), "/expires_at"),
    ],
)
async def test_bad_entries_are_refused_without_echoing_card_numbers(lists: tuple, entry: NewEntry, pointer: str) -> None:
    admin, store, audit, _ = lists
    with pytest.raises(InvalidCommand) as refused:
        await admin.put(ACTOR, entry)
    assert refused.value.pointer == pointer
    assert "4111" not in refused.value.detail
    assert store.records == [] and audit.events == []


async def test_listing_filters_pages_and_hides_expired_entries(lists: tuple) -> None:
    admin, _, _, _ = lists
    await admin.put(ACTOR, new(ListKind.END_USER, "u1", "cmp_a"))
    await admin.put(ACTOR, new(ListKind.END_USER, "u2"))
    await admin.put(ACTOR, new(ListKind.IP, "10.0.0.1", verdict=ListVerdict.ALLOW))
    await admin.put(ACTOR, new(ListKind.PHONE, "+49 151 1111", expires_at=T0 + timedelta(hours=1)))
    later = T0 + timedelta(hours=2)

    def listed(query: ListQuery, at: object = T0) -> list[str]:
        return [e.value for e in admin.entries(query, at, None, 100)[0]]

    assert len(listed(ListQuery())) == 4 and len(listed(ListQuery(), later)) == 3
    assert listed(ListQuery(include_expired=True), later).count("+491511111") == 1
    assert sorted(listed(ListQuery(kind=ListKind.END_USER))) == ["u1", "u2"]
    assert listed(ListQuery(company_id="cmp_a")) == ["u1"]
    assert sorted(listed(ListQuery(global_only=True))) == sorted(["u2", "10.0.0.1", "+491511111"])
    assert listed(ListQuery(verdict=ListVerdict.ALLOW)) == ["10.0.0.1"]
    seen, after = [], None
    while True:
        page, after = admin.entries(ListQuery(), T0, after, 3)
        seen += [e.key for e in page]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 4 and seen == sorted(seen)


async def test_removal_writes_a_tombstone_and_is_audited(lists: tuple) -> None:
    admin, store, audit, index = lists
    put = await admin.put(ACTOR, new(ListKind.DEVICE, "dev_1", "cmp_a"))
    key = put.entry.key
    assert key_of(entry_id(key)) == key
    removed = await admin.remove(ACTOR, key)
    assert removed.value == "dev_1" and len(index) == 0 and len(store.replayed()) == 0
    assert store.records[-1] == (key, None) and audit.events[-1].action == "fraud.list.remove"
    assert audit.events[-1].company_id == "cmp_a"
    with pytest.raises(NotFound):
        await admin.remove(ACTOR, key)


@pytest.mark.parametrize(
    "garbage",
    ["", "%%%", base64.urlsafe_b64encode(b"not json").decode(), base64.urlsafe_b64encode(b'["nope",null,"x"]').decode(),
     base64.urlsafe_b64encode(b'["phone",null,"+49 151"]').decode(), "A" * 2000],
)
def test_an_entry_id_must_be_one_this_api_handed_out(garbage: str) -> None:
    assert key_of(garbage) is None


def test_entry_ids_are_url_safe() -> None:
    entry = ListEntry.create(ListKind.END_USER, "a/b+c?d", ListVerdict.BLOCK, None, "", "x", T0)
    assert all(c.isalnum() or c in "-_" for c in entry_id(entry.key)) and key_of(entry_id(entry.key)) == entry.key
