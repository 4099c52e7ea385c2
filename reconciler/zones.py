"""The hosted zones dnsgate manages and their record sets, held in memory between resyncs.

A resync re-lists every zone's record sets (`refresh`). Between resyncs the cache follows the
changes that land, because they are applied through it (`apply`), so planning a Service event
reads nothing from Route53. The zones themselves are listed once, when none is known yet: a
hosted zone created later is found after a restart. Record sets are held by anchor
(`registry.anchors`: a record with the ownership TXTs that may name it), so a Service event
reads the few record sets at its names (`at`), whatever the zone's size.

When Route53 refuses a change because the zone is no longer what the cache says (another
owner wrote to it), the record sets at the names of that change are read again (`reread`),
those names alone, and the cache takes what Route53 holds.

Whenever what Route53 holds is no longer certain (a change batch failed in flight and may
have landed, a sync failed as a whole, another replica was writing while this one stood by)
the cache is marked stale (`invalidate`) and re-listed before anything is planned against it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from typing import Protocol

from reconciler import metrics, route53
from reconciler.endpoint import Endpoint, Key
from reconciler.errors import TransientError
from reconciler.registry import ChangeGroup
from reconciler.route53 import Applied, Failed, Zone

log = logging.getLogger("dnsgate.reconcile")


class Route53(Protocol):
    """What the cache needs of the provider (`route53.Provider`)."""

    def zones(self) -> tuple[Zone, ...]: ...

    def records(self, zone: Zone) -> tuple[Endpoint, ...]: ...

    def records_at(self, zone: Zone, names: Iterable[str]) -> tuple[Endpoint, ...]: ...

    def apply(self, zone: Zone, groups: Sequence[ChangeGroup],
              stop: threading.Event | None = None) -> Applied: ...


Anchored = dict[str, dict[Key, Endpoint]]  # anchor -> its record sets by key


class ZoneCache:
    """Zones and, per zone, its record sets by anchor, then by (name, type, set identifier)."""

    def __init__(self, provider: Route53, anchor: Callable[[Endpoint], str] = lambda r: r.dnsname
                 ) -> None:
        self.provider = provider
        self.anchor = anchor
        self.zones: tuple[Zone, ...] = ()
        self._records: dict[str, Anchored] = {}
        self._fresh = False

    def refresh(self) -> None:
        """List the zones (the first time) and every zone's record sets."""
        if not self.zones:
            self.zones = self.provider.zones()
            if not self.zones:
                log.warning("no Route53 hosted zone matches the domain filter, zone type and "
                            "zone id filter: nothing will be written")
        self._records = {z.id: self._anchored(self.provider.records(z)) for z in self.zones}
        self._fresh = True

    def ensure_fresh(self) -> None:
        """Re-list if the cache was marked stale since it was last listed."""
        if not self._fresh:
            self.refresh()

    def invalidate(self) -> None:
        self._fresh = False

    def records(self, zone: Zone) -> Iterable[Endpoint]:
        """Every record set in the zone."""
        for anchored in self._records.get(zone.id, {}).values():
            yield from anchored.values()

    def at(self, zone: Zone, anchors: Collection[str]) -> list[Endpoint]:
        """The record sets of these anchors: what a Service event reads."""
        cached = self._records.get(zone.id, {})
        return [r for anchor in anchors for r in cached.get(anchor, {}).values()]

    def zones_for(self, name: str) -> tuple[Zone, ...]:
        return route53.zones_for(name, self.zones)

    def holding(self, names: Collection[str] | None
                ) -> list[tuple[Zone, Collection[str] | None]]:
        """Each zone with the names it is written for among `names` (None: all its names)."""
        if names is None:
            return [(zone, None) for zone in self.zones]
        by_zone: dict[str, set[str]] = {}
        for name in names:
            for zone in self.zones_for(name):
                by_zone.setdefault(zone.id, set()).add(name)
        return [(zone, by_zone[zone.id]) for zone in self.zones if zone.id in by_zone]

    def split(self, records: Iterable[Endpoint]) -> dict[str, list[Endpoint]]:
        """Record sets by the id of each zone they are written to (`route53.zones_for`, or
        the one zone `aws-hosted-zone-id` pins among those), each as that zone lists it
        back (`route53.as_written`)."""
        found: dict[str, list[Endpoint]] = {}
        for record in records:
            for zone in route53.pinned(record, self.zones_for(record.dnsname)):
                found.setdefault(zone.id, []).append(route53.as_written(record, zone))
        return found

    def apply(self, zone: Zone, groups: Sequence[ChangeGroup],
              stop: threading.Event | None = None) -> Applied:
        """Send the groups through Route53; log, count and keep what landed. When Route53
        fails past its retries, every group counts as failed and the cache as stale: some
        may have landed."""
        try:
            applied = self.provider.apply(zone, groups, stop)
        except TransientError as exc:
            log.error("Route53 changes to zone %s failed: %s", zone.name, exc)
            self.invalidate()
            return Applied(failed=tuple(Failed(g, str(exc), refused=False) for g in groups))
        cache = self._records.setdefault(zone.id, {})
        for group in applied.landed:
            _log_landed(group)
            for change in group.changes:
                record = change.record
                anchor = self.anchor(record)
                if change.action == "DELETE":
                    anchored = cache.get(anchor, {})
                    anchored.pop(record.key, None)
                    if not anchored:
                        cache.pop(anchor, None)
                else:  # as a listing would show it: ownership lives in the TXT alone
                    cache.setdefault(anchor, {})[record.key] = replace(record, labels=())
        return applied

    def reread(self, zone: Zone, names: Collection[str]) -> frozenset[str]:
        """Read the record sets at exactly `names` from Route53 into the cache, in place of
        what it held there. Returns the names where Route53 held something else."""
        listed = {r.key: r for r in self.provider.records_at(zone, names)}
        cache = self._records.setdefault(zone.id, {})
        # A record set at a name lives under its own anchor, or (a TXT) under the anchor of
        # the record it stands for; both are found from the name alone.
        probes = (Endpoint(name, kind, ()) for name in names for kind in ("A", "TXT"))
        held: dict[Key, Endpoint] = {}
        for anchor in {self.anchor(probe) for probe in probes}:
            anchored = cache.get(anchor, {})
            for key in [k for k in anchored if k[0] in names]:
                held[key] = anchored.pop(key)
            if not anchored:
                cache.pop(anchor, None)
        for record in listed.values():
            cache.setdefault(self.anchor(record), {})[record.key] = record
        return frozenset(key[0] for key in held.keys() ^ listed.keys()) | {
            key[0] for key in held.keys() & listed.keys() if held[key] != listed[key]}

    def refresh_names(self, zone: Zone, names: Collection[str]) -> frozenset[str]:
        """As `reread`, at the least cost in calls: a ListResourceRecordSets per name, or,
        when the names outnumber the zone's pages, one listing of the whole zone (a burst
        of new Services). Returns the names where Route53 held something else."""
        cache = self._records.get(zone.id, {})
        pages = 1 + sum(len(anchored) for anchored in cache.values()) // route53.PAGE_LIMIT
        if len(names) <= pages:
            return self.reread(zone, names)
        before = {key: record for anchored in cache.values()
                  for key, record in anchored.items() if key[0] in names}
        self._records[zone.id] = self._anchored(self.provider.records(zone))
        after = {key: record for anchored in self._records[zone.id].values()
                 for key, record in anchored.items() if key[0] in names}
        return frozenset(key[0] for key in before.keys() ^ after.keys()) | {
            key[0] for key in before.keys() & after.keys() if before[key] != after[key]}

    def _anchored(self, records: Iterable[Endpoint]) -> Anchored:
        found: Anchored = {}
        for record in records:
            found.setdefault(self.anchor(record), {})[record.key] = record
        return found


def _log_landed(group: ChangeGroup) -> None:
    for change in group.changes:
        metrics.CHANGES.labels(change.action).inc()
        record = change.record
        log.info("%s %s %s %s (%s)", change.action, record.dnsname, record.record_type,
                 ",".join(record.targets), group.resource, extra={
                     "action": change.action, "record": record.dnsname,
                     "type": record.record_type, "targets": list(record.targets),
                     "service": group.resource})
