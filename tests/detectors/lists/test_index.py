"""List entries: scope, expiry, normalisation, BIN prefixes, the compacted-topic form."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from detectors.lists import (
    ListEntry,
    ListEntryError,
    ListIndex,
    ListKind,
    ListVerdict,
    OrderIdentifiers,
    entry_key,
    identifiers_for,
)
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BLOCK, ALLOW = ListVerdict.BLOCK, ListVerdict.ALLOW


def entry(kind: ListKind, value: str, verdict: ListVerdict = BLOCK, scope: str | None = None,
          expires: timedelta | None = None) -> ListEntry:  # fmt: skip
    return ListEntry.create(kind, value, verdict, scope, "test", "analyst@quadra", T0,
                            None if expires is None else T0 + expires)  # fmt: skip


IDS = OrderIdentifiers(end_user="eu_1", card_token="tok_A", bin="99910112", phone="+4915112345678",
                       device="dev_1", ip="10.0.0.7")  # fmt: skip


def matches(index: ListIndex, ids: OrderIdentifiers = IDS, company: str = "c1", at: datetime = T0) -> list[str]:
    return [e.describe() for e in index.match(ids, company, at)]


# entries, company, expected matches
SCOPE_CASES: list[tuple[list[ListEntry], str, list[str]]] = [
    ([entry(ListKind.CARD_TOKEN, "tok_A")], "c1", ["card_token blocked (global)"]),
    ([entry(ListKind.CARD_TOKEN, "tok_A")], "c2", ["card_token blocked (global)"]),
    ([entry(ListKind.CARD_TOKEN, "tok_A", scope="c1")], "c1", ["card_token blocked (company c1)"]),
    ([entry(ListKind.CARD_TOKEN, "tok_A", scope="c1")], "c2", []),
    ([entry(ListKind.CARD_TOKEN, "tok_B")], "c1", []),
    ([entry(ListKind.END_USER, "eu_1", ALLOW, scope="c1"), entry(ListKind.END_USER, "eu_1")], "c1",
     ["end_user blocked (global)", "end_user allowed (company c1)"]),
    ([entry(ListKind.DEVICE, "dev_1"), entry(ListKind.IP, "10.0.0.7", scope="c2")], "c2",
     ["device blocked (global)", "ip blocked (company c2)"]),
]  # fmt: skip


@pytest.mark.parametrize(("entries", "company", "expected"), SCOPE_CASES)
def test_scope(entries: list[ListEntry], company: str, expected: list[str]) -> None:
    assert matches(ListIndex(entries), company=company) == expected


@pytest.mark.parametrize(
    ("expires", "at", "active"),
    [
        (None, T0 + timedelta(days=3650), True),
        (timedelta(hours=1), T0 + timedelta(minutes=59), True),
        (timedelta(hours=1), T0 + timedelta(hours=1), False),  # expired at the instant
        (timedelta(hours=1), T0 + timedelta(days=2), False),
    ],
)
def test_expiry(expires: timedelta | None, at: datetime, active: bool) -> None:
    index = ListIndex([entry(ListKind.END_USER, "eu_1", expires=expires)])
    assert bool(matches(index, at=at)) is active
    assert index.purge(at) == (0 if active else 1)
    assert len(index) == (1 if active else 0)


def test_identifiers_are_matched_normalised() -> None:
    index = ListIndex([entry(ListKind.PHONE, "+49 151 1234-5678"), entry(ListKind.IP, "2001:DB8:0:0::1")])
    ids = OrderIdentifiers(phone="+49 (151) 12345678", ip="2001:db8::1")
    assert matches(index, ids) == ["phone blocked (global)", "ip blocked (global)"]
    assert matches(index, OrderIdentifiers(ip="not an ip", phone="?")) == []


def test_bin_entries_match_longer_bins_by_prefix() -> None:
    index = ListIndex([entry(ListKind.BIN, "999101"), entry(ListKind.BIN, "99910112", ALLOW, scope="c1")])
    assert matches(index, OrderIdentifiers(bin="999101")) == ["bin blocked (global)"]
    assert matches(index, OrderIdentifiers(bin="99910112")) == ["bin blocked (global)", "bin allowed (company c1)"]
    assert matches(index, OrderIdentifiers(bin="999102")) == []


def test_put_replaces_and_remove_deletes() -> None:
    index = ListIndex([entry(ListKind.END_USER, "eu_1")])
    index.put(entry(ListKind.END_USER, "eu_1", ALLOW))
    assert len(index) == 1 and matches(index) == ["end_user allowed (global)"]
    assert index.remove(ListKind.END_USER, "eu_1", None) and not index.remove(ListKind.END_USER, "eu_1", None)
    assert matches(index) == [] and len(index) == 0


def test_compacted_topic_records_and_tombstones() -> None:
    index = ListIndex()
    e = entry(ListKind.CARD_TOKEN, "tok_A", scope="c1", expires=timedelta(days=30))
    index.apply(e.key, e.to_dict())
    assert list(index) == [e]
    with pytest.raises(ListEntryError, match="arrived under key"):
        index.apply(entry_key(ListKind.CARD_TOKEN, "tok_A", None), e.to_dict())
    index.apply(e.key, None)
    assert len(index) == 0
    with pytest.raises(ListEntryError, match="not a list entry key"):
        index.apply("garbage", None)


def test_json_round_trip_and_keys() -> None:
    for e in (entry(ListKind.PHONE, "+49 151 12345678", ALLOW, "c1", timedelta(days=1)), entry(ListKind.BIN, "999101")):
        assert ListEntry.from_dict(e.to_dict()) == e
    assert entry_key(ListKind.PHONE, "+49 151 12345678", "c1") == '["phone","c1","+4915112345678"]'


def base() -> dict[str, Any]:
    return entry(ListKind.END_USER, "eu_1", expires=timedelta(days=1)).to_dict()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("x", "must be a JSON object"),
        ({**base(), "kind": "email"}, "'email' is not a valid ListKind"),
        ({**base(), "verdict": "maybe"}, "not a valid ListVerdict"),
        ({**base(), "value": " "}, "non-empty value"),
        ({**base(), "kind": "bin", "value": "4111"}, "6 to 8 digits"),
        ({**base(), "kind": "ip", "value": "300.1.1.1"}, "not an IP address"),
        ({**base(), "kind": "phone", "value": "call me"}, "not a phone number"),
        ({**base(), "created_at": "2026-03-01T12:00:00"}, "has no timezone"),
        ({**base(), "expires_at": "tomorrow"}, "not ISO-8601"),
        ({**base(), "expires_at": base()["created_at"]}, "after created_at"),
        ({**base(), "scope": ""}, "scope must be a company id"),
        ({**base(), "added_by": ""}, "added_by"),
        ({**base(), "extra": 1}, "unknown fields"),
        ({k: v for k, v in base().items() if k != "added_by"}, "missing fields"),
    ],
)
def test_bad_entries_are_refused(data: Any, words: str) -> None:
    with pytest.raises(ListEntryError, match=words):
        ListEntry.from_dict(data)


def test_entries_must_be_normalised() -> None:
    e = entry(ListKind.PHONE, "+49 151 12345678")
    with pytest.raises(ListEntryError, match="not normalised"):
        replace(e, value="+49 151 12345678")


def test_identifiers_of_an_order() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)

    def order(recipient: Recipient) -> Order:
        return Order("o1", "c1", "k1", "p1", Money(1000, "EUR"), recipient, EndUser("eu_1", "10.0.0.7", "dev_1"),
                     at, (StatusChange(OrderStatus.RECEIVED, "", at),))  # fmt: skip

    card = identifiers_for(order(Recipient(RecipientKind.CARD, card_token="tok_A", card_bin="999101")))
    assert card == OrderIdentifiers("eu_1", "tok_A", "999101", None, "dev_1", "10.0.0.7")
    phone = identifiers_for(order(Recipient(RecipientKind.PHONE, phone="+4915112345678")))
    assert (phone.card_token, phone.bin, phone.phone) == (None, None, "+4915112345678")
