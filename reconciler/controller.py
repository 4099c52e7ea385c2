"""The loop: keep Route53 equal to what the Services ask for, cheaply.

A full resync (`run_once`) lists the zones once and keeps their record sets in memory;
between resyncs, Service events are planned incrementally for the names they touch, against
that cache, and the cache is updated from every change that lands. So with nothing changing
there is no ChangeResourceRecordSets call and one zone listing per `--interval`. Events
arriving within `coalesce` seconds of each other become one batch. A group Route53 refuses
is retried for its name with exponential backoff (and at every resync), never blocking
others. After an error whose outcome is unknown the cache is re-listed before the next sync.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol, TextIO

from dnsgate.watch import Service
from reconciler import endpoint, metrics, plan, registry, report, source, table
from reconciler.endpoint import Endpoint, Key
from reconciler.errors import ConfigError, ReconcileError, TransientError
from reconciler.registry import ChangeGroup
from reconciler.report import AlwaysWrite, Reporter, WriteGate
from reconciler.route53 import Applied, Failed, Provider, Zone, zone_for
from reconciler.settings import ControllerSettings, RegistrySettings, SourceSettings

log = logging.getLogger("dnsgate.reconcile")

MAX_SETTLE = 0.6  # seconds: a steady stream of events still reaches Route53 within a second
RETRY_BASE = 1.0  # seconds before the first retry of a refused group; doubles each time


class Services(Protocol):
    def snapshot(self) -> list[Service]: ...


@dataclass
class _Retry:
    attempts: int
    due: float
    changes: int = 0


class Controller:
    def __init__(
        self,
        settings: ControllerSettings,
        source_settings: SourceSettings,
        registry_settings: RegistrySettings,
        provider: Provider,
        services: Services,
        reporter: Reporter,
        gate: WriteGate | None = None,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.source_settings = source_settings
        self.registry_settings = registry_settings
        self.provider = provider
        self.services = services
        self.reporter = reporter
        self.gate = gate or AlwaysWrite()
        self.out = out
        self.clock = clock
        self.stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._zones: tuple[Zone, ...] = ()
        self._records: dict[str, dict[Key, Endpoint]] = {}
        self._fresh = False
        self._names_of: dict[str, set[str]] = {}
        self._retry: dict[str, _Retry] = {}
        self._broken = False
        self._resync_now = False
        self._succeeded_at: float | None = None
        self.syncs = 0  # completed syncs, full or incremental (for tests and metrics)

    # ---- events (called from the watch thread) ----------------------------------------

    def notify(self, services: set[str]) -> None:
        with self._lock:
            self._dirty |= services
        self._wake.set()

    @property
    def retrying(self) -> dict[str, int]:
        """Names whose refused changes wait for a retry, with the attempts made so far."""
        return {name: retry.attempts for name, retry in self._retry.items()}

    def leadership_changed(self, leading: bool) -> None:
        """Called by leader election. A new leader's cache may be stale (the old leader
        wrote meanwhile): re-list and resync at once. A standby touches Route53 not at all."""
        metrics.LEADER.set(1 if leading else 0)
        if leading:
            self._fresh = False
            self._resync_now = True
            self._wake.set()

    def shutdown(self) -> None:
        """Stop after the batch in flight (what SIGTERM does)."""
        self.stop.set()
        self._wake.set()

    # ---- the two kinds of sync --------------------------------------------------------

    def run_once(self) -> bool:
        """One full sync; True when every change landed. The steps:

        1. list the zones and each zone's record sets (kept in memory as the cache);
        2. compute the desired record sets from the Services (`source.desired`);
        3. per zone, read ownership from the TXT registry (`registry.read`);
        4. plan the changes (`plan.calculate`) and add their TXTs (`registry.changes`);
        5. apply them, batched and bisected (`Provider.apply`), or print them (--dry-run);
        6. report each Service's outcome.
        """
        with self._lock:
            self._dirty.clear()  # this full sync covers every event seen so far
        self._refresh()
        return self._sync(names=None)

    def sync_services(self, services: set[str]) -> bool:
        """Incremental sync of the names these Services held before or hold now."""
        names = set().union(*(self._names_of.get(s, set()) for s in services))
        desired = source.desired(self.services.snapshot(), self.source_settings.domains)
        for result in desired.services:
            if result.service in services:
                names |= {e.dnsname for e in result.endpoints}
        return self._sync(names, desired, services)

    def run(self) -> bool:
        """Sync, then follow events and resync every interval until `stop` is set."""
        ok = self._guard(self.run_once)
        failures = 1 if self._broken else 0
        self._broken = False
        next_resync = self.clock() + min(self.settings.interval,
                                         RETRY_BASE if failures else self.settings.interval)
        while not self.stop.is_set():
            due = min([next_resync, *(r.due for r in self._retry.values())])
            self._wake.wait(max(0.0, due - self.clock()))
            if self.stop.is_set():
                break
            if self._wake.is_set():
                self._settle()
                with self._lock:
                    dirty, self._dirty = self._dirty, set()
                if dirty:
                    ok = self._guard(partial(self.sync_services, dirty))
            now = self.clock()
            if now >= next_resync or self._resync_now:
                self._resync_now = False
                ok = self._guard(self.run_once)
                next_resync = now + self.settings.interval
            elif any(r.due <= now for r in self._retry.values()):
                names = {n for n, r in self._retry.items() if r.due <= now}
                ok = self._guard(partial(self._sync, names))
            if self._broken:
                # Route53 or the zone listing failed as a whole: resync soon, backing off.
                failures += 1
                self._broken = False
                next_resync = min(next_resync, now + min(self.settings.interval,
                                                         RETRY_BASE * 2 ** failures))
            elif ok:
                failures = 0
        return ok

    def _guard(self, sync: Callable[[], bool]) -> bool:
        """One failed sync (throttled past retries, Route53 down) must not end the loop.
        A standby (leader election on, Lease held elsewhere) skips the sync entirely."""
        if not self.settings.dry_run and not self.gate.may_write():
            self._fresh = False  # whoever leads is changing Route53: re-list when we lead
            return True
        kind = "full" if sync == self.run_once else "incremental"
        started = time.monotonic()
        try:
            ok = sync()
        except ConfigError:
            raise  # bad credentials or settings: no retry helps; the CLI exits with it
        except ReconcileError as exc:
            log.error("sync failed: %s; re-listing the zones at the next sync", exc)
            metrics.ERRORS.labels("route53").inc()
            self._fresh = False
            self._broken = True
            return False
        metrics.SYNC_DURATION.labels(kind).observe(time.monotonic() - started)
        metrics.PENDING.set(sum(r.changes for r in self._retry.values()))
        if ok:
            metrics.LAST_SYNC.set_to_current_time()
            self._succeeded_at = time.monotonic()
        return ok

    def seconds_since_success(self) -> float | None:
        """Seconds since the last sync that landed every change; None before the first."""
        at = self._succeeded_at
        return None if at is None else time.monotonic() - at

    def _settle(self) -> None:
        """Wait until events pause for `coalesce` seconds (at most MAX_SETTLE), so a burst
        of Service changes becomes one plan and one batch, still within a second."""
        started = self.clock()
        while not self.stop.is_set():
            self._wake.clear()
            if not self._wake.wait(self.settings.coalesce):
                return
            if self.clock() - started >= MAX_SETTLE:
                self._wake.clear()
                return

    # ---- steps ------------------------------------------------------------------------

    def _refresh(self) -> None:
        if not self._zones:
            self._zones = self.provider.zones()
            if not self._zones:
                log.warning("no Route53 hosted zone matches the domain filter, zone type and "
                            "zone id filter: nothing will be written")
        self._records = {z.id: {r.key: r for r in self.provider.records(z)}
                         for z in self._zones}
        self._fresh = True

    def _sync(self, names: set[str] | None, desired: source.Desired | None = None,
              touched: Iterable[str] = ()) -> bool:
        if not self._fresh:
            self._refresh()
        desired = desired or source.desired(self.services.snapshot(),
                                            self.source_settings.domains)
        # Names in this sync get a fresh plan now; a failure below re-schedules its name
        # with one more attempt, and a name with nothing left to do is dropped.
        retried = {n: self._retry.pop(n) for n in list(self._retry)
                   if names is None or n in names}
        self._names_of = {r.service: {e.dnsname for e in r.endpoints} for r in desired.services}
        failed: dict[str, str] = {}
        skipped: dict[str, str] = {}
        owned: Counter[str] = Counter()
        for e in desired.endpoints:
            if (names is None or e.dnsname in names) and zone_for(e.dnsname, self._zones) is None:
                failed.setdefault(e.label(endpoint.RESOURCE) or "", (
                    f"no Route53 hosted zone dnsgate manages holds {e.dnsname} (managed "
                    f"zones: {', '.join(z.name for z in self._zones) or 'none'})"))
        for zone in self._zones:
            wanted = [e for e in desired.endpoints if zone_for(e.dnsname, self._zones) == zone
                      and (names is None or e.dnsname in names)]
            view = registry.read(self._records.get(zone.id, {}).values(),
                                 self.registry_settings)
            owned.update(_owned_by_type(view.endpoints, self.registry_settings.owner_id))
            current = [scoped for e in view.endpoints
                       if (names is None or e.dnsname in names)
                       and (scoped := self._scoped(e)) is not None]
            planned = plan.calculate(current, wanted, policy=self.settings.policy,
                                     owner_id=self.registry_settings.owner_id)
            for skip in planned.skipped:
                skipped.setdefault(skip.endpoint.label(endpoint.RESOURCE) or "", skip.reason)
            groups = registry.changes(planned, view, self.registry_settings)
            if self.settings.dry_run:
                if self.out is not None:
                    self.out.write(f"zone {zone.name} ({zone.id}):\n")
                    self.out.write(table.render(groups, self.registry_settings.owner_id))
                continue
            if not groups or not self.gate.may_write():
                continue
            for message, group in self._apply(zone, groups, retried):
                failed.setdefault(group.resource, message)
        for record_type in {"A", "AAAA", "CNAME", "TXT"} | set(owned):
            metrics.RECORDS.labels(record_type).set(owned[record_type])
        for outcome in report.outcomes(desired, names=names, touched=set(touched),
                                       failed=failed, skipped=skipped,
                                       dry_run=self.settings.dry_run):
            self.reporter.report(outcome)
        self.syncs += 1
        return not failed

    def _apply(self, zone: Zone, groups: tuple[ChangeGroup, ...],
               retried: dict[str, _Retry]) -> list[tuple[str, ChangeGroup]]:
        try:
            applied = self.provider.apply(zone, groups, self.stop)
        except TransientError as exc:
            log.error("Route53 changes to zone %s failed: %s", zone.name, exc)
            self._fresh = False  # some batches may have landed: re-list before planning again
            applied = Applied(failed=tuple(Failed(g, str(exc)) for g in groups))
        cache = self._records.setdefault(zone.id, {})
        for group in applied.landed:
            for change in group.changes:
                metrics.CHANGES.labels(change.action).inc()
                log.info("%s %s %s %s (%s)", change.action, change.record.dnsname,
                         change.record.record_type, ",".join(change.record.targets),
                         group.resource, extra={
                             "action": change.action, "record": change.record.dnsname,
                             "type": change.record.record_type,
                             "targets": list(change.record.targets),
                             "service": group.resource})
                if change.action == "DELETE":
                    cache.pop(change.record.key, None)
                else:  # as a listing would show it: ownership lives in the TXT alone
                    cache[change.record.key] = replace(change.record, labels=())
        now = self.clock()
        for failure in applied.failed:
            name = failure.group.dnsname
            attempts = retried[name].attempts + 1 if name in retried else 1
            delay = min(self.settings.interval, RETRY_BASE * 2 ** (attempts - 1))
            self._retry[name] = _Retry(attempts, now + delay, len(failure.group.changes))
            metrics.ERRORS.labels("rejected_change").inc()
            log.warning("Route53 refused the changes for %s (%s): %s; retry %d in %.0fs",
                        name, failure.group.resource, failure.message, attempts, delay)
        return [(f.message, f.group) for f in applied.failed]

    def _scoped(self, record: Endpoint) -> Endpoint | None:
        """A current record as this reconciler may treat it; None outside its domains."""
        if not self.source_settings.domains.matches(record.dnsname):
            return None
        namespace = self.source_settings.namespace
        resource = record.label(endpoint.RESOURCE) or ""
        owner = self.registry_settings.owner_id
        if namespace and record.label(endpoint.OWNER) == owner and not resource.startswith(
                f"service/{namespace}/"):
            # Another namespace's Service holds it under our owner id: to a namespaced
            # reconciler that is someone else's record, never updated or deleted, and it
            # blocks a create at its name instead of letting Route53 refuse the CREATE.
            return record.with_labels(**{endpoint.OWNER: f"{owner} ({resource})"})
        return record


def _owned_by_type(records: Iterable[Endpoint], owner_id: str) -> Counter[str]:
    """Records our TXTs claim, by type, plus one TXT each (what dnsgate_reconciler_records
    reports)."""
    owned = Counter(e.record_type for e in records if e.label(endpoint.OWNER) == owner_id)
    owned["TXT"] = sum(owned.values())
    return owned
