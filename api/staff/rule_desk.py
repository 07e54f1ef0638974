"""The staff use cases over fraud rules and lists, bundled for StaffServices."""

from __future__ import annotations

from dataclasses import dataclass

from api.staff.list_service import ListAdmin
from api.staff.rule_service import RuleAdmin
from api.staff.rule_trials import RuleTrials


@dataclass(frozen=True, slots=True)
class RuleDesk:
    rules: RuleAdmin  # versions, validation, published sets
    trials: RuleTrials  # tests and backtests over stored decisions
    lists: ListAdmin  # block and allow lists
