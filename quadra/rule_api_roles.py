"""Wiring of the staff fraud rules and lists in an API process: replicas of `fraud.rules` and
`fraud.lists` (caught up before the API serves), their stores on the API's producer, and the
decisions in ClickHouse for tests and backtests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.rule_history_repo import ClickHouseDecisionHistory
from api.staff.list_service import Companies, ListAdmin
from api.staff.rule_desk import RuleDesk
from api.staff.rule_service import RuleAdmin
from api.staff.rule_trials import RuleTrials
from api.staff.services import StaffServices
from domain.audit import AuditTrail
from domain.cards import CardVault
from streams.fraud_lists import KafkaListStore, ListDirectory
from streams.fraud_rules import KafkaRuleStore, RuleDirectory
from streams.healing_producer import RecordWriter
from streams.topics import FRAUD_LISTS, FRAUD_RULES, TopicNames


async def with_fraud_rules(
    staff: StaffServices, names: TopicNames, bootstrap: str, producer: RecordWriter, clickhouse: ClickHouse,
    vault: CardVault, companies: Companies, audit: AuditTrail, stops: list[tuple[str, Callable[[], Any]]],
) -> StaffServices:  # fmt: skip
    """The staff services plus fraud rules and lists. `producer` must be idempotent, acks=all."""
    rules = RuleDirectory(bootstrap, names(FRAUD_RULES))
    await rules.start()
    stops.append(("fraud rules directory", rules.stop))
    lists = ListDirectory(bootstrap, names(FRAUD_LISTS))
    await lists.start()
    stops.append(("fraud lists directory", lists.stop))
    admin = RuleAdmin(rules.book, KafkaRuleStore(producer, names(FRAUD_RULES), rules.book), audit)
    list_admin = ListAdmin(lists.index, KafkaListStore(producer, names(FRAUD_LISTS)), vault, companies, audit)
    desk = RuleDesk(admin, RuleTrials(admin, ClickHouseDecisionHistory(clickhouse)), list_admin)
    return replace(staff, rule_desk=desk)

