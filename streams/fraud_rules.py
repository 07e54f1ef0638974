"""Fraud rules on Kafka: the compacted, single-partition `fraud.rules` topic, read whole by
every worker (which compiles the published set) and API node (which serves the editor).

Records, by key:
- `rule:<id>:v<n>`: one immutable version of a rule (the rule's JSON, who saved it, when);
- `set:v<k>`: a published rule set, the refs (`id@vN`) it enforces or shadows, who, when, why;
- `current`: `{"set": k}`, the set in force. Publishing writes `set:v<k+1>` and then `current`;
  a rollback publishes an older set's refs as a new set, so history only grows.
Until anything is published the built-in defaults (detectors.rules.defaults) are in force,
unless the process was started without them (`QUADRA_FRAUD_BUILTIN_RULES=false`: benchmarks
of the money path, whose synthetic traffic would trip velocity rules).

Like the catalog, staff writes go straight to the topic with a version check against this
node's replica (rare edits, an idempotent producer); two simultaneous publishes on two API
nodes could both pass it, and the later `current` wins, both audited.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import ConsumerRecord

from detectors.rules import Rule, RuleError, RuleSet
from detectors.rules.defaults import DEFAULT_RULES
from streams.feeds import SingleTopicReplica
from streams.healing_producer import RecordWriter

log = logging.getLogger(__name__)
CURRENT = "current"
DEFAULT_SET = 0  # the built-in defaults, before anything is published


@dataclass(frozen=True, slots=True)
class SavedRule:
    rule: Rule
    saved_by: str
    saved_at: datetime


@dataclass(frozen=True, slots=True)
class PublishedSet:
    version: int
    refs: tuple[str, ...]
    published_by: str
    published_at: datetime
    note: str = ""


def rule_key(rule_id: str, version: int) -> str:
    return f"rule:{rule_id}:v{version}"


def encode_saved_rule(s: SavedRule) -> bytes:
    return json.dumps({"rule": s.rule.to_dict(), "saved_by": s.saved_by, "saved_at": s.saved_at.isoformat()}).encode()


def encode_set(p: PublishedSet) -> bytes:
    return json.dumps({"version": p.version, "refs": list(p.refs), "published_by": p.published_by,
                       "published_at": p.published_at.isoformat(), "note": p.note}).encode()  # fmt: skip


def _decode(key: str, d: dict[str, Any]) -> SavedRule | PublishedSet | int:
    if key == CURRENT:
        return int(d["set"])
    if key.startswith("set:"):
        return PublishedSet(int(d["version"]), tuple(str(r) for r in d["refs"]), str(d["published_by"]),
                            datetime.fromisoformat(d["published_at"]), str(d.get("note", "")))  # fmt: skip
    return SavedRule(Rule.from_dict(d["rule"]), str(d["saved_by"]), datetime.fromisoformat(d["saved_at"]))


class RuleBook:
    """Every saved rule version and published set, and the compiled set in force."""

    def __init__(self, builtin: tuple[Rule, ...] = DEFAULT_RULES) -> None:
        self._builtin = builtin
        self.rules: dict[str, SavedRule] = {}  # by ref "id@vN"
        self.sets: dict[int, PublishedSet] = {}
        self.current_set = DEFAULT_SET
        self._compiled: tuple[int, RuleSet] | None = None

    def apply(self, key: str, value: bytes | None) -> None:
        if value is None:
            return  # nothing here is ever deleted
        try:
            item = _decode(key, json.loads(value))
        except (RuleError, KeyError, TypeError, ValueError) as exc:
            log.error("ignoring a bad rules record %r: %s", key, exc)
            return
        if isinstance(item, SavedRule):
            self.rules[item.rule.ref] = item
        elif isinstance(item, PublishedSet):
            self.sets[item.version] = item
        else:
            self.current_set = item

    def in_force(self) -> tuple[Rule, ...]:
        published = self.sets.get(self.current_set)
        if published is None:
            return self._builtin
        return tuple(self.rules[ref].rule for ref in published.refs if ref in self.rules)

    def compiled(self) -> tuple[int, RuleSet]:
        """(set version, compiled rules), compiled once per published set."""
        if self._compiled is None or self._compiled[0] != self.current_set:
            try:
                self._compiled = (self.current_set, RuleSet.compile(self.in_force()))
            except RuleError as exc:  # validated on save: only a corrupt topic gets here
                log.error("rule set v%s does not compile, keeping the previous one: %s", self.current_set, exc)
                if self._compiled is None:
                    self._compiled = (DEFAULT_SET, RuleSet.compile(self._builtin))
        return self._compiled


class RuleDirectory(SingleTopicReplica):
    """A process's replica of `fraud.rules`."""

    def __init__(self, bootstrap: str, topic: str, builtin: tuple[Rule, ...] = DEFAULT_RULES) -> None:
        self.book = RuleBook(builtin)
        super().__init__(bootstrap, topic)

    def _on_record(self, record: ConsumerRecord) -> None:
        self.book.apply(record.key.decode() if record.key else "", record.value)



class KafkaRuleStore:
    """Staff saves and publishes: durable when the calls return, and applied to this node's
    book at once (read-your-writes)."""

    def __init__(self, producer: RecordWriter, topic: str, book: RuleBook) -> None:
        self._producer = producer
        self._topic = topic
        self._book = book

    async def _send(self, key: str, value: bytes) -> None:
        await self._producer.send_and_wait(self._topic, value, key=key.encode(), partition=0)
        self._book.apply(key, value)

    async def save_rule(self, saved: SavedRule) -> None:
        await self._send(rule_key(saved.rule.id, saved.rule.version), encode_saved_rule(saved))

    async def publish(self, published: PublishedSet) -> None:
        await self._send(f"set:v{published.version}", encode_set(published))
        await self._send(CURRENT, json.dumps({"set": published.version}).encode())
