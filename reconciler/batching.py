"""Pack change groups into ChangeResourceRecordSets batches within Route53's limits.

Route53 takes at most 1000 changes and 32000 characters of record values per call, and
counts an UPSERT twice for both (it is a delete plus a create). A group (a record and its
TXT) is never split across batches, so a record never lands without its ownership TXT.
Pure: the provider calls `pack`, and bisects a refused batch with `halves`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from reconciler.registry import Change, ChangeGroup

MAX_CHANGES = 1000
MAX_VALUE_CHARS = 32000

T = TypeVar("T")


def weight(change: Change) -> int:
    return 2 if change.action == "UPSERT" else 1


def cost(group: ChangeGroup) -> tuple[int, int]:
    """(changes, value characters) the group counts for against Route53's limits."""
    changes = sum(weight(c) for c in group.changes)
    chars = sum(weight(c) * sum(len(t) for t in c.record.targets) for c in group.changes)
    return changes, chars


def pack(groups: Sequence[ChangeGroup], max_changes: int = MAX_CHANGES,
         max_chars: int = MAX_VALUE_CHARS) -> list[list[ChangeGroup]]:
    """Fill batches in order, starting a new one when the next group would not fit."""
    batches: list[list[ChangeGroup]] = []
    current: list[ChangeGroup] = []
    used_changes = used_chars = 0
    for group in groups:
        changes, chars = cost(group)
        if current and (used_changes + changes > max_changes or used_chars + chars > max_chars):
            batches.append(current)
            current, used_changes, used_chars = [], 0, 0
        current.append(group)
        used_changes += changes
        used_chars += chars
    if current:
        batches.append(current)
    return batches


def halves(items: Sequence[T]) -> tuple[Sequence[T], Sequence[T]]:
    middle = len(items) // 2
    return items[:middle], items[middle:]
