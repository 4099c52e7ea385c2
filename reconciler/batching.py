"""Pack change groups into ChangeResourceRecordSets batches within Route53's limits.

Route53 takes at most 1000 changes, 1000 record values and 32000 characters of record values
per call, and counts an UPSERT twice for each (it is a delete plus a create): docs/route53.md.
A user may set lower limits (ExternalDNS's --aws-batch-change-size, -size-values and
-size-bytes). A group (a record and its TXT) is never split across batches, so a record never
lands without its ownership TXT; a group larger than a lowered limit travels alone.
Pure: the provider calls `pack`, and bisects a refused batch with `halves`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # settings import the limits below; registry imports settings
    from reconciler.registry import Change, ChangeGroup

MAX_CHANGES = 1000
MAX_VALUES = 1000
MAX_VALUE_CHARS = 32000

T = TypeVar("T")


def weight(change: Change) -> int:
    return 2 if change.action == "UPSERT" else 1


def cost(group: ChangeGroup) -> tuple[int, int, int]:
    """(changes, record values, value characters) the group counts for against the limits."""
    changes = sum(weight(c) for c in group.changes)
    values = sum(weight(c) * len(c.record.targets) for c in group.changes)
    chars = sum(weight(c) * sum(len(t) for t in c.record.targets) for c in group.changes)
    return changes, values, chars


def pack(groups: Sequence[ChangeGroup], max_changes: int = MAX_CHANGES,
         max_chars: int = MAX_VALUE_CHARS,
         max_values: int = MAX_VALUES) -> list[list[ChangeGroup]]:
    """Fill batches in order, starting a new one when the next group would not fit."""
    limits = (max_changes, max_values, max_chars)
    batches: list[list[ChangeGroup]] = []
    current: list[ChangeGroup] = []
    used: tuple[int, ...] = (0, 0, 0)
    for group in groups:
        needed = cost(group)
        if current and any(u + n > limit for u, n, limit in zip(used, needed, limits,
                                                                   strict=True)):
            batches.append(current)
            current, used = [], (0, 0, 0)
        current.append(group)
        used = tuple(u + n for u, n in zip(used, needed, strict=True))
    if current:
        batches.append(current)
    return batches


def halves(items: Sequence[T]) -> tuple[Sequence[T], Sequence[T]]:
    middle = len(items) // 2
    return items[:middle], items[middle:]
