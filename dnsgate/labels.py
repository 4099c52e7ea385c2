"""Kubernetes label selectors (`--label-filter`), parsed and matched exactly as apimachinery's
`labels.Parse` and `Requirement.Matches` do (docs/label-selectors.md).

The API server applies the selector to the reconciler's and the webhook's list and watch; the
webhook's review applies it here, to the object being written. Both must agree on every
object, so this is a port of the same grammar, not an approximation of it: a selector the
API server would refuse is refused at start, and one it accepts matches the same labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Tokens, as apimachinery's lexer names them; an identifier is any other run of characters.
SPECIAL = "=!(),><"
WHITESPACE = " \t\r\n"
OPERATORS = {"=": "=", "==": "==", "!=": "!=", "in": "in", "notin": "notin", ">": "gt",
             "<": "lt"}
SYMBOLS = ("!=", "==", "=", "!", "(", ")", ",", ">", "<")
KEYWORDS = ("in", "notin")
IDENTIFIER, END = "identifier", "end of string"

_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = rf"{_DNS_LABEL}(\.{_DNS_LABEL})*"
INT64 = 2**63


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    """"=", "==", "!=", "in", "notin", "gt", "lt", "exists" or "!" (does not exist)."""
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """apimachinery's Requirement.Matches: `!=` and `notin` hold where the key is absent."""
        if self.operator == "exists":
            return self.key in labels
        if self.operator == "!":
            return self.key not in labels
        if self.key not in labels:
            return self.operator in ("!=", "notin")
        value = labels[self.key]
        if self.operator in ("=", "==", "in"):
            return value in self.values
        if self.operator in ("!=", "notin"):
            return value not in self.values
        number = _int64(value)
        if number is None:
            return False
        bound = int(self.values[0])
        return number > bound if self.operator == "gt" else number < bound


@dataclass(frozen=True)
class Selector:
    text: str
    """As given: what the list and watch send as `labelSelector`."""
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        return all(r.matches(labels or {}) for r in self.requirements)


EVERYTHING = Selector("")


def parse(text: str) -> Selector:
    """The selector `text` means; a ValueError saying what is wrong if the API server would
    refuse it."""
    return Selector(text, tuple(sorted(_Parser(_tokens(text)).requirements(),
                                       key=lambda r: r.key)))


def parse_object(text: str) -> Selector:
    """`text` read as a LabelSelector object, as apimachinery's `ParseToLabelSelector` and then
    `LabelSelectorAsSelector` read it (ExternalDNS's `--gateway-label-filter`,
    docs/label-selectors.md): the grammar of `parse`, but `!=`, `>` and `<` are refused (a
    ValueError), and `key=value` terms become `matchLabels`, so a later one for a key replaces
    an earlier one. The selector returned holds what is then matched, as text `parse` reads."""
    equal: dict[str, str] = {}
    others: list[str] = []
    for requirement in parse(text).requirements:  # sorted by key, in text order within one
        operator, key, values = requirement.operator, requirement.key, requirement.values
        if operator in ("!=", "gt", "lt"):
            shown = {"gt": ">", "lt": "<"}.get(operator, operator)
            raise ValueError(f"'{shown}' is not supported in a label selector object "
                             "(only =, ==, in, notin, exists and !)")
        if operator in ("=", "=="):
            equal[key] = values[0]
        elif operator in ("in", "notin"):
            others.append(f"{key} {operator} ({','.join(values)})")
        else:
            others.append(key if operator == "exists" else f"!{key}")
    return parse(",".join([f"{key}={value}" for key, value in sorted(equal.items())]
                          + others))


def key_error(key: str) -> str | None:
    """apimachinery's IsLabelKey: [prefix/]name, the prefix a DNS subdomain."""
    prefix, slash, name = key.rpartition("/")
    if key.count("/") > 1:
        return f"label key '{key}' has more than one '/'"
    if slash and not (prefix and len(prefix) <= 253 and re.fullmatch(_SUBDOMAIN, prefix)):
        return f"label key '{key}' has a prefix that is not a DNS subdomain"
    if not (len(name) <= 63 and re.fullmatch(_NAME, name)):
        return (f"label key '{key}' is not [prefix/]name, with a name of 1 to 63 letters, "
                "digits, '-', '_' or '.', starting and ending with a letter or digit")
    return None


def value_error(value: str) -> str | None:
    """apimachinery's IsValidLabelValue: empty, or a name of at most 63 characters."""
    if value == "" or (len(value) <= 63 and re.fullmatch(_NAME, value)):
        return None
    return (f"label value '{value}' is not 0 to 63 letters, digits, '-', '_' or '.', starting "
            "and ending with a letter or digit")


def _int64(text: str) -> int | None:
    """Go's strconv.ParseInt(text, 10, 64)."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return None
    number = int(text)
    return number if -INT64 <= number < INT64 else None


def _tokens(text: str) -> list[tuple[str, str]]:
    """apimachinery's Lexer: (kind, literal) pairs; an operator's kind is its literal."""
    found: list[tuple[str, str]] = []
    at = 0
    while True:
        while at < len(text) and text[at] in WHITESPACE:
            at += 1
        if at == len(text):
            found.append((END, ""))
            return found
        if text[at] in SPECIAL:
            # The longest symbol that starts here: "!=" before "!", "==" before "=".
            symbol = next(s for s in SYMBOLS if text.startswith(s, at))
            found.append((symbol, symbol))
            at += len(symbol)
            continue
        start = at
        while at < len(text) and text[at] not in SPECIAL + WHITESPACE:
            at += 1
        word = text[start:at]
        found.append((word if word in KEYWORDS else IDENTIFIER, word))


class _Parser:
    """apimachinery's recursive-descent Parser, step for step. Where values are expected,
    "in" and "notin" are plain identifiers (`tier in (in)` is valid)."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self._tokens = tokens
        self._at = 0

    def _peek(self, values: bool = True) -> tuple[str, str]:
        kind, literal = self._tokens[self._at]
        return (IDENTIFIER if values and kind in KEYWORDS else kind), literal

    def _take(self, values: bool = True) -> tuple[str, str]:
        found = self._peek(values)
        self._at += 1
        return found

    def requirements(self) -> list[Requirement]:
        found: list[Requirement] = []
        while True:
            kind, literal = self._peek()
            if kind == END:
                return found
            if kind not in (IDENTIFIER, "!"):
                raise ValueError(f"found '{literal}', expected: !, identifier, or end of string")
            found.append(self._requirement())
            kind, literal = self._take()
            if kind == END:
                return found
            if kind != ",":
                raise ValueError(f"found '{literal}', expected: ',' or end of string")
            kind, literal = self._peek()
            if kind not in (IDENTIFIER, "!"):
                raise ValueError(f"found '{literal}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        kind, key = self._take()
        negated = kind == "!"
        if negated:
            kind, key = self._take()
        if kind != IDENTIFIER:
            raise ValueError(f"found '{key}', expected: identifier")
        _check(key_error(key))
        if negated:
            return Requirement(key, "!")
        if self._peek()[0] in (END, ","):
            return Requirement(key, "exists")
        kind, literal = self._take(values=False)
        if kind not in OPERATORS:
            raise ValueError(f"found '{literal}', expected: in, notin, =, ==, !=, gt, lt")
        operator = OPERATORS[kind]
        chosen = self._set() if operator in ("in", "notin") else self._exact()
        if operator in ("gt", "lt") and _int64(chosen[0]) is None:
            raise ValueError(f"'{chosen[0]}': for 'gt' and 'lt' the value must be an integer")
        for value in chosen:
            _check(value_error(value))
        return Requirement(key, operator, chosen)

    def _set(self) -> tuple[str, ...]:
        kind, literal = self._take()
        if kind != "(":
            raise ValueError(f"found '{literal}', expected: '('")
        kind, literal = self._peek()
        if kind == ")":
            self._take()
            return ("",)
        if kind not in (IDENTIFIER, ","):
            raise ValueError(f"found '{literal}', expected: ',', ')' or identifier")
        values: set[str] = set()
        while True:
            kind, literal = self._take()
            if kind == IDENTIFIER:
                values.add(literal)
                after, after_literal = self._peek()
                if after == ")":
                    break
                if after != ",":
                    raise ValueError(f"found '{after_literal}', expected: ',' or ')'")
            elif kind == ",":
                # "(,a)", "(a,,b)" and "(a,)" each hold the empty value too.
                if not values or self._peek()[0] in (")", ","):
                    values.add("")
                if self._peek()[0] == ")":
                    break
            else:
                raise ValueError(f"found '{literal}', expected: ',', or identifier")
        self._take()  # the ")" seen above
        return tuple(sorted(values))

    def _exact(self) -> tuple[str, ...]:
        if self._peek()[0] in (END, ","):
            return ("",)
        kind, literal = self._take()
        if kind != IDENTIFIER:
            raise ValueError(f"found '{literal}', expected: identifier")
        return (literal,)


def _check(error: str | None) -> None:
    if error is not None:
        raise ValueError(error)
