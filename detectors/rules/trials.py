"""Trying a rule on orders it has not decided: stored decisions (their feature rows and order
attributes) or samples an analyst types, evaluated with `RuleSet` in numpy batches, and the
tally of a backtest (hits, hits per day, precision and recall against confirmed frauds).

Pure code: the staff API reads the decisions from ClickHouse and feeds them here in chunks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from detectors.bins import SAMPLE_BINS
from detectors.features.names import FEATURE_INDEX, FEATURE_NAMES
from detectors.rules.context import FEATURE_TYPES, ORDER_ATTRIBUTES, VOCABULARY, CelType, OrderAttributes
from detectors.rules.model import Rule
from detectors.rules.ruleset import RuleSet

MAX_SAMPLE_STRING = 256


@dataclass(frozen=True, slots=True)
class HistoryPeriod:
    """Stored decisions of orders created in [start, end), of one company or all."""

    start: datetime
    end: datetime
    company_id: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionChunk:
    """Stored decisions, one row each: the feature matrix (FEATURE_NAMES columns; only the
    columns asked for are filled, the others are 0) and each order's attributes."""

    order_ids: tuple[str, ...]
    at: tuple[datetime, ...]
    outcomes: tuple[str, ...]
    attributes: tuple[OrderAttributes, ...]
    matrix: np.ndarray

    def __len__(self) -> int:
        return len(self.order_ids)


EMPTY_CHUNK = DecisionChunk((), (), (), (), np.zeros((0, len(FEATURE_NAMES))))


def fired(rule: Rule, chunk: DecisionChunk) -> np.ndarray:
    """Whether the rule fires on each row (a shadow rule too: the question is what it matches)."""
    return fired_by(RuleSet.compile((rule,)), chunk)


def fired_by(ruleset: RuleSet, chunk: DecisionChunk) -> np.ndarray:
    if not len(chunk):
        return np.zeros(0, dtype=np.bool_)
    batch = ruleset.evaluate(chunk.matrix, chunk.attributes)
    return np.fromiter((h.fired for h in batch.hits), dtype=np.bool_, count=len(chunk))


def read_values(names: frozenset[str], chunk: DecisionChunk, row: int) -> dict[str, Any]:
    """The values a rule reads for one row, as plain JSON values."""
    out: dict[str, Any] = {}
    attributes = chunk.attributes[row]
    for name in sorted(names):
        if name in ORDER_ATTRIBUTES:
            out[name] = attributes.amount_major if name == "amount_major" else _attribute(attributes, name)
            continue
        value = float(chunk.matrix[row, FEATURE_INDEX[name]])
        kind = FEATURE_TYPES[name]
        out[name] = value != 0 if kind is CelType.BOOL else int(value) if kind is CelType.INT else value
    return out


def _attribute(attributes: OrderAttributes, name: str) -> Any:
    if name == "bin_country":
        return SAMPLE_BINS.country(attributes.card_bin)  # the directory RuleSet uses by default
    return getattr(attributes, name)


# --- samples an analyst types --------------------------------------------------------------


class SampleError(ValueError):
    """A sample that cannot be evaluated; `name` is the offending field."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _number(name: str, value: Any, kind: CelType) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SampleError(name, f"{name} must be {'an int' if kind is CelType.INT else 'a number'}")
    if kind is CelType.INT and not (isinstance(value, int) or float(value).is_integer()):
        raise SampleError(name, f"{name} must be an int")
    number = float(value)
    if not math.isfinite(number) or abs(number) > 2**53:
        raise SampleError(name, f"{name} is out of range")
    return number


def sample_chunk(samples: Sequence[Mapping[str, Any]]) -> DecisionChunk:
    """Rows from samples: each maps vocabulary names to values; features left out are 0,
    `amount` is both the feature and the attribute, and the recipient kind follows
    rcpt_is_card / rcpt_is_phone unless given."""
    matrix = np.zeros((len(samples), len(FEATURE_NAMES)))
    attributes: list[OrderAttributes] = []
    for i, sample in enumerate(samples):
        strings: dict[str, str] = {}
        flags: dict[str, bool] = {}
        for name, value in sample.items():
            kind = VOCABULARY.get(name)
            if kind is None or name in ("amount_major", "bin_country"):
                raise SampleError(name, f"{name!r} is not a feature or an order attribute a sample can set")
            if kind is CelType.STRING:
                if not isinstance(value, str) or len(value) > MAX_SAMPLE_STRING:
                    raise SampleError(name, f"{name} must be a string of at most {MAX_SAMPLE_STRING} characters")
                strings[name] = value
            elif kind is CelType.BOOL:
                if not isinstance(value, bool):
                    raise SampleError(name, f"{name} must be true or false")
                flags[name] = value
                if name in FEATURE_INDEX:
                    matrix[i, FEATURE_INDEX[name]] = float(value)
            else:
                matrix[i, FEATURE_INDEX[name]] = _number(name, value, kind)
        row = matrix[i]
        is_card, is_phone = row[FEATURE_INDEX["rcpt_is_card"]], row[FEATURE_INDEX["rcpt_is_phone"]]
        kind_default = "card" if is_card else "phone" if is_phone else "email"
        attributes.append(OrderAttributes(
            company_id=strings.get("company_id", ""), amount=int(row[FEATURE_INDEX["amount"]]),
            currency=strings.get("currency", "EUR"), recipient_kind=strings.get("recipient_kind", kind_default),
            card_bin=strings.get("card_bin", ""), product_type=strings.get("product_type", ""),
            sandbox=flags.get("sandbox", False),
        ))  # fmt: skip
    n = len(samples)
    return DecisionChunk(tuple(f"sample-{i}" for i in range(n)), (), ("",) * n, tuple(attributes), matrix)


# --- a backtest's tally --------------------------------------------------------------------


@dataclass
class Tally:
    """One rule version's hits over a period, against the confirmed frauds of that period."""

    hits: int = 0
    hit_frauds: int = 0  # hit orders that were confirmed fraud
    frauds: int = 0  # confirmed frauds among the period's orders
    per_day: Counter[date] = field(default_factory=Counter)

    def add(self, hit: np.ndarray, fraud: np.ndarray, days: Sequence[date]) -> None:
        self.hits += int(hit.sum())
        self.hit_frauds += int((hit & fraud).sum())
        self.frauds += int(fraud.sum())
        for j in np.flatnonzero(hit).tolist():
            self.per_day[days[j]] += 1

    @property
    def precision(self) -> float | None:
        return self.hit_frauds / self.hits if self.hits else None

    @property
    def recall(self) -> float | None:
        return self.hit_frauds / self.frauds if self.frauds else None
