"""The queries behind the cross-company fraud detectors (detectors/patterns.py).

They read `orders` without FINAL: every version of an order has the same company, end user,
recipient and device, and the counts are distinct counts, so extra versions change nothing.
A pattern whose case an analyst resolved is left out (see detectors.patterns.case_id_for).
The device and the recipient phone are read from the stored snapshot: the detectors run every
few minutes over a window of hours, not per report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from analytics.clickhouse import ClickHouse
from detectors.patterns import PatternHit, PatternKind, PatternThresholds

_SUBJECTS = {
    PatternKind.SHARED_RECIPIENT_CARD: "card_token",
    PatternKind.SHARED_RECIPIENT_PHONE: "JSONExtractString(snapshot, 'recipient', 'phone')",
    PatternKind.SHARED_DEVICE: "JSONExtractString(snapshot, 'end_user', 'device_id')",
}


def _utc(value: Any) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def find_patterns(
    clickhouse: ClickHouse, kind: PatternKind, since: datetime, thresholds: PatternThresholds,
    include_sandbox: bool = False, limit: int = 1000,
) -> list[PatternHit]:  # fmt: skip
    subject = _SUBJECTS[kind]  # from the fixed table above, never from input
    sql = f"""
        SELECT subject, uniqExact(company_id) AS companies, uniqExact(company_id, end_user_id) AS users,
               uniqExact(order_id) AS orders, min(created_at), max(created_at)
        FROM (
            SELECT {subject} AS subject, company_id, end_user_id, order_id, created_at
            FROM {clickhouse.table("orders")}
            WHERE created_at >= {{since:DateTime64(3, 'UTC')}} AND (sandbox = 0 OR {{sandbox:UInt8}} = 1)
        )
        WHERE subject != ''
          -- A pattern an analyst resolved (dismissed) is not raised, nor blocked, again.
          AND concat('case_pattern_', substring(lower(hex(SHA256(concat({{kind:String}}, '\x1f', subject)))), 1, 24))
              NOT IN (SELECT case_id FROM {clickhouse.table("fraud_case_events")} WHERE kind = 'resolved')
        GROUP BY subject
        HAVING companies >= {{min_companies:UInt32}} AND users >= {{min_users:UInt32}}
        ORDER BY users DESC, subject
        LIMIT {{limit:UInt32}}
    """
    rows = await clickhouse.query(sql, {
        "since": since, "sandbox": int(include_sandbox), "kind": kind.value, "min_companies": thresholds.min_companies,
        "min_users": thresholds.min_end_users, "limit": limit,
    })  # fmt: skip
    return [
        PatternHit(kind, str(s), int(c), int(u), int(o), _utc(first), _utc(last))
        for s, c, u, o, first, last in rows
    ]
