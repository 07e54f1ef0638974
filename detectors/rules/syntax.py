"""A parser for the subset of CEL that rules use, keeping each node's offset for error messages.

The `common-expression-language` package parses every rule first and reports CEL syntax
errors; it does not expose its syntax tree, so this parser builds one for the type checker and
the batch evaluator. Valid CEL outside the subset is refused here with its position.

The subset: literals (bool, int, double, 'string', "string"), identifiers, parentheses,
`! -` (unary), `* / %`, `+ -`, `< <= > >= == != in`, `&&`, `||`, `c ? a : b`, list literals
(on the right of `in`), the calls `double(x)`, `s.startsWith(p)`, `s.endsWith(p)`,
`s.contains(p)`, and `//` comments. Not supported: uint and bytes literals, raw and
triple-quoted strings, maps, field selection, indexing, macros (`has`, `exists`, `all`, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from detectors.rules.errors import Problem


@dataclass(frozen=True, slots=True)
class Lit:
    pos: int
    value: bool | int | float | str


@dataclass(frozen=True, slots=True)
class Ident:
    pos: int
    name: str


@dataclass(frozen=True, slots=True)
class Unary:
    pos: int
    op: str  # "!" or "-"
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    pos: int  # of the operator
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Cond:
    pos: int  # of "?"
    test: Expr
    then: Expr
    other: Expr


@dataclass(frozen=True, slots=True)
class ListLit:
    pos: int
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Call:
    pos: int  # of the function name
    name: str
    target: Expr | None  # the receiver of `s.startsWith(p)`
    args: tuple[Expr, ...]


Expr = Lit | Ident | Unary | Binary | Cond | ListLit | Call

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*)
    | (?P<double>(?:\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?))
    | (?P<uint>(?:0[xX][0-9a-fA-F]+|\d+)[uU])
    | (?P<hex>0[xX][0-9a-fA-F]+)
    | (?P<int>\d+)
    | (?P<prefixed>[rRbB]{1,2}(?=["']))
    | (?P<triple>\"\"\"|''')
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
    | (?P<op>&&|\|\||==|!=|<=|>=|[<>!+\-*/%?:()\[\]{},.])
    """,
    re.VERBOSE,
)
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r", "`": "`", "?": "?"}
_RESERVED = frozenset(
    "as break const continue else for function if import let loop package namespace return var "
    "void while".split()
)
_RELATIONS = frozenset({"<", "<=", ">", ">=", "==", "!=", "in"})
_METHODS = frozenset({"startsWith", "endsWith", "contains"})
_FUNCTIONS = frozenset({"double"})

Token = tuple[str, str, int]  # kind, text, offset


def _tokens(source: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise Problem(pos, f"unexpected character {source[pos]!r}")
        kind = m.lastgroup or ""
        if kind in ("uint", "prefixed", "triple"):
            what = {"uint": "uint literals", "prefixed": "raw and bytes strings", "triple": "triple-quoted strings"}
            raise Problem(pos, f"{what[kind]} are not supported in rules")
        if kind != "space":
            out.append((kind, m.group(), pos))
        pos = m.end()
    out.append(("end", "", len(source)))
    return out


def _unquote(text: str, pos: int) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            code = body[i + 1]
            if code not in _ESCAPES:
                raise Problem(pos + i + 1, f"the escape \\{code} is not supported in rules")
            out.append(_ESCAPES[code])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.take()
        if token[1] != text or token[0] not in ("op", "ident"):
            raise Problem(token[2], f"expected {text!r}, found {token[1] or 'the end'!r}")
        return token

    def at_op(self, *texts: str) -> bool:
        kind, text, _ = self.peek()
        return (kind == "op" or (kind == "ident" and text == "in")) and text in texts

    def parse(self) -> Expr:
        expr = self.expr()
        kind, text, pos = self.peek()
        if kind != "end":
            raise Problem(pos, f"unexpected {text!r}")
        return expr

    def expr(self) -> Expr:
        test = self.binary(0)
        if self.at_op("?"):
            pos = self.take()[2]
            then = self.binary(0)
            self.expect(":")
            return Cond(pos, test, then, self.expr())
        return test

    # Precedence levels, loosest first; all left-associative.
    _LEVELS: tuple[frozenset[str], ...] = (
        frozenset({"||"}),
        frozenset({"&&"}),
        _RELATIONS,
        frozenset({"+", "-"}),
        frozenset({"*", "/", "%"}),
    )

    def binary(self, level: int) -> Expr:
        if level == len(self._LEVELS):
            return self.unary()
        ops = self._LEVELS[level]
        left = self.binary(level + 1)
        while self.at_op(*ops):
            _, op, pos = self.take()
            left = Binary(pos, op, left, self.binary(level + 1))
        return left

    def unary(self) -> Expr:
        if self.at_op("!", "-"):
            _, op, pos = self.take()
            operand = self.unary()
            if op == "-" and isinstance(operand, Lit) and not isinstance(operand.value, (bool, str)):
                return Lit(pos, -operand.value)  # a negative literal, as CEL folds it
            return Unary(pos, op, operand)
        return self.member()

    def member(self) -> Expr:
        expr = self.primary()
        while self.at_op(".", "["):
            _, op, pos = self.take()
            if op == "[":
                raise Problem(pos, "indexing is not supported in rules")
            kind, name, npos = self.take()
            if kind != "ident" or not self.at_op("("):
                raise Problem(npos, "field selection is not supported in rules")
            if name not in _METHODS:
                raise Problem(npos, f"unknown function {name!r} (rules may call {_known_calls()})")
            expr = Call(npos, name, expr, self.arguments())
        return expr

    def arguments(self) -> tuple[Expr, ...]:
        self.expect("(")
        args: list[Expr] = []
        if not self.at_op(")"):
            args.append(self.expr())
            while self.at_op(","):
                self.take()
                args.append(self.expr())
        self.expect(")")
        return tuple(args)

    def primary(self) -> Expr:
        kind, text, pos = self.take()
        if kind == "double":
            return Lit(pos, float(text))
        if kind == "int":
            return Lit(pos, int(text))
        if kind == "hex":
            return Lit(pos, int(text, 16))
        if kind == "string":
            return Lit(pos, _unquote(text, pos))
        if kind == "ident":
            if text in ("true", "false"):
                return Lit(pos, text == "true")
            if text == "null":
                raise Problem(pos, "null is not supported in rules: every attribute has a value")
            if text in _RESERVED or text == "in":
                raise Problem(pos, f"{text!r} is a reserved word")
            if self.at_op("("):
                if text not in _FUNCTIONS:
                    raise Problem(pos, f"unknown function {text!r} (rules may call {_known_calls()})")
                return Call(pos, text, None, self.arguments())
            return Ident(pos, text)
        if kind == "op" and text == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if kind == "op" and text == "[":
            items: list[Expr] = []
            if not self.at_op("]"):
                items.append(self.expr())
                while self.at_op(","):
                    self.take()
                    if self.at_op("]"):
                        break  # CEL allows a trailing comma
                    items.append(self.expr())
            self.expect("]")
            return ListLit(pos, tuple(items))
        if kind == "op" and text == "{":
            raise Problem(pos, "maps are not supported in rules")
        raise Problem(pos, f"unexpected {text or 'end of the expression'!r}")


def _known_calls() -> str:
    return "double(x), s.startsWith(p), s.endsWith(p), s.contains(p)"


def parse(source: str) -> Expr:
    """The syntax tree of a rule expression; raises Problem(offset, message)."""
    return _Parser(source).parse()
