"""Fraud rules in CEL: validated and compiled once, evaluated per micro-batch (see ruleset)."""

from detectors.rules.context import ORDER_ATTRIBUTES, VOCABULARY, CelType, OrderAttributes, attributes_for
from detectors.rules.errors import RuleError
from detectors.rules.model import Rule, RuleAction, RuleMode
from detectors.rules.ruleset import NO_HITS, RuleBatch, RuleHits, RuleSet

__all__ = [
    "NO_HITS",
    "ORDER_ATTRIBUTES",
    "VOCABULARY",
    "CelType",
    "OrderAttributes",
    "Rule",
    "RuleAction",
    "RuleBatch",
    "RuleError",
    "RuleHits",
    "RuleMode",
    "RuleSet",
    "attributes_for",
]
