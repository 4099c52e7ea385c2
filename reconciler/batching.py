"""Pack change groups into ChangeResourceRecordSets batches within Route53's limits.

Route53 takes at most 1000 changes, 1000 record values and 32000 characters of record values
per call (docs/route53.md). It counts an UPSERT twice, as a delete plus a create; dnsgate
sends none, and its update, a DELETE and a CREATE of the record set and of its TXT, counts
each change once, which comes to the same for the record. A user may set lower limits
(ExternalDNS's --aws-batch-change-size, -size-values and -size-bytes). A group (a record and
its TXTs, an update's DELETEs and CREATEs) is never split across batches: a record never
lands without its ownership TXT, and an update's DELETE, the condition it is written on,
never lands without its CREATE nor the CREATE without it. A group larger than a lowered
limit travels alone.
Pure: the provider calls `pack`, and bisects a refused batch with `halves`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # settings import the limits below; registry imports settings
    from reconciler.registry import ChangeGroup

MAX_CHANGES = 1000
MAX_VALUES = 1000
MAX_VALUE_CHARS = 32000

T = TypeVar("T")


def cost(group: ChangeGroup) -> tuple[int, int, int]:
    """(changes, record values, value characters) the group counts for against the limits."""
    changes = len(group.changes)
    values = sum(len(c.record.targets) for c in group.changes)
    chars = sum(len(t) for c in group.changes for t in c.record.targets)
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
