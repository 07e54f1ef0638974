"""Audit-log search in the embedded ClickHouse: filters, newest first, keyset pages across equal
timestamps and months, replayed rows once, details as objects, SQL-looking values as values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.audit_search import AuditKey, AuditQuery, ClickHouseAuditSearch, decode_key, encode_key
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.rows import AUDIT_LOG_COLUMNS, audit_log_row
from domain.audit import ActorKind, AuditEvent
from domain.audit_chain import GENESIS_HASH, AuditRecord, chain
from domain.errors import InvalidCursor
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


S = timedelta(seconds=1)
US = timedelta(microseconds=1)

# (n, chain, actor, company, action, target, at); n is also the request id's number.
EVENTS = [
    (0, 0, "stf_admin", "", "staff.login", "stf_admin", T0),
    (1, 0, "stf_admin", "cmp_a", "company.create", "cmp_a", T0 + S),
    (2, 1, "stf_fin", "cmp_a", "balance.top_up", "cmp_a", T0 + 2 * S),
    (3, 0, "stf_fin", "cmp_b", "balance.adjust", "cmp_b", T0 + 2 * S),  # same instant as 2
    (4, 1, "qk_test_abcd", "cmp_a", "api_key.use", "qk_test_abcd", T0 + 2 * S + US),
    (5, 0, "stf_admin", "", "staff.user_update", "stf_fin", T0 + 3 * S),
    (6, 1, "stf_risk", "cmp_b", "fraud.review", "ord_1", T0 + 40 * timedelta(days=1)),  # next month
    (7, 0, "x' OR 1=1 --", "", "staff.login_failed", "", T0 + 41 * timedelta(days=1)),
]  # fmt: skip


def _records() -> list[AuditRecord]:
    heads: dict[int, tuple[int, str]] = {}
    records = []
    for n, chain_id, actor, company, action, target, at in EVENTS:
        seq, prev = heads.get(chain_id, (0, GENESIS_HASH))
        kind = ActorKind.API_KEY if actor.startswith("qk_") else ActorKind.STAFF
        event = AuditEvent(f"req{n}:{action}", at, kind, actor, company, action, target, f"req{n}",
                           "10.0.0.1", {"n": n, "note": "ünï", "nested": {"list": [1, None]}})  # fmt: skip
        records.append(chain(prev, seq + 1, event, chain_id=chain_id))
        heads[chain_id] = (seq + 1, records[-1].hash)
    return records


@pytest.fixture
async def search(clickhouse: ClickHouse) -> ClickHouseAuditSearch:
    migrate(clickhouse)
    rows = [audit_log_row(r) for r in _records()]
    await clickhouse.insert("audit_log", rows, AUDIT_LOG_COLUMNS)
    await clickhouse.insert("audit_log", rows[:3], AUDIT_LOG_COLUMNS)  # replayed by the sink
    return ClickHouseAuditSearch(clickhouse)


NEWEST_FIRST = [7, 6, 5, 4, 2, 3, 1, 0]  # 2 before 3: same instant, chain 1 > chain 0
D = timedelta(days=1)
CASES = [
    ("everything", AuditQuery(), NEWEST_FIRST),
    ("actor", AuditQuery(actor_id="stf_fin"), [2, 3]),
    ("actor kind", AuditQuery(actor_kind="api_key"), [4]),
    ("action exact", AuditQuery(action="staff.login"), [0]),
    ("action prefix", AuditQuery(action_prefix="staff."), [7, 5, 0]),
    ("action prefix narrow", AuditQuery(action_prefix="staff.login"), [7, 0]),
    ("company", AuditQuery(company_id="cmp_a"), [4, 2, 1]),
    ("target", AuditQuery(target="stf_fin"), [5]),
    ("from inclusive", AuditQuery(at_from=T0 + 2 * S + US), [7, 6, 5, 4]),
    ("to exclusive", AuditQuery(at_to=T0 + 2 * S + US), [2, 3, 1, 0]),
    ("next month", AuditQuery(at_from=T0 + 30 * D, at_to=T0 + 41 * D), [6]),
    ("combined", AuditQuery(company_id="cmp_a", action_prefix="balance."), [2]),
    ("injection is a value", AuditQuery(actor_id="x' OR 1=1 --"), [7]),
    ("injection matches nothing", AuditQuery(action="staff.login' OR '1'='1"), []),
    ("like wildcards are literal", AuditQuery(action_prefix="%"), []),
    ("placeholder text", AuditQuery(target="{target:String}", company_id="\\'; DROP TABLE audit_log; --"), []),
    ("huge value", AuditQuery(actor_id="ü" * 5000), []),
]  # fmt: skip


async def test_search(search: ClickHouseAuditSearch) -> None:
    # One database for the whole table: a migration per case would cost seconds each.
    for name, q, expected in CASES:
        found, after = await search.search(q, limit=200)
        assert [r.event.request_id for r in found] == [f"req{n}" for n in expected], name
        assert after is None, name


async def test_pages_newest_first_each_event_once(search: ClickHouseAuditSearch) -> None:
    seen: list[str] = []
    after: AuditKey | None = None
    while True:
        found, after = await search.search(AuditQuery(), after, limit=3)
        seen += [r.event.request_id for r in found]
        if after is None:
            break
        token = encode_key(after)
        assert token is not None
        after = decode_key(token)  # through the wire form, microseconds and all
    assert seen == [f"req{n}" for n in NEWEST_FIRST]

    one, key = await search.search(AuditQuery(), None, limit=5)  # the page ends between 2 and 3
    rest, _ = await search.search(AuditQuery(), key, limit=5)
    assert [r.event.request_id for r in one + rest] == [f"req{n}" for n in NEWEST_FIRST]


async def test_records_come_back_whole(search: ClickHouseAuditSearch) -> None:
    found, _ = await search.search(AuditQuery(action="api_key.use"))
    record = found[0]
    assert record == _records()[4]  # event, chain, seq, hashes: nothing lost on the way
    assert record.event.details == {"n": 4, "note": "ünï", "nested": {"list": [1, None]}}
    assert record.event.at == T0 + 2 * S + US and record.event.at.tzinfo is not None


async def test_an_unreadable_row_is_listed_not_fatal(clickhouse: ClickHouse, search: ClickHouseAuditSearch) -> None:
    broken = list(audit_log_row(_records()[0]))
    broken[1], broken[AUDIT_LOG_COLUMNS.index("details")] = 99, "[not an object"
    await clickhouse.insert("audit_log", [tuple(broken)], AUDIT_LOG_COLUMNS)
    found, _ = await search.search(AuditQuery(action="staff.login"))
    assert len(found) == 2 and "unreadable_row" in found[0].event.details


async def test_the_limit_is_bounded(search: ClickHouseAuditSearch) -> None:
    for limit in (0, 201, -1):
        with pytest.raises(ValueError):
            await search.search(AuditQuery(), limit=limit)


@pytest.mark.parametrize("token", [
    "", "abc", "x" * 2000, "' OR 1=1 --",
    "eyJrIjoiYXVkaXQiLCJ2IjpbXX0",  # well-formed JSON, no checksum
], ids=["empty", "garbage", "huge", "sql", "unsigned"])  # fmt: skip
def test_bad_cursors_are_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_key(token)


def test_cursors_of_other_listings_and_bad_values_are_refused() -> None:
    from analytics.reports.cursor import encode_cursor

    for kind, values in [("requests", [T0.isoformat(), "req1"]), ("audit", [T0.isoformat(), 0]),
                         ("audit", ["yesterday", 0, 1]), ("audit", [T0.isoformat(), -1, 1]),
                         ("audit", [T0.isoformat(), "0", 1]), ("audit", [T0.isoformat(), 0, True]),
                         ("audit", ["2026-11-26T12:00:00", 0, 1])]:  # fmt: skip
        with pytest.raises(InvalidCursor):
            decode_key(encode_cursor(kind, values))
