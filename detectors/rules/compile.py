"""A rule expression, compiled once: validated by the CEL package, typed, and vectorised.

1. `cel.compile` (the `common-expression-language` package) parses the expression: a CEL
   syntax error is refused with the package's line and column.
2. `detectors.rules.syntax` parses the same text into a tree with offsets (the package keeps
   its tree private); valid CEL outside the rules' subset is refused with its position.
3. The tree is type-checked against `VOCABULARY`: an unknown identifier, `int + double`,
   comparing a string with a number, or a result that is not a bool are refused, with position.
4. The tree becomes a closure over numpy arrays: one call evaluates the rule for a whole batch.
   The package's `Program` is kept as the reference evaluator (one order at a time), and
   tests/detectors/rules/test_differential.py checks both agree on many random contexts.

Integer arithmetic runs in int64 (CEL reports overflow as an error, numpy wraps; no realistic
feature comes near 2**63). `/` and `%` need a non-zero literal divisor, so no rule divides by
zero: an int division would be an error, and a double one an inf or a NaN — and the package
fails on comparisons with NaN where numpy (and the CEL spec) yield false. The features hold no
NaN nor inf, so both evaluators always agree.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any

import cel
import numpy as np

from detectors.rules.context import VOCABULARY, CelType
from detectors.rules.errors import Problem, RuleError, line_column
from detectors.rules.syntax import Binary, Call, Cond, Expr, Ident, ListLit, Lit, Unary, parse

Columns = dict[str, np.ndarray]
Fn = Callable[[Columns], Any]  # an array over the batch, or a scalar broadcast over it

_PACKAGE_POSITION = re.compile(r"<input>:(\d+):(\d+): (?:Syntax error: )?([^\n]*)")
MAX_EXPRESSION = 4000


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    source: str
    program: cel.Program  # the package's compiled program: the reference evaluator
    names: frozenset[str]  # the vocabulary names it reads
    batch: Fn  # columns → bool array (or a bool scalar for a constant expression)

    def evaluate(self, cols: Columns, n: int) -> np.ndarray:
        out = self.batch(cols)
        return np.broadcast_to(np.asarray(out, dtype=np.bool_), (n,))


def compile_expression(source: str, rule_id: str | None = None) -> CompiledExpression:
    if not source.strip():
        raise RuleError("the expression is empty", rule_id)
    if len(source) > MAX_EXPRESSION:
        raise RuleError(f"the expression is longer than {MAX_EXPRESSION} characters", rule_id)
    try:
        program = cel.compile(source)
    except ValueError as e:
        m = _PACKAGE_POSITION.search(str(e))
        if m is None:
            raise RuleError(f"CEL syntax error: {e}", rule_id) from None
        raise RuleError(f"CEL syntax error: {m.group(3)}", rule_id, int(m.group(1)), int(m.group(2))) from None
    try:
        tree = parse(source)
        names: set[str] = set()
        kind, fn = _build(tree, names)
        if kind is not CelType.BOOL:
            raise Problem(0, f"a rule must yield a bool, this expression yields {kind.value}")
    except Problem as p:
        line, column = line_column(source, p.offset)
        raise RuleError(p.message, rule_id, line, column) from None
    unexpected = set(program.variables()) - names
    if unexpected:  # the two parsers disagree: refuse rather than evaluate something else
        raise RuleError(f"unsupported reference to {sorted(unexpected)}", rule_id)
    return CompiledExpression(source, program, frozenset(names), fn)


def _const(value: bool | int | float | str) -> tuple[CelType, Any]:
    if isinstance(value, bool):
        return CelType.BOOL, np.bool_(value)
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise OverflowError
        return CelType.INT, np.int64(value)
    if isinstance(value, float):
        return CelType.DOUBLE, np.float64(value)
    return CelType.STRING, value


def _build(node: Expr, names: set[str]) -> tuple[CelType, Fn]:
    if isinstance(node, Lit):
        try:
            kind, value = _const(node.value)
        except OverflowError:
            raise Problem(node.pos, "integer literal out of the int64 range") from None
        return kind, lambda cols: value
    if isinstance(node, Ident):
        known = VOCABULARY.get(node.name)
        if known is None:
            close = difflib.get_close_matches(node.name, list(VOCABULARY), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise Problem(node.pos, f"unknown identifier {node.name!r}: not a feature or order attribute{hint}")
        names.add(node.name)
        name = node.name
        return known, lambda cols: cols[name]
    if isinstance(node, Unary):
        kind, fn = _build(node.operand, names)
        if node.op == "!":
            _need(node, kind, CelType.BOOL, "!")
            return CelType.BOOL, lambda cols: np.logical_not(fn(cols))
        if not kind.numeric:
            raise Problem(node.pos, f"unary '-' needs a number, not {kind.value}")
        return kind, lambda cols: np.negative(fn(cols))
    if isinstance(node, Binary):
        return _binary(node, names)
    if isinstance(node, Cond):
        tk, test = _build(node.test, names)
        _need(node, tk, CelType.BOOL, "the condition of '?'")
        ak, then = _build(node.then, names)
        bk, other = _build(node.other, names)
        if ak is not bk:
            raise Problem(node.pos, f"both branches of '?' must have one type, not {ak.value} and {bk.value}")
        return ak, lambda cols: np.where(test(cols), then(cols), other(cols))
    if isinstance(node, Call):
        return _call(node, names)
    raise Problem(node.pos, "a list is only allowed on the right of 'in'")


def _need(node: Expr, kind: CelType, want: CelType, where: str) -> None:
    if kind is not want:
        raise Problem(node.pos, f"{where} needs {_a(want)}, not {kind.value}")


def _a(kind: CelType) -> str:
    return f"an {kind.value}" if kind is CelType.INT else f"a {kind.value}"


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {"+": np.add, "-": np.subtract, "*": np.multiply}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
    "==": np.equal, "!=": np.not_equal,
}  # fmt: skip


def _binary(node: Binary, names: set[str]) -> tuple[CelType, Fn]:
    op = node.op
    if op == "in":
        return _membership(node, names)
    lk, left = _build(node.left, names)
    rk, right = _build(node.right, names)
    if op in ("&&", "||"):
        _need(node.left, lk, CelType.BOOL, f"'{op}'")
        _need(node.right, rk, CelType.BOOL, f"'{op}'")
        logic = np.logical_and if op == "&&" else np.logical_or
        return CelType.BOOL, lambda cols: logic(left(cols), right(cols))
    if op in _COMPARE:
        comparable = (lk.numeric and rk.numeric) or (lk is rk and lk in (CelType.STRING, CelType.BOOL))
        if lk is CelType.BOOL and op not in ("==", "!="):
            comparable = False
        if not comparable:
            raise Problem(node.pos, f"cannot compare {lk.value} {op} {rk.value}")
        compare = _COMPARE[op]
        return CelType.BOOL, lambda cols: compare(left(cols), right(cols))
    if not (lk.numeric and lk is rk):
        raise Problem(
            node.pos,
            f"'{op}' needs two ints or two doubles, not {lk.value} and {rk.value} "
            "(CEL does not convert: write 3.0 for a double, or double(x))",
        )
    if op in _ARITHMETIC:
        arithmetic = _ARITHMETIC[op]
        return lk, lambda cols: arithmetic(left(cols), right(cols))
    if lk is CelType.DOUBLE and op == "%":
        raise Problem(node.pos, "'%' is not defined for doubles in CEL")
    if not (isinstance(node.right, Lit) and node.right.value != 0):
        raise Problem(
            node.pos,
            f"'{op}' needs a non-zero literal divisor: write `a > b * 5.0` rather than `a / b > 5.0`",
        )
    if lk is CelType.DOUBLE:
        divisor = np.float64(node.right.value)
        return lk, lambda cols: np.true_divide(left(cols), divisor)
    d = np.int64(node.right.value)
    if op == "%":
        return lk, lambda cols: np.fmod(left(cols), d)  # CEL: the sign of the dividend

    def truncate(cols: Columns) -> Any:
        a = left(cols)
        q = np.floor_divide(a, d)
        return q + ((np.fmod(a, d) != 0) & ((a < 0) != (d < 0)))  # toward zero, as CEL

    return lk, truncate


def _membership(node: Binary, names: set[str]) -> tuple[CelType, Fn]:
    lk, left = _build(node.left, names)
    if not isinstance(node.right, ListLit):
        raise Problem(node.right.pos, "the right of 'in' must be a list literal, e.g. [\"KP\", \"IR\"]")
    values: list[Any] = []
    for item in node.right.items:
        if not isinstance(item, Lit):
            raise Problem(item.pos, "the items of a list must be literals")
        ik, value = _const(item.value)
        if not ((ik.numeric and lk.numeric) or ik is lk):
            raise Problem(item.pos, f"{_a(ik)} in a list compared with {_a(lk)}")
        values.append(value)
    if not values:
        return CelType.BOOL, lambda cols: np.bool_(False)

    def member(cols: Columns) -> Any:
        x = left(cols)
        return reduce(np.logical_or, (np.equal(x, v) for v in values))

    return CelType.BOOL, member


_STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "startsWith": str.startswith,
    "endsWith": str.endswith,
    "contains": lambda s, p: p in s,
}


def _call(node: Call, names: set[str]) -> tuple[CelType, Fn]:
    args = [_build(a, names) for a in node.args]
    if node.name == "double":
        if len(args) != 1 or not args[0][0].numeric:
            raise Problem(node.pos, "double() takes one int or double")
        arg = args[0][1]
        return CelType.DOUBLE, lambda cols: np.asarray(arg(cols), dtype=np.float64)
    assert node.target is not None
    tk, target = _build(node.target, names)
    if tk is not CelType.STRING or len(args) != 1 or args[0][0] is not CelType.STRING:
        raise Problem(node.pos, f"{node.name}() is called on a string with one string argument")
    test = _STRING_TESTS[node.name]
    arg = args[0][1]

    def call(cols: Columns) -> Any:
        s, p = target(cols), arg(cols)
        if isinstance(s, str) and isinstance(p, str):
            return np.bool_(test(s, p))
        n = len(s) if not isinstance(s, str) else len(p)
        ss = [s] * n if isinstance(s, str) else s
        ps = [p] * n if isinstance(p, str) else p
        return np.fromiter((test(a, b) for a, b in zip(ss, ps)), dtype=np.bool_, count=n)

    return CelType.BOOL, call
