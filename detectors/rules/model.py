"""A fraud rule as analysts write it, versioned, and its plain-JSON form (for a compacted topic)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from detectors.rules.errors import RuleError

_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_PRIORITY = 1_000_000
MAX_POINTS = 1_000_000


class RuleAction(str, enum.Enum):
    ALLOW = "allow"  # approve, skipping lists, other rules and the model
    REVIEW = "review"  # hold for an analyst
    DECLINE = "decline"
    SCORE = "score"  # add `points` to the order's rule points


class RuleMode(str, enum.Enum):
    ACTIVE = "active"
    SHADOW = "shadow"  # evaluated and counted, never changes a decision


# How strong an action is when two fired rules have the same priority.
SEVERITY = {RuleAction.SCORE: 0, RuleAction.ALLOW: 1, RuleAction.REVIEW: 2, RuleAction.DECLINE: 3}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str  # stable across versions: "velocity_user_1h"
    version: int  # 1, 2, ... a new version of a rule replaces the old one in a rule set
    name: str
    expression: str  # CEL, over detectors.rules.context.VOCABULARY, yielding a bool
    action: RuleAction
    points: int = 0  # for SCORE rules only (may be negative, to lower the points of an order)
    priority: int = 0  # the fired rule with the highest priority decides (see RuleSet)
    mode: RuleMode = RuleMode.ACTIVE
    description: str = ""

    def __post_init__(self) -> None:
        who = self.id if isinstance(self.id, str) and _ID.match(self.id) else None
        if who is None:
            raise RuleError(f"rule id {self.id!r} must be 1-64 of a-z, 0-9, _ starting with a letter")
        if not isinstance(self.action, RuleAction):
            raise RuleError(f"unknown action {self.action!r}", who)
        if not isinstance(self.mode, RuleMode):
            raise RuleError(f"unknown mode {self.mode!r}", who)
        for field, value, low, high in (
            ("version", self.version, 1, 2**31 - 1),
            ("priority", self.priority, -MAX_PRIORITY, MAX_PRIORITY),
            ("points", self.points, -MAX_POINTS, MAX_POINTS),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise RuleError(f"{field} must be an integer in [{low}, {high}], not {value!r}", who)
        if self.action is RuleAction.SCORE and self.points == 0:
            raise RuleError("a score rule needs non-zero points", who)
        if self.action is not RuleAction.SCORE and self.points != 0:
            raise RuleError(f"points apply to score rules only, not to {self.action.value}", who)
        if not isinstance(self.name, str) or not self.name.strip():
            raise RuleError("the name is empty", who)
        if not isinstance(self.expression, str) or not isinstance(self.description, str):
            raise RuleError("the expression and description must be strings", who)

    @property
    def ref(self) -> str:
        """"velocity_user_1h@v2": what a decision records."""
        return f"{self.id}@v{self.version}"

    @property
    def shadow(self) -> bool:
        return self.mode is RuleMode.SHADOW

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "expression": self.expression,
            "action": self.action.value,
            "points": self.points,
            "priority": self.priority,
            "mode": self.mode.value,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Rule:
        """The inverse of `to_dict`; refuses anything malformed with a RuleError."""
        if not isinstance(data, dict):
            raise RuleError(f"a rule must be a JSON object, not {type(data).__name__}")
        who = data.get("id") if isinstance(data.get("id"), str) else None
        allowed = {"id", "version", "name", "expression", "action", "points", "priority", "mode", "description"}
        unknown = set(data) - allowed
        if unknown:
            raise RuleError(f"unknown fields {sorted(unknown)}", who)
        missing = {"id", "version", "name", "expression", "action"} - set(data)
        if missing:
            raise RuleError(f"missing fields {sorted(missing)}", who)
        try:
            action = RuleAction(data["action"])
        except ValueError:
            raise RuleError(f"unknown action {data['action']!r}", who) from None
        try:
            mode = RuleMode(data.get("mode", RuleMode.ACTIVE.value))
        except ValueError:
            raise RuleError(f"unknown mode {data.get('mode')!r}", who) from None
        return cls(
            id=data["id"],
            version=data["version"],
            name=data["name"],
            expression=data["expression"],
            action=action,
            points=data.get("points", 0),
            priority=data.get("priority", 0),
            mode=mode,
            description=data.get("description", ""),
        )
