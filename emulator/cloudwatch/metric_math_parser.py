"""The syntax of CloudWatch metric math (user guide, "Metric math syntax and functions").

    expression := or
    or         := and (("OR" | "||") and)*
    and        := comparison (("AND" | "&&") comparison)*
    comparison := sum (("==" | "!=" | "<=" | ">=" | "<" | ">") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "NOT" | "!") unary | power
    power      := primary ("^" unary)?
    primary    := number | id | NAME "(" [expression ("," expression)*] ")"
                | "[" expression ("," expression)* "]" | "(" expression ")"

Ids name other queries of the request or alarm (they start with a lowercase letter);
function names are upper case. Strings (SEARCH, Metrics Insights) are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union


class MetricMathError(ValueError):
    """An expression CloudWatch would refuse, or one the emulator does not evaluate."""


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Keyword:
    name: str  # REPEAT, LINEAR (FILL's modes)


@dataclass(frozen=True)
class Unary:
    op: str
    operand: "Node"


@dataclass(frozen=True)
class Binary:
    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple["Node", ...]


@dataclass(frozen=True)
class ArrayOf:
    items: tuple["Node", ...]


Node = Union[Number, Ref, Keyword, Unary, Binary, Call, ArrayOf]

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/^<>!(),\[\]])"
    r"|(?P<string>[\"'])"
    r"|(?P<bad>\S))"
)
_KEYWORDS = {"REPEAT", "LINEAR"}
_WORD_OPS = {"AND": "&&", "OR": "||", "NOT": "!"}
MAX_LENGTH = 1024  # MetricDataQuery Expression: "Maximum length of 2048"; alarms are shorter still


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            break
        position = found.end()
        kind = found.lastgroup
        value = found.group(kind) if kind else ""
        if kind == "string":
            raise MetricMathError("Strings (SEARCH, Metrics Insights queries) are not supported in this emulator's metric math.")
        if kind == "bad":
            raise MetricMathError(f"Unexpected character {value!r} in the expression.")
        if kind == "name" and value in _WORD_OPS:
            kind, value = "op", _WORD_OPS[value]
        tokens.append((str(kind), value))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise MetricMathError("The expression ends too early.")
        if value is not None and token[1] != value:
            raise MetricMathError(f"Expected {value!r} but found {token[1]!r}.")
        self.index += 1
        return token

    def at(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] in values

    def expression(self) -> Node:
        node = self.conjunction()
        while self.at("||"):
            node = Binary(self.take()[1], node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.comparison()
        while self.at("&&"):
            node = Binary(self.take()[1], node, self.comparison())
        return node

    def comparison(self) -> Node:
        node = self.sum()
        if self.at("==", "!=", "<=", ">=", "<", ">"):
            node = Binary(self.take()[1], node, self.sum())
            if self.at("==", "!=", "<=", ">=", "<", ">"):
                raise MetricMathError("Comparisons cannot be chained; use AND.")
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.at("+", "-"):
            node = Binary(self.take()[1], node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            node = Binary(self.take()[1], node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("-", "!"):
            return Unary(self.take()[1], self.unary())
        if self.at("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Node:
        node = self.primary()
        if self.at("^"):
            self.take()
            node = Binary("^", node, self.unary())
        return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return Number(float(value))
        if kind == "name":
            if self.at("("):
                self.take("(")
                args: list[Node] = []
                if not self.at(")"):
                    args.append(self.expression())
                    while self.at(","):
                        self.take(",")
                        args.append(self.expression())
                self.take(")")
                return Call(value.upper(), tuple(args))
            if value in _KEYWORDS:
                return Keyword(value)
            if not value[0].islower():
                raise MetricMathError(f"Unknown name {value!r}: ids of queries start with a lowercase letter.")
            return Ref(value)
        if kind == "op" and value == "(":
            node = self.expression()
            self.take(")")
            return node
        if kind == "op" and value == "[":
            items = [self.expression()]
            while self.at(","):
                self.take(",")
                items.append(self.expression())
            self.take("]")
            return ArrayOf(tuple(items))
        raise MetricMathError(f"Unexpected {value!r} in the expression.")


def parse(text: str) -> Node:
    if not text or not text.strip():
        raise MetricMathError("The expression is empty.")
    if len(text) > MAX_LENGTH:
        raise MetricMathError(f"The expression is longer than {MAX_LENGTH} characters.")
    if text.lstrip().upper().startswith("SELECT"):
        raise MetricMathError("Metrics Insights queries (SELECT ...) are not supported by this emulator.")
    parser = _Parser(tokenize(text))
    node = parser.expression()
    if parser.peek() is not None:
        raise MetricMathError(f"Unexpected {parser.peek()[1]!r} after the end of the expression.")  # type: ignore[index]
    return node


def references(node: Node) -> set[str]:
    """The query ids an expression reads."""
    if isinstance(node, Ref):
        return {node.name}
    if isinstance(node, Unary):
        return references(node.operand)
    if isinstance(node, Binary):
        return references(node.left) | references(node.right)
    if isinstance(node, (Call, ArrayOf)):
        children = node.args if isinstance(node, Call) else node.items
        found: set[str] = set()
        for child in children:
            found |= references(child)
        return found
    return set()


def functions(node: Node) -> set[str]:
    """The function names an expression calls (METRICS with arguments as "METRICS(...)")."""
    if isinstance(node, Call):
        found = {node.name if not (node.name == "METRICS" and node.args) else "METRICS(...)"}
        for child in node.args:
            found |= functions(child)
        return found
    if isinstance(node, Unary):
        return functions(node.operand)
    if isinstance(node, Binary):
        return functions(node.left) | functions(node.right)
    if isinstance(node, ArrayOf):
        found = set()
        for child in node.items:
            found |= functions(child)
        return found
    return set()
