"""The vectorised evaluator agrees with the CEL package's own evaluator, expression by expression.

Random well-typed expressions over the rules' subset (every operator, call and literal kind),
each evaluated on a batch of random contexts — zeros, negatives, large amounts, doubles that
— once by `RuleSet.evaluate` (numpy over the batch) and once
by the package's `Program.execute` per order.
"""

from __future__ import annotations

import random

import numpy as np

from detectors.features.names import FEATURE_NAMES
from detectors.rules import CelType, OrderAttributes, Rule, RuleAction, RuleSet
from detectors.rules.context import FEATURE_TYPES
from detectors.rules.defaults import DEFAULT_RULES
from tests.detectors.rules.support import batch

INTS = [n for n, t in FEATURE_TYPES.items() if t is CelType.INT] + ["amount_major"]
DOUBLES = [n for n, t in FEATURE_TYPES.items() if t is CelType.DOUBLE]
BOOLS = [n for n, t in FEATURE_TYPES.items() if t is CelType.BOOL] + ["sandbox"]
STRINGS = ["currency", "product_type", "recipient_kind", "card_bin", "bin_country", "company_id"]
WORDS = ["EUR", "USD", "JPY", "card", "phone", "gift", "", "9991", "999101", "KP", "c1", "c2"]


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def boolean(self, d: int) -> str:
        r = self.r
        choice = r.randrange(9 if d > 0 else 4)
        if choice == 0:
            return r.choice(BOOLS)
        if choice == 1:
            op = r.choice(["<", "<=", ">", ">=", "==", "!="])
            left, right = (self.integer, self.double)[r.randrange(2)], (self.integer, self.double)[r.randrange(2)]
            return f"{left(d - 1)} {op} {right(d - 1)}"
        if choice == 2:
            return f"{self.string()} {r.choice(['==', '!=', '<', '>='])} {self.string()}"
        if choice == 3:
            items = ", ".join(f'"{w}"' for w in r.sample(WORDS, r.randrange(0, 4)))
            return f"{r.choice(STRINGS)} in [{items}]"
        if choice == 4:
            return f"!({self.boolean(d - 1)})"
        if choice == 5:
            return f"({self.boolean(d - 1)}) {r.choice(['&&', '||'])} ({self.boolean(d - 1)})"
        if choice == 6:
            return f"(({self.boolean(d - 1)}) ? ({self.boolean(d - 1)}) : ({self.boolean(d - 1)}))"
        if choice == 7:
            items = ", ".join(str(r.choice([0, 1, 3, -2, 2.5, 500])) for _ in range(r.randrange(1, 4)))
            return f"{self.integer(d - 1)} in [{items}]"
        method = r.choice(["startsWith", "endsWith", "contains"])
        return f'{r.choice(STRINGS)}.{method}("{r.choice(WORDS)}")'

    def integer(self, d: int) -> str:
        r = self.r
        choice = r.randrange(7 if d > 0 else 2)
        if choice == 0:
            return r.choice(INTS)
        if choice == 1:
            return str(r.choice([0, 1, 2, 5, 100, -3, 0x10]))
        if choice == 2:
            return f"({self.integer(d - 1)} {r.choice(['+', '-'])} {self.integer(d - 1)})"
        if choice == 3:
            return f"({self.integer(d - 1)} * {r.choice([2, -3, 100])})"
        if choice == 4:
            return f"({self.integer(d - 1)} {r.choice(['/', '%'])} {r.choice([3, -7, 100])})"
        if choice == 5:
            return f"-{self.integer(d - 1)}"
        return f"({self.boolean(d - 1)} ? {self.integer(d - 1)} : {self.integer(d - 1)})"

    def double(self, d: int) -> str:
        r = self.r
        choice = r.randrange(6 if d > 0 else 2)
        if choice == 0:
            return r.choice(DOUBLES)
        if choice == 1:
            return r.choice(["0.0", "1.5", "-2.25", "1e3", "0.5"])
        if choice == 2:
            return f"double({self.integer(d - 1)})"
        if choice == 3:
            if r.random() < 0.25:
                return f"({self.double(d - 1)} / {r.choice(['2.0', '-0.5', '1e3'])})"
            return f"({self.double(d - 1)} {r.choice(['+', '-', '*'])} {self.double(d - 1)})"
        if choice == 4:
            return f"-{self.double(d - 1)}"
        return f"({self.boolean(d - 1)} ? {self.double(d - 1)} : {self.double(d - 1)})"

    def string(self) -> str:
        return self.r.choice(STRINGS) if self.r.random() < 0.6 else f'"{self.r.choice(WORDS)}"'


def contexts(seed: int, n: int) -> tuple[np.ndarray, list[OrderAttributes]]:
    r = random.Random(seed)
    out = []
    for _ in range(n):
        c: dict[str, object] = {}
        for name in FEATURE_NAMES:
            kind = FEATURE_TYPES[name]
            if kind is CelType.BOOL:
                c[name] = r.random() < 0.5
            elif kind is CelType.INT:
                c[name] = r.choice([0, 1, 2, 3, 5, 7, 10, 499, r.randrange(0, 10**6)])
            else:
                c[name] = r.choice([0.0, 0.5, 1.0, 3.0, -1.5, r.uniform(-10, 10)])
        c.update(
            currency=r.choice(["EUR", "USD", "JPY"]), product_type=r.choice(["gift", "card", ""]),
            recipient_kind=r.choice(["card", "phone"]), card_bin=r.choice(["999101", "411111", "", "999211"]),
            company_id=r.choice(["c1", "c2"]), sandbox=r.random() < 0.3,
        )  # fmt: skip
        out.append(c)
    return batch(*out)


def test_random_expressions_agree_with_the_package() -> None:
    matrix, orders = contexts(1, 48)
    gen = Gen(2)
    for i in range(400):
        source = gen.boolean(3)
        rules = RuleSet.compile([Rule(f"r{i}", 1, "random", source, RuleAction.REVIEW)])
        vectorised = rules.evaluate(matrix, orders)
        reference = rules.evaluate_reference(matrix, orders)
        assert vectorised == reference, source


def test_default_rules_agree_with_the_package() -> None:
    matrix, orders = contexts(3, 500)
    rules = RuleSet.compile(DEFAULT_RULES)
    result = rules.evaluate(matrix, orders)
    assert result == rules.evaluate_reference(matrix, orders)
    assert all(result.counts.values())  # every rule fired somewhere: the comparison means something
