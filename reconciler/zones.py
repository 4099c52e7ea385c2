"""The hosted zones dnsgate manages and their record sets, held in memory between resyncs.

A resync re-lists every zone's record sets (`refresh`). Between resyncs the cache follows the
changes that land, because they are applied through it (`apply`), so planning a Service event
reads nothing from Route53. The zones themselves are listed once, when none is known yet: a
hosted zone created later is found after a restart.

Whenever what Route53 holds is no longer certain (a change batch failed in flight and may
have landed, a sync failed as a whole, another replica was writing while this one stood by)
the cache is marked stale (`invalidate`) and re-listed before anything is planned against it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
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

    def apply(self, zone: Zone, groups: Sequence[ChangeGroup],
              stop: threading.Event | None = None) -> Applied: ...


class ZoneCache:
    """Zones and, per zone, its record sets by (name, type, set identifier)."""

    def __init__(self, provider: Route53) -> None:
        self.provider = provider
        self.zones: tuple[Zone, ...] = ()
        self._records: dict[str, dict[Key, Endpoint]] = {}
        self._fresh = False

    def refresh(self) -> None:
        """List the zones (the first time) and every zone's record sets."""
        if not self.zones:
            self.zones = self.provider.zones()
            if not self.zones:
                log.warning("no Route53 hosted zone matches the domain filter, zone type and "
                            "zone id filter: nothing will be written")
        self._records = {z.id: {r.key: r for r in self.provider.records(z)} for z in self.zones}
        self._fresh = True

    def ensure_fresh(self) -> None:
        """Re-list if the cache was marked stale since it was last listed."""
        if not self._fresh:
            self.refresh()

    def invalidate(self) -> None:
        self._fresh = False

    def records(self, zone: Zone) -> Iterable[Endpoint]:
        return self._records.get(zone.id, {}).values()

    def zones_for(self, name: str) -> tuple[Zone, ...]:
        return route53.zones_for(name, self.zones)

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
            return Applied(failed=tuple(Failed(g, str(exc)) for g in groups))
        cache = self._records.setdefault(zone.id, {})
        for group in applied.landed:
            _log_landed(group)
            for change in group.changes:
                if change.action == "DELETE":
                    cache.pop(change.record.key, None)
                else:  # as a listing would show it: ownership lives in the TXT alone
                    cache[change.record.key] = replace(change.record, labels=())
        return applied


def _log_landed(group: ChangeGroup) -> None:
    for change in group.changes:
        metrics.CHANGES.labels(change.action).inc()
        record = change.record
        log.info("%s %s %s %s (%s)", change.action, record.dnsname, record.record_type,
                 ",".join(record.targets), group.resource, extra={
                     "action": change.action, "record": record.dnsname,
                     "type": record.record_type, "targets": list(record.targets),
                     "service": group.resource})
