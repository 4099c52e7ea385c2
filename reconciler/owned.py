"""The records dnsgate owns, by type (`dnsgate_reconciler_records`): counted from every
zone's registry view at a resync, then followed by the changes that land, so a Service event
does not count the zone again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from reconciler import endpoint, metrics
from reconciler.endpoint import Endpoint
from reconciler.route53 import Applied

TYPES = ("A", "AAAA", "CNAME", "TXT")


class OwnedRecords:
    def __init__(self, owner_id: str) -> None:
        self.owner_id = owner_id
        self.by_type: Counter[str] = Counter()

    def recount(self, views: Iterable[Iterable[Endpoint]]) -> None:
        """Count afresh: records our TXTs claim, by type, plus one TXT each."""
        self.by_type = Counter(e.record_type for view in views for e in view
                               if e.label(endpoint.OWNER) == self.owner_id)
        self.by_type["TXT"] = sum(self.by_type.values())

    def follow(self, applied: Applied) -> None:
        """Each record we create is ours, each we delete was (the plan deletes only ours),
        and each brings its ownership TXT along; an update deletes one and creates one."""
        for group in applied.landed:
            for change in group.changes:
                kind = change.record.record_type
                if kind in endpoint.MANAGED_TYPES:
                    step = 1 if change.action == "CREATE" else -1
                    self.by_type[kind] += step
                    self.by_type["TXT"] += step

    def record_sets(self) -> int:
        """The record sets we own, their ownership TXTs aside."""
        return sum(count for kind, count in self.by_type.items() if kind != "TXT")

    def publish(self) -> None:
        for record_type in {*TYPES, *self.by_type}:
            metrics.RECORDS.labels(record_type).set(self.by_type[record_type])
