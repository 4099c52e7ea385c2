"""Warnings for keys under the external-dns prefixes that nothing reads: most are typos.

The cost is bounded whatever the annotation map holds. An object may carry 256 KiB of
annotations (about 2,900 short keys), and a body sent straight to the webhook's port ten
times that, so:
- one pass finds the unknown keys, and stops once it has found one more than the first
  `NAMED_MAX`, which are named each in a warning of its own; one more warning says there
  are others. kube-apiserver passes
  on 4 KiB of warnings per answer and cuts the rest (docs/admission-review.md), so more
  lines would not reach the user anyway;
- a suggestion (difflib, whose cost grows with the product of the two lengths) is looked
  for only for a named key that could be a misspelt dnsgate key: written in the
  lower-case letters, digits and hyphens the real keys use, and at most `SLACK` characters
  longer than the longest of them. So at most `NAMED_MAX` comparisons of short strings
  are made per map.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Collection, Iterable, Sequence

from dnsgate.values import shown

NAMED_MAX = 5  # unknown keys named one by one; a typo rarely comes with more than one
SLACK = 3  # characters a typo may add to the longest key and still get a suggestion
_KEY_CHARACTERS = re.compile(r"[a-z0-9-]+")


def warnings(keys: Iterable[str], prefixes: tuple[str, ...], known: Collection[str],
             suggested: Sequence[str]) -> list[str]:
    """One warning per unknown key under `prefixes` (the first `NAMED_MAX` of them), with a
    close match from `suggested` when there is one, and one more if there are others.
    The keys are read only until one past the named ones: the others are not counted."""
    unknown = (key for key in keys
               if key.startswith(prefixes) and key.partition("/")[2] not in known)
    found = []
    for full_key in itertools.islice(unknown, NAMED_MAX):
        close = _suggestion(full_key.partition("/")[2], suggested)
        # Only the key: with the prefix repeated, the line outgrows the 120 characters
        # advised for an admission warning, and the webhook would cut the hint off.
        hint = f"; did you mean {close}?" if close else ""
        found.append(f"{shown(full_key)} is not an annotation dnsgate knows{hint}")
    if next(unknown, None) is not None:
        found.append(f"and more keys under {' and '.join(p.rstrip('/') for p in prefixes)} "
                     "that dnsgate does not know")
    return found


def _suggestion(key: str, suggested: Sequence[str]) -> str | None:
    longest = max(len(candidate) for candidate in suggested)
    if len(key) > longest + SLACK or not _KEY_CHARACTERS.fullmatch(key):
        return None
    close = difflib.get_close_matches(key, suggested, n=1, cutoff=0.6)
    return close[0] if close else None
