"""`--dry-run`'s output: the planned changes as a table a person can review."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.registry import ChangeGroup

HEADER = ("ACTION", "NAME", "TYPE", "TARGETS", "TTL", "OWNER/RESOURCE")


def render(groups: Iterable[ChangeGroup], owner_id: str) -> str:
    rows = [HEADER]
    for group in groups:
        for change in group.changes:
            record = change.record
            kind = record.record_type + (" alias" if record.alias else "") + (
                f" [{record.set_identifier}]" if record.set_identifier else "")
            rows.append((change.action, record.dnsname, kind, ",".join(record.targets),
                         str(record.ttl), f"{owner_id} {group.resource}"))
    if len(rows) == 1:
        return "No changes: Route53 already matches the Services.\n"
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    return "\n".join(lines) + f"\n{len(rows) - 1} change(s) planned; dry run, nothing sent.\n"

