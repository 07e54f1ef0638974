"""Staff case events and notes: deterministic ids, bounded printable notes, no card numbers,
no assignment of a resolved case; rule ids split into id and version."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.errors import InvalidCommand
from domain.fraud import CaseEventKind
from domain.fraud_views import CaseResolved, CaseStatus, RuleHits, annotation, assignment, check_note
from tests.api.staff.fraud_fakes import case_view
from tests.builders import T0
from tests.fraud_builders import held_order, opened


def test_case_events_carry_the_case_and_a_deterministic_id() -> None:
    case = case_view([opened(held_order(1, "cmp_b"))])
    event = assignment(case, "stf_ann", "stf_lead", "req-1", T0)
    assert event == assignment(case, "stf_ann", "stf_lead", "req-1", T0)  # a retry appends the same event
    assert (event.kind, event.text, event.actor, event.company_id, event.order_id) == (
        CaseEventKind.ASSIGNED, "stf_ann", "stf_lead", "cmp_b", held_order(1).id)
    note = annotation(case, "  called the partner\n  ", "stf_ann", "req-2", T0)
    assert note.text == "called the partner" and note.event_id == f"{case.case_id}:note:req-2"
    with pytest.raises(CaseResolved):
        assignment(replace(case, status=CaseStatus.RESOLVED), "stf_ann", "stf_lead", "req-3", T0)
    annotation(replace(case, status=CaseStatus.RESOLVED), "post-mortem", "stf_ann", "req-4", T0)  # notes still go


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, "pan 4111111111111111", "nul\x00", "esc\x1b[2J"])
def test_bad_notes_are_refused_with_a_pointer(text: str) -> None:
    with pytest.raises(InvalidCommand) as caught:
        check_note(text)
    assert caught.value.pointer == "/text"


def test_optional_notes_and_rule_ids() -> None:
    assert check_note("", "/note", required=False) == "" and check_note("tab\tand\nline") == "tab\tand\nline"
    assert (RuleHits("velocity@12", 1, 0).rule_id, RuleHits("velocity@12", 1, 0).version) == ("velocity", "12")
    assert (RuleHits("legacy", 1, 0).rule_id, RuleHits("legacy", 1, 0).version) == ("legacy", "")
    assert (RuleHits("a@b@3", 0, 1).rule_id, RuleHits("a@b@3", 0, 1).version) == ("a@b", "3")
