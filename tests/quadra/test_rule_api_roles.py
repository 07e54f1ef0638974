"""The API role's fraud rules and lists through the real broker: what staff save and publish
on one node is what a worker's replicas (started afterwards, reading the topics) enforce."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from analytics.clickhouse import ClickHouse
from api.staff.list_service import NewEntry
from api.staff.rule_service import RuleDraft
from detectors.lists import ListKind, ListVerdict, OrderIdentifiers
from domain.cards import CardVault
from domain.staff import Role, StaffActor
from quadra.rule_api_roles import with_fraud_rules
from streams.admin import ensure_topics
from streams.fraud_lists import ListDirectory
from streams.fraud_rules import RuleDirectory
from streams.topics import FRAUD_LISTS, FRAUD_RULES, TopicNames
from tests.api.fakes import RecordingAuditTrail
from tests.api.staff.fakes import InMemoryRegistry, InMemoryStaff, staff_services

CARD = "4111111111111111"


async def test_staff_changes_reach_a_worker_through_the_topics(
    kafka_bootstrap: str, topic_prefix: str, clickhouse: ClickHouse
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, 2, 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    stops: list[tuple[str, Any]] = []
    audit, staff = RecordingAuditTrail(), InMemoryStaff()
    vault = CardVault({"k1": b"k" * 32}, b"token-key")
    try:
        services = await with_fraud_rules(
            staff_services(staff, InMemoryRegistry(), audit), names, kafka_bootstrap, producer, clickhouse, vault,
            InMemoryRegistry(), audit, stops,
        )  # fmt: skip
        desk = services.rule_desk
        assert desk is not None and desk.rules.current_set == 0
        actor = StaffActor(staff.add(Role.RISK), "req1", "10.0.0.1", datetime.now(UTC))
        await desk.rules.create(actor, "big_payout", RuleDraft("Big", "amount_major >= 500", "decline", None, 5,
                                                               "shadow", ""))  # fmt: skip
        await desk.rules.publish(actor, None, {"big_payout": 1, "velocity_user_1h": None}, 0, "e2e")
        put = await desk.lists.put(actor, NewEntry(ListKind.CARD_TOKEN, CARD, ListVerdict.BLOCK, None, "mule", None))
        await desk.lists.put(actor, NewEntry(ListKind.IP, "10.9.9.9", ListVerdict.BLOCK, None, "bot", None))
        await desk.lists.remove(actor, entry_key := put.entry.key)
        assert entry_key.startswith('["card_token"')

        rules = RuleDirectory(kafka_bootstrap, names(FRAUD_RULES))
        lists = ListDirectory(kafka_bootstrap, names(FRAUD_LISTS))
        await rules.start()
        await lists.start()
        try:
            version, ruleset = rules.book.compiled()
            refs = {c.rule.ref for c in ruleset.rules}
            assert version == 1 and "big_payout@v1" in refs and "velocity_user_1h@v1" not in refs
            assert "card_testing@v1" in refs  # a default the set kept, saved to the topic with it
            assert len(lists.index) == 1  # the card's entry was removed by its tombstone
            assert lists.index.match(OrderIdentifiers(ip="10.9.9.9"), "cmp_x", datetime.now(UTC))
        finally:
            await lists.stop()
            await rules.stop()
    finally:
        for _, stop in reversed(stops):
            await stop()
        await producer.stop()
