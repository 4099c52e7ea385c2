"""The index of record sets Route53 shows as owned by another owner id: what the reconciler
writes and the webhook reads, so a name another cluster holds is refused at `kubectl apply`
(docs/owners.md).

The reconciler is the one that reads Route53. At every resync it writes, into one ConfigMap
(`--owners-index NAMESPACE/NAME`), each managed record set whose ownership TXT names an owner
id other than its own, with that TXT's `resource`. The webhook watches that one ConfigMap.
Only the reconciler's ServiceAccount may write it (docs/security.md): a tenant who could
would refuse anyone's names, or lift a refusal.

The index is a hint at the door, never what keeps a record safe: the reconciler itself never
writes over another owner's record. So an index the webhook cannot trust (absent, older than
the `valid-for` its writer set, written for another owner id, malformed, or cut short at the
size bound) refuses nothing: the review warns, saying why the check was not made.

Record sets are (name, set identifier) rows, as the plan compares them: another owner's
weighted set `(www, blue)` does not stand in the way of `(www, green)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

RECORDS = "records"
OWNER_ID = "owner-id"
WRITTEN_AT = "written-at"
VALID_FOR = "valid-for"
COMPLETE = "complete"
MAX_RECORD_CHARS = 900_000
"""A ConfigMap holds at most 1 MiB (etcd's request limit); the records get 900,000
characters of it, about 6,000 record sets of ordinary length. Past that the index is cut,
marked incomplete, and a name not found in it is only warned about."""
CLOCK_SKEW = 60.0
"""Seconds an index may seem written in the future (the pods' clocks differ) and be used."""


@dataclass(frozen=True)
class Location:
    """Where the index lives: one ConfigMap."""

    namespace: str
    name: str

    @classmethod
    def parse(cls, text: str) -> Location | None:
        """`--owners-index NAMESPACE/NAME`; None for "" (off). Raises ValueError."""
        if not text:
            return None
        namespace, slash, name = text.partition("/")
        if not (slash and namespace and name) or "/" in name:
            raise ValueError(f'--owners-index "{text}" is not NAMESPACE/NAME; write e.g. '
                             '"dnsgate/dnsgate-owners", or "" to turn the index off')
        return cls(namespace, name)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Holding:
    """One record set another owner id holds."""

    name: str
    set_identifier: str
    record_type: str
    owner: str
    resource: str
    """The `external-dns/resource` its TXT names ("" when none)."""

    @property
    def row(self) -> tuple[str, str]:
        return (self.name, self.set_identifier)


@dataclass(frozen=True)
class Index:
    owner_id: str
    """The owner id of the reconciler that wrote it: "another owner" is relative to it."""
    written_at: datetime
    valid_for: float
    """Seconds after `written_at` the index may be trusted (two resyncs and a minute)."""
    holdings: tuple[Holding, ...]
    complete: bool = True

    def at(self, name: str, set_identifier: str) -> tuple[Holding, ...]:
        return self.rows.get((name.rstrip(".").lower(), set_identifier), ())

    @cached_property
    def rows(self) -> dict[tuple[str, str], tuple[Holding, ...]]:
        rows: dict[tuple[str, str], tuple[Holding, ...]] = {}
        for holding in self.holdings:
            rows[holding.row] = (*rows.get(holding.row, ()), holding)
        return rows


@dataclass(frozen=True)
class Unusable:
    """Why the index cannot be trusted now, short enough for a review warning (which
    clients cut at 120 characters)."""

    reason: str


def encode(index: Index) -> dict[str, str]:
    """The ConfigMap's data. Each record set is one JSON array on its line, so no owner id or
    resource read from a TXT (which may hold any character) can forge another line."""
    lines: list[str] = []
    used = 0
    complete = index.complete
    # Cut between rows, never inside one: a row listed with its A but not its AAAA would
    # read as held for one resource only, and refuse too little (webhook.foreign).
    for row in sorted(index.rows):
        text = [json.dumps([holding.name, holding.set_identifier, holding.record_type,
                            holding.owner, holding.resource])
                for holding in sorted(index.rows[row], key=lambda h: h.record_type)]
        size = sum(len(line) + 1 for line in text)
        if used + size > MAX_RECORD_CHARS:
            complete = False
            break
        lines += text
        used += size
    return {OWNER_ID: index.owner_id, WRITTEN_AT: index.written_at.isoformat(),
            VALID_FOR: str(int(index.valid_for)), COMPLETE: str(complete).lower(),
            RECORDS: "\n".join(lines)}


def decode(data: Mapping[str, str] | None, owner_id: str, now: datetime,
           where: Location) -> Index | Unusable:
    """The index as the webhook may use it now, or why it may not."""
    return judge(parse(data, where), owner_id, now, where)


def parse(data: Mapping[str, str] | None, where: Location) -> Index | Unusable:
    """The ConfigMap's data as an index, whatever its age: the costly part of `decode`
    (thousands of JSON lines), which the webhook does once per version of the ConfigMap."""
    if not data:
        return Unusable(f"{where} not written yet (the reconciler writes it at each resync)")
    try:
        holdings = tuple(Holding(*_fields(json.loads(line)))
                         for line in data.get(RECORDS, "").splitlines() if line)
        return Index(owner_id=data[OWNER_ID], written_at=datetime.fromisoformat(data[WRITTEN_AT]),
                     valid_for=float(data[VALID_FOR]), holdings=holdings,
                     complete=data.get(COMPLETE) == "true")
    except (KeyError, ValueError, TypeError) as exc:
        return Unusable(f"{where} unreadable ({type(exc).__name__})")


def judge(index: Index | Unusable, owner_id: str, now: datetime,
          where: Location) -> Index | Unusable:
    """`index` if it may be trusted at `now` by the webhook of `owner_id`, else why not."""
    if isinstance(index, Unusable):
        return index
    try:
        age = (now - index.written_at).total_seconds()
    except TypeError as exc:  # a written-at without a time zone
        return Unusable(f"{where} unreadable ({type(exc).__name__})")
    if index.owner_id != owner_id:
        return Unusable(f'{where} lists for owner id "{index.owner_id}", not "{owner_id}"')
    if not -CLOCK_SKEW <= age <= index.valid_for:
        return Unusable(f"{where} is {age:.0f}s old (valid {index.valid_for:.0f}s)")
    return index


def _fields(row: object) -> tuple[str, str, str, str, str]:
    if not (isinstance(row, list) and len(row) == 5 and all(isinstance(f, str) for f in row)):
        raise ValueError(f"not a record set: {row!r}")
    name, set_identifier, record_type, owner, resource = row
    return name, set_identifier, record_type, owner, resource


def holdings(records: Iterable[tuple[str, str, str, str | None, str | None]],
             owner_id: str) -> tuple[Holding, ...]:
    """(name, set identifier, type, owner label, resource label) of read record sets ->
    those another owner id holds. Records with no owner (no TXT, or TXTs that disagree) are
    nobody's: the plan skips them too, but no owner holds them to be named."""
    return tuple(Holding(name.rstrip(".").lower(), set_id, kind, owner, resource or "")
                 for name, set_id, kind, owner, resource in records
                 if owner and owner != owner_id)


def now() -> datetime:
    return datetime.now(UTC)
