r"""Go's `time.ParseDuration`, which ExternalDNS applies to the ttl annotation and to
`--interval`, read the way Go reads it: one pass over the text, integer nanoseconds, refused
past an int64.

The grammar is `[-+]?([0-9]*(\.[0-9]*)?unit)+`, or a bare "0"; units are ns, us (also µs and
μs), ms, s, m and h. Leading zeros are allowed in any number; an integer part with more
significant digits than an int64 holds is refused, and fraction digits past its precision are
dropped, as Go does. The time taken is linear in the text: a value a user wrote is never read
twice.
"""

from __future__ import annotations

import re

# Nanoseconds per unit (Go spells microseconds three ways).
UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6,
         "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
MAX = 2**63  # Go's Duration is an int64 of nanoseconds; -2**63 is its minimum
_DIGITS_MAX = 19  # significant digits of an int64
# Each run is matched once from where the last one ended, never backtracked: linear.
_DIGITS = re.compile(r"[0-9]*")
_UNIT = re.compile(r"[^0-9.]*")


def go_seconds(text: str) -> float | None:
    """time.ParseDuration of `text` in seconds, or None if Go would refuse it."""
    nanoseconds = go_nanoseconds(text)
    return None if nanoseconds is None else nanoseconds / 1e9


def go_nanoseconds(text: str) -> int | None:
    """time.ParseDuration of `text` in nanoseconds, or None if Go would refuse it."""
    negative = text[:1] == "-"
    if text[:1] in ("-", "+"):
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        return None
    total, position = 0, 0
    while position < len(text):
        whole, position = _digits(text, position)
        fraction = ""
        if position < len(text) and text[position] == ".":
            fraction, position = _digits(text, position + 1)
        if not whole and not fraction:
            return None
        match = _UNIT.match(text, position)
        assert match is not None  # `*` matches the empty string
        unit, position = UNITS.get(match.group()), match.end()
        significant = whole.lstrip("0")
        if unit is None or len(significant) > _DIGITS_MAX:
            return None
        total += int(significant or "0") * unit
        if fraction:
            kept = fraction[:_DIGITS_MAX]
            total += int(int(kept) * (unit / 10 ** len(kept)))
        if total > MAX:
            return None
    if not negative and total > MAX - 1:
        return None
    return -total if negative else total


def _digits(text: str, position: int) -> tuple[str, int]:
    """The run of ASCII digits at `position`, and where it ends."""
    match = _DIGITS.match(text, position)
    assert match is not None  # `*` matches the empty string
    return match.group(), match.end()
