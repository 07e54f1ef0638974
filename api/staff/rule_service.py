"""Use cases behind the staff rule routes: rule versions, validation, published rule sets.

Reads come from this node's replica of `fraud.rules` (a `RuleBook`); writes go to the topic
through a `RuleStore` (durable, then applied to the book: read-your-writes). Rule versions are
immutable: an edit is a new version, checked against the latest one (`base_version`), and a
publish is checked against the set in force (`base_set`), so two analysts editing at once get
a 409 rather than overwriting each other. Until a set is published the built-in defaults are
in force; they are listed as version 1 of their ids and saved to the topic the first time a
published set uses them (workers resolve refs from the topic only). Every change is audited.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Protocol

from detectors.rules import Rule, RuleError, RuleSet
from detectors.rules.compile import compile_expression
from detectors.rules.defaults import DEFAULT_RULES
from domain.audit import AuditTrail
from domain.errors import Conflict, DomainError, InvalidCommand, NotFound
from domain.staff import StaffActor
from streams.fraud_rules import DEFAULT_SET, PublishedSet, RuleBook, SavedRule

BUILT_IN = "built-in"  # who "saved" the default rules
MAX_SET_RULES = 500
_REF = re.compile(r"^([a-z][a-z0-9_]{0,63})@v([1-9][0-9]{0,9})$")
_DEFAULTS = {r.ref: r for r in DEFAULT_RULES}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # when the built-in defaults were "saved"


class RuleRefused(DomainError):
    """A rule or rule set that does not compile: the detail names the rule and the position."""

    status = 422
    slug = "rule-invalid"
    title = "The rule is invalid"


def refused(error: RuleError, pointer: str) -> RuleRefused:
    return RuleRefused(str(error), pointer)


class RuleStore(Protocol):
    async def save_rule(self, saved: SavedRule) -> None:
        """Durable when it returns, and applied to this node's book."""

    async def publish(self, published: PublishedSet) -> None:
        """Writes the set and makes it current; durable and applied when it returns."""


@dataclass(frozen=True, slots=True)
class RuleHistory:
    """One rule id: its versions, oldest first, and the version the set in force uses."""

    id: str
    versions: tuple[SavedRule, ...]
    in_force: int | None

    @property
    def latest(self) -> SavedRule:
        return self.versions[-1]


@dataclass(frozen=True, slots=True)
class RuleSetView:
    version: int
    refs: tuple[str, ...]
    published_by: str
    published_at: datetime | None  # None for the built-in defaults
    note: str
    in_force: bool


@dataclass(frozen=True, slots=True)
class Validation:
    names: tuple[str, ...]  # the features and order attributes the expression reads


@dataclass(frozen=True, slots=True)
class RuleDraft:
    """What an analyst sends for a new rule or version; None: keep the base version's value."""

    name: str | None = None
    expression: str | None = None
    action: str | None = None
    points: int | None = None
    priority: int | None = None
    mode: str | None = None
    description: str | None = None


def _versions(refs: Sequence[str]) -> dict[str, int]:
    """rule id → version of well-formed refs (the topic's are, having been checked on publish)."""
    return dict((m.group(1), int(m.group(2))) for m in map(_REF.match, refs) if m is not None)


def parse_ref(ref: str, pointer: str) -> tuple[str, int]:
    m = _REF.match(ref) if isinstance(ref, str) else None
    if m is None:
        raise InvalidCommand(f"{ref[:80]!r} is not a rule reference like 'velocity_user_1h@v2'", pointer)
    return m.group(1), int(m.group(2))


class RuleAdmin:
    def __init__(self, book: RuleBook, store: RuleStore, audit: AuditTrail) -> None:
        self._book = book
        self._store = store
        self._audit = audit
        self._writing = asyncio.Lock()  # check-then-write of versions and sets, on this node

    # --- reads ---------------------------------------------------------------------------

    def _saved(self) -> dict[str, SavedRule]:
        """Every known version by ref: the topic's, and the defaults not saved there yet."""
        out = {ref: SavedRule(rule, BUILT_IN, _EPOCH) for ref, rule in _DEFAULTS.items()}
        out.update(self._book.rules)
        return out

    def _refs_in_force(self) -> tuple[str, ...]:
        published = self._book.sets.get(self._book.current_set)
        return tuple(_DEFAULTS) if published is None else published.refs

    def rules(self) -> list[RuleHistory]:
        by_id: dict[str, list[SavedRule]] = {}
        for saved in self._saved().values():
            by_id.setdefault(saved.rule.id, []).append(saved)
        in_force = _versions(self._refs_in_force())
        return [
            RuleHistory(rule_id, tuple(sorted(versions, key=lambda s: s.rule.version)), in_force.get(rule_id))
            for rule_id, versions in sorted(by_id.items())
        ]

    def rule(self, rule_id: str) -> RuleHistory:
        found = next((h for h in self.rules() if h.id == rule_id), None)
        if found is None:
            raise NotFound(f"no rule {rule_id}")
        return found

    def version(self, rule_id: str, version: int | None) -> Rule:
        """A version of a rule; None: the one in force, else the latest."""
        history = self.rule(rule_id)
        wanted = version if version is not None else history.in_force or history.latest.rule.version
        for saved in history.versions:
            if saved.rule.version == wanted:
                return saved.rule
        raise NotFound(f"rule {rule_id} has no version {wanted}")

    def in_force(self, rule_id: str) -> Rule | None:
        """The version of this rule the set in force uses, if it uses one."""
        history = next((h for h in self.rules() if h.id == rule_id), None)
        if history is None or history.in_force is None:
            return None
        return self.version(rule_id, history.in_force)

    def sets(self) -> list[RuleSetView]:
        current = self._book.current_set
        views = [RuleSetView(DEFAULT_SET, tuple(_DEFAULTS), BUILT_IN, None, "the built-in defaults",
                             current == DEFAULT_SET or current not in self._book.sets)]  # fmt: skip
        views += [
            RuleSetView(s.version, s.refs, s.published_by, s.published_at, s.note, s.version == current)
            for s in sorted(self._book.sets.values(), key=lambda s: s.version)
        ]
        return views

    @property
    def current_set(self) -> int:
        return self._book.current_set if self._book.current_set in self._book.sets else DEFAULT_SET

    # --- validation and new versions -----------------------------------------------------

    @staticmethod
    def validate(expression: str) -> Validation:
        try:
            compiled = compile_expression(expression)
        except RuleError as e:
            raise refused(e, "/expression") from None
        return Validation(tuple(sorted(compiled.names)))

    async def create(self, actor: StaffActor, rule_id: str, draft: RuleDraft) -> SavedRule:
        async with self._writing:
            return await self._create(actor, rule_id, draft)

    async def _create(self, actor: StaffActor, rule_id: str, draft: RuleDraft) -> SavedRule:
        if any(s.rule.id == rule_id for s in self._saved().values()):
            raise Conflict(f"rule {rule_id} exists: add a version with POST /fraud/rules/{rule_id}/versions", "/id")
        if draft.name is None or draft.expression is None or draft.action is None:
            raise InvalidCommand("a new rule needs name, expression and action")
        return await self._save(actor, _build(rule_id, 1, draft, None), "fraud.rule.create")

    async def add_version(self, actor: StaffActor, rule_id: str, base_version: int, draft: RuleDraft) -> SavedRule:
        async with self._writing:
            return await self._add_version(actor, rule_id, base_version, draft)

    async def _add_version(self, actor: StaffActor, rule_id: str, base_version: int, draft: RuleDraft) -> SavedRule:
        latest = self.rule(rule_id).latest.rule
        if base_version != latest.version:
            raise Conflict(f"rule {rule_id} is at version {latest.version}, not {base_version}: reload and retry",
                           "/base_version")  # fmt: skip
        return await self._save(actor, _build(rule_id, latest.version + 1, draft, latest), "fraud.rule.version")

    async def _save(self, actor: StaffActor, rule: Rule, action: str) -> SavedRule:
        try:
            compile_expression(rule.expression, rule.id)
        except RuleError as e:
            raise refused(e, "/expression") from None
        saved = SavedRule(rule, actor.user.id, actor.at)
        await self._store.save_rule(saved)
        details = {"version": rule.version, "action": rule.action.value, "mode": rule.mode.value,
                   "points": rule.points, "priority": rule.priority, "expression": rule.expression}  # fmt: skip
        await self._audit.record(actor.audit(action, rule.ref, "", details))
        return saved

    # --- publishing ----------------------------------------------------------------------

    def _refs_with_changes(self, changes: Mapping[str, int | None]) -> list[str]:
        """The set in force with some rules set to a version (an int) or left out (None)."""
        refs = _versions(self._refs_in_force())
        for rule_id, version in changes.items():
            if version is None:
                if rule_id not in refs:
                    raise InvalidCommand(f"rule {rule_id} is not in the set in force", f"/set/{rule_id}")
                del refs[rule_id]
            else:
                refs[rule_id] = version
        return [f"{rule_id}@v{version}" for rule_id, version in sorted(refs.items())]

    async def publish(
        self, actor: StaffActor, refs: Sequence[str] | None, changes: Mapping[str, int | None] | None,
        base_set: int, note: str,
    ) -> PublishedSet:  # fmt: skip
        """Publishes `refs` (the whole set), or the set in force with `changes` (rule id → a
        version, or None to leave it out); 409 unless `base_set` is the set in force."""
        async with self._writing:
            if base_set != self.current_set:
                raise Conflict(f"the set in force is v{self.current_set}, not v{base_set}: reload and retry",
                               "/base_set")  # fmt: skip
            if refs is None:
                refs = self._refs_with_changes(changes or {})
            return await self._publish(actor, refs, note, "fraud.ruleset.publish", {})

    async def rollback(self, actor: StaffActor, to_set: int, base_set: int | None, note: str) -> PublishedSet:
        async with self._writing:
            return await self._rollback(actor, to_set, base_set, note)

    async def _rollback(self, actor: StaffActor, to_set: int, base_set: int | None, note: str) -> PublishedSet:
        if base_set is not None and base_set != self.current_set:
            raise Conflict(f"the set in force is v{self.current_set}, not v{base_set}: reload and retry", "/base_set")
        if to_set == DEFAULT_SET:
            refs: tuple[str, ...] = tuple(_DEFAULTS)
        elif to_set in self._book.sets:
            refs = self._book.sets[to_set].refs
        else:
            raise NotFound(f"no published rule set v{to_set}", "/to_set")
        return await self._publish(actor, refs, note, "fraud.ruleset.rollback", {"to_set": to_set})

    async def _publish(
        self, actor: StaffActor, refs: Sequence[str], note: str, action: str, extra: dict[str, Any]
    ) -> PublishedSet:
        if len(refs) > MAX_SET_RULES:
            raise InvalidCommand(f"a rule set holds at most {MAX_SET_RULES} rules", "/rules")
        known = self._saved()
        rules: list[Rule] = []
        for i, ref in enumerate(refs):
            parse_ref(ref, f"/rules/{i}")
            if ref not in known:
                raise InvalidCommand(f"no rule version {ref}", f"/rules/{i}")
            rules.append(known[ref].rule)
        try:
            RuleSet.compile(rules)  # the whole set, as workers will: one version per id
        except RuleError as e:
            raise refused(e, "/rules") from None
        for rule in rules:  # workers resolve refs from the topic: save the defaults it uses
            if rule.ref not in self._book.rules:
                await self._store.save_rule(SavedRule(rule, BUILT_IN, actor.at))
        previous = self.current_set
        version = max(self._book.sets, default=DEFAULT_SET) + 1
        published = PublishedSet(version, tuple(refs), actor.user.id, actor.at, note)
        await self._store.publish(published)
        details = {"refs": list(refs), "previous_set": previous, "note": note, **extra}
        await self._audit.record(actor.audit(action, f"set:v{version}", "", details))
        return published


def _build(rule_id: str, version: int, draft: RuleDraft, base: Rule | None) -> Rule:
    data: dict[str, Any] = base.to_dict() if base is not None else {"points": 0, "priority": 0, "mode": "active",
                                                                     "description": ""}  # fmt: skip
    if base is not None and draft.action is not None and draft.points is None and draft.action != "score":
        data["points"] = 0  # a score rule turned into another action leaves its points behind
    given = {k: v for k, v in vars_of(draft).items() if v is not None}
    data.update(given, id=rule_id, version=version)
    try:
        return Rule.from_dict(data)
    except RuleError as e:
        raise refused(e, "") from None


def vars_of(draft: RuleDraft) -> dict[str, Any]:
    return {f.name: getattr(draft, f.name) for f in fields(draft)}

