"""The rule use cases over an in-memory rules topic: versions, validation, publishing, rollback,
and what a worker replaying the topic enforces."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from api.staff.rule_service import RuleAdmin, RuleDraft, RuleRefused
from detectors.engine import Judges, judge
from detectors.features.names import FEATURE_INDEX, FEATURE_NAMES
from detectors.rules import RuleMode, RuleSet, attributes_for
from detectors.rules.defaults import DEFAULT_RULES
from domain.errors import Conflict, InvalidCommand, NotFound
from domain.staff import Role, StaffActor
from streams.fraud_rules import RuleBook
from tests.api.fakes import RecordingAuditTrail
from tests.api.staff.fakes import InMemoryStaff
from tests.api.staff.rule_fakes import InMemoryRuleStore
from tests.builders import T0
from tests.domain.ledger_builders import approved_order

DEFAULT_REFS = sorted(r.ref for r in DEFAULT_RULES)
BIG = RuleDraft("Big payout", "amount_major >= 500", "review", None, 10, "active", "")


@pytest.fixture
def admin() -> tuple[RuleAdmin, InMemoryRuleStore, RecordingAuditTrail]:
    book = RuleBook()
    store, audit = InMemoryRuleStore(book), RecordingAuditTrail()
    return RuleAdmin(book, store, audit), store, audit


def actor(n: int = 0) -> StaffActor:
    return StaffActor(InMemoryStaff().add(Role.RISK), f"req{n}", "10.0.0.1", T0)


async def test_defaults_are_listed_in_force_until_a_set_is_published(admin: tuple) -> None:
    rules, store, _ = admin
    assert rules.current_set == 0
    listed = {h.id: h for h in rules.rules()}
    assert sorted(f"{i}@v1" for i in listed) == DEFAULT_REFS
    assert all(h.in_force == 1 and h.latest.saved_by == "built-in" for h in listed.values())
    assert [(s.version, s.in_force) for s in rules.sets()] == [(0, True)]
    assert store.records == []


async def test_versions_are_numbered_checked_and_inherit_what_is_left_out(admin: tuple) -> None:
    rules, store, audit = admin
    v1 = await rules.create(actor(1), "big_payout", BIG)
    assert (v1.rule.ref, v1.saved_by) == ("big_payout@v1", actor().user.id)
    with pytest.raises(Conflict):
        await rules.create(actor(2), "big_payout", BIG)
    with pytest.raises(Conflict):  # a default rule's id is taken too
        await rules.create(actor(2), "velocity_user_1h", BIG)
    v2 = await rules.add_version(actor(3), "big_payout", 1, RuleDraft(mode="shadow"))
    assert (v2.rule.version, v2.rule.mode.value, v2.rule.expression, v2.rule.priority) == (2, "shadow",
                                                                                          "amount_major >= 500", 10)
    with pytest.raises(Conflict):  # someone else saved v2 meanwhile
        await rules.add_version(actor(4), "big_payout", 1, RuleDraft(priority=1))
    # A default rule gets its version 2; a score rule turned into review drops its points.
    v = await rules.add_version(actor(5), "velocity_user_24h", 1, RuleDraft(action="review"))
    assert (v.rule.ref, v.rule.points, v.rule.action.value) == ("velocity_user_24h@v2", 0, "review")
    with pytest.raises(NotFound):
        await rules.add_version(actor(6), "nope", 1, RuleDraft(priority=1))
    assert [e.action for e in audit.events] == ["fraud.rule.create", "fraud.rule.version", "fraud.rule.version"]
    assert rules.rule("big_payout").in_force is None and len(rules.rule("big_payout").versions) == 2
    assert store.replayed().rules.keys() == store.book.rules.keys()


@pytest.mark.parametrize(
    ("expression", "line", "column", "words"),
    [
        ("amount_major >= ", 1, 17, "CEL syntax error"),
        ("user_count_1h >= 5 &&\n  user_cuont_24h > 3", 2, 3, "unknown identifier 'user_cuont_24h'"),
        ("user_count_1h + 1.5 > 3", 1, 15, "two ints or two doubles"),
    ],
)
async def test_an_invalid_expression_is_refused_with_its_position(
    admin: tuple, expression: str, line: int, column: int, words: str
) -> None:
    rules, store, _ = admin
    for attempt in (
        lambda: _validate(rules, expression),
        lambda: rules.create(actor(), "bad_rule", replace(BIG, expression=expression)),
    ):
        with pytest.raises(RuleRefused) as refused:
            await attempt()
        assert f"line {line}, column {column}" in refused.value.detail and words in refused.value.detail
        assert refused.value.pointer == "/expression"
    assert store.records == []


async def _validate(rules: RuleAdmin, expression: str) -> None:
    rules.validate(expression)


def test_validation_names_what_the_expression_reads(admin: tuple) -> None:
    assert admin[0].validate('amount_major >= 500 && bin_country in ["IR"]').names == ("amount_major", "bin_country")


async def test_publish_checks_refs_compiles_the_set_and_saves_the_defaults_it_uses(admin: tuple) -> None:
    rules, store, audit = admin
    await rules.create(actor(1), "big_payout", BIG)
    await rules.add_version(actor(2), "big_payout", 1, RuleDraft(priority=20))
    with pytest.raises(InvalidCommand, match="no rule version big_payout@v3"):
        await rules.publish(actor(3), ["big_payout@v3"], None, 0, "")
    with pytest.raises(RuleRefused, match="appears twice"):
        await rules.publish(actor(3), ["big_payout@v1", "big_payout@v2"], None, 0, "")
    with pytest.raises(Conflict):
        await rules.publish(actor(3), ["big_payout@v1"], None, 7, "")
    published = await rules.publish(actor(4), None, {"big_payout": 2, "velocity_user_1h": None}, 0, "tighter")
    assert published.version == 1 and rules.current_set == 1
    expected = sorted([*(r for r in DEFAULT_REFS if r != "velocity_user_1h@v1"), "big_payout@v2"])
    assert sorted(published.refs) == expected
    worker = store.replayed()  # what every worker sees: the defaults were saved with the set
    assert sorted(r.ref for r in worker.in_force()) == expected and worker.compiled()[0] == 1
    assert rules.rule("big_payout").in_force == 2 and rules.rule("velocity_user_1h").in_force is None
    with pytest.raises(Conflict):  # published against the defaults, which are no longer in force
        await rules.publish(actor(5), ["big_payout@v1"], None, 0, "")
    with pytest.raises(InvalidCommand):  # not in the set in force
        await rules.publish(actor(5), None, {"velocity_user_1h": None}, 1, "")
    assert audit.events[-1].action == "fraud.ruleset.publish"
    assert audit.events[-1].details["previous_set"] == 0 and audit.events[-1].details["note"] == "tighter"


async def test_rollback_publishes_an_earlier_set_as_a_new_one(admin: tuple) -> None:
    rules, store, audit = admin
    await rules.create(actor(1), "big_payout", BIG)
    await rules.publish(actor(2), ["big_payout@v1"], None, 0, "only mine")
    with pytest.raises(NotFound):
        await rules.rollback(actor(3), 9, None, "")
    with pytest.raises(Conflict):
        await rules.rollback(actor(3), 0, 0, "")
    back = await rules.rollback(actor(3), 0, 1, "back to the defaults")
    assert back.version == 2 and sorted(back.refs) == DEFAULT_REFS
    again = await rules.rollback(actor(4), 1, None, "")
    assert again.version == 3 and again.refs == ("big_payout@v1",)
    assert [s.version for s in rules.sets()] == [0, 1, 2, 3] and [s.in_force for s in rules.sets()][-1]
    assert [r.ref for r in store.replayed().in_force()] == ["big_payout@v1"]
    assert audit.events[-1].action == "fraud.ruleset.rollback" and audit.events[-1].details["to_set"] == 1


async def test_a_published_shadow_rule_never_changes_a_decision_but_its_hits_are_counted(admin: tuple) -> None:
    """Acceptance 4, second half: through the topic a worker reads, then the engine's judge."""
    rules, store, _ = admin
    shadow = RuleDraft("Shadow decline", "amount_major >= 5", "decline", None, 1000, "shadow", "")
    await rules.create(actor(1), "shadow_decline", shadow)
    await rules.create(actor(2), "score_more", RuleDraft("Score", "amount >= 0", "score", 30, 0, "shadow", ""))
    orders = [replace(approved_order(n, amount=1000 * n), id=f"ord_{n}") for n in (1, 2, 3)]
    matrix = np.zeros((3, len(FEATURE_NAMES)))
    matrix[:, FEATURE_INDEX["amount"]] = [o.amount.value for o in orders]
    without = judge(Judges(rules=store.replayed().compiled()[1]), orders, matrix)  # the defaults
    await rules.publish(actor(3), None, {"shadow_decline": 1, "score_more": 1}, 0, "shadow trial")
    book = store.replayed()
    _, ruleset = book.compiled()
    assert {r.rule.ref for r in ruleset.rules} >= {"shadow_decline@v1", "score_more@v1"}
    with_shadow = judge(Judges(rules=ruleset), orders, matrix)
    assert [a.status for a in with_shadow] == [a.status for a in without]
    assert [a.points for a in with_shadow] == [a.points for a in without]
    assert all(a.shadow_rules == ("shadow_decline@v1", "score_more@v1") for a in with_shadow)
    assert all("shadow_decline@v1" not in a.fired_rules for a in with_shadow)
    counts = ruleset.evaluate(matrix, [attributes_for(o) for o in orders]).counts
    assert counts["shadow_decline@v1"] == 3 and counts["score_more@v1"] == 3
    # The same rule made active does change the decisions: the test above can fail.
    active = RuleSet.compile([replace(book.rules["shadow_decline@v1"].rule, mode=RuleMode.ACTIVE)])
    assert all(a.status.value == "declined" for a in judge(Judges(rules=active), orders, matrix))

