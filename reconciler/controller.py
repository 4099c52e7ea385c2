"""The loop: keep Route53 equal to what the Services ask for, cheaply.

ExternalDNS's controller, in two parts: `sync` runs the pipeline once over a scope of names,
and `run` decides when, taking its work from the agenda (`agenda.Agenda`). A resync, every
`--interval`, re-lists every zone's record sets into the zone cache (`zones.ZoneCache`) and
plans every name; between resyncs a Service event plans just the names that Service held or
holds, against the cache, which follows every change that lands. So with nothing changing
there is no ChangeResourceRecordSets call and one zone listing per `--interval`. A group
Route53 refuses fails only its name, tried again on its backoff (`retry.RetrySchedule`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TextIO

from dnsgate.backoff import Backoff
from dnsgate.watch import Service
from reconciler import endpoint, metrics, plan, registry, report, source, table
from reconciler.agenda import Agenda, Work
from reconciler.endpoint import Endpoint
from reconciler.errors import ConfigError, ReconcileError
from reconciler.registry import ChangeGroup
from reconciler.report import AlwaysWrite, Reporter, WriteGate
from reconciler.retry import RetrySchedule
from reconciler.route53 import Failed, Zone
from reconciler.settings import ControllerSettings, RegistrySettings, SourceSettings
from reconciler.zones import Route53, ZoneCache

log = logging.getLogger("dnsgate.reconcile")

# Seconds before the first retry, of a refused name or of a failed sync, doubling each time
# up to the resync interval (which plans every name again anyway).
RETRY_BASE = 1.0


class Services(Protocol):
    def snapshot(self) -> list[Service]: ...


@dataclass(frozen=True)
class Scope:
    """What one sync plans: every name (a resync), or `names` and every name `services`
    held at the last sync or hold now."""

    names: frozenset[str] | None
    """None: every name."""
    services: frozenset[str] = frozenset()

    def resolve(self, desired: source.Desired,
                held: Mapping[str, set[str]]) -> frozenset[str] | None:
        """The names in scope (None: all of them)."""
        if self.names is None:
            return None
        now = (e.dnsname for r in desired.services if r.service in self.services
               for e in r.endpoints)
        return self.names.union(now, *(held.get(s, ()) for s in self.services))


EVERY_NAME = Scope(None)


class Controller:
    def __init__(self, settings: ControllerSettings, source_settings: SourceSettings,
                 registry_settings: RegistrySettings, provider: Route53, services: Services,
                 reporter: Reporter, *, gate: WriteGate | None = None,
                 out: TextIO | None = None) -> None:
        self.settings = settings
        self.source_settings = source_settings
        self.registry_settings = registry_settings
        self.services = services
        self.reporter = reporter
        self.gate = gate or AlwaysWrite()  # leader election: only the leader writes
        self.out = out  # where --dry-run prints its tables
        backoff = Backoff(base=RETRY_BASE, cap=settings.interval)
        self.agenda = Agenda(settings.interval, settings.coalesce, backoff)
        self.retries = RetrySchedule(backoff)
        self.zones = ZoneCache(provider)
        self.stop = self.agenda.stopped
        self.syncs = 0  # completed syncs, full or incremental (for tests)
        self._held: dict[str, set[str]] = {}  # Service -> names it held at the last sync
        self._succeeded_at: float | None = None

    # ---- from other threads: each one hands the agenda a deadline ------------------------

    def notify(self, services: set[str]) -> None:
        """The watch saw these Services change."""
        self.agenda.services_changed(services)

    def resync(self) -> None:
        """Resync at once: this replica has just become leader."""
        self.agenda.resync_now()

    def shutdown(self) -> None:
        """Stop after the batch in flight (what SIGTERM does)."""
        self.agenda.stop()

    # ---- the loop -------------------------------------------------------------------------

    def run(self) -> bool:
        """Sync everything, then follow events and resync every interval until stopped."""
        ok = True
        while (work := self.agenda.next(self.retries.next_due())) is not None:
            ok = self._attempt(work)
        return ok

    def run_once(self) -> bool:
        """A full resync: re-list every zone, plan every name. True when all changes landed."""
        self.zones.refresh()
        return self.sync(EVERY_NAME)

    def sync_services(self, services: set[str]) -> bool:
        """Plan the names these Services held before or hold now."""
        return self.sync(Scope(frozenset(), frozenset(services)))

    @property
    def retrying(self) -> dict[str, int]:
        """Names whose refused changes wait for a retry, with the attempts made so far."""
        return self.retries.attempts()

    def seconds_since_success(self) -> float | None:
        """Seconds since the last sync that landed every change; None before the first."""
        at = self._succeeded_at
        return None if at is None else time.monotonic() - at

    def _attempt(self, work: Work) -> bool:
        """One unit of work as the loop runs it. A standby (leader election on, Lease held
        elsewhere) skips it and touches Route53 not at all. A failed sync ends neither the
        loop nor the retries: it is logged and the resync comes sooner, backing off."""
        if not self.settings.dry_run and not self.gate.may_write():
            self.zones.invalidate()  # whoever leads is changing Route53: re-list when we lead
            self.retries.clear()  # and the resync on taking the lead plans every name
            return True
        started = time.monotonic()
        try:
            if work.kind == "resync":
                ok = self.run_once()
            elif work.kind == "services":
                ok = self.sync_services(set(work.services))
            else:
                ok = self.sync(Scope(self.retries.due()))
        except ConfigError:
            raise  # bad credentials or settings: no retry helps; the CLI exits with it
        except ReconcileError as exc:
            log.error("sync failed: %s; re-listing the zones at the next sync", exc)
            metrics.ERRORS.labels("route53").inc()
            metrics.external_dns_sync(refused=True)
            self.zones.invalidate()
            self.agenda.sync_failed()
            return False
        kind = "full" if work.kind == "resync" else "incremental"
        metrics.SYNC_DURATION.labels(kind).observe(time.monotonic() - started)
        metrics.PENDING.set(self.retries.pending_changes())
        if ok:
            self.agenda.sync_succeeded()
            metrics.LAST_SYNC.set_to_current_time()
            self._succeeded_at = time.monotonic()
        return ok

    # ---- one pass of the pipeline ---------------------------------------------------------

    def sync(self, scope: Scope) -> bool:
        """Run the pipeline once over `scope`; True when every change in it landed. Steps:

        1. registry view: per zone, its cached record sets read through the TXT registry
           (`registry.read`), which also says who holds each name (`source.holders`);
        2. desired: the record sets the Services ask for, a contested name going to its
           holder (`source.desired`);
        3. plan: what brings the view to the desired sets under the policy (`plan.calculate`),
           as far as this reconciler may touch them;
        4. changes: the plan as Route53 changes, each with its TXTs (`registry.changes`);
        5. apply: batched and bisected through the zone cache, which keeps what landed
           (`ZoneCache.apply`), or printed (--dry-run); a refused name waits for its retry;
        6. report: each Service's outcome and the names it now holds (`report.outcomes`),
           the records we own by type.
        """
        self.zones.ensure_fresh()
        views = {zone.id: self._view(zone) for zone in self.zones.zones}  # 1
        desired = source.desired(self.services.snapshot(), self.source_settings.domains,  # 2
                                 naming=self.registry_settings, holders=self._holders(views))
        names = scope.resolve(desired, self._held)
        failed: dict[str, str] = {}
        _keep_first(failed, self._unzoned(desired, names))
        skipped: dict[str, str] = {}
        refused: list[Failed] = []
        owned: Counter[str] = Counter()
        present: list[tuple[str, str]] = []  # for ExternalDNS's record gauges
        for zone in self.zones.zones:
            view = views[zone.id]
            owned.update(_owned_by_type(view.endpoints, self.registry_settings.owner_id))
            present += ((e.dnsname, e.record_type) for e in view.endpoints)
            planned = plan.calculate(self._current(view, names),  # 3
                                     self._wanted(desired, zone, names),
                                     policy=self.settings.policy,
                                     owner_id=self.registry_settings.owner_id)
            _keep_first(skipped, ((s.endpoint.label(endpoint.RESOURCE) or "", s.reason)
                                  for s in planned.skipped))
            groups = registry.changes(planned, view, self.registry_settings)  # 4
            refused += self._apply(zone, groups)  # 5
            if groups and not self.settings.dry_run:
                views[zone.id] = self._view(zone)  # what landed is in the cache now
        metrics.external_dns_sync(refused=bool(refused))
        if names is None:
            metrics.external_dns_records(present, ((e.dnsname, e.record_type)
                                                   for e in desired.endpoints))
        self._retry_later(refused, names)
        _keep_first(failed, ((f.group.resource, f.message) for f in refused))
        holds = source.held_by_service(self._holders(views))
        self._report(desired, scope, names, failed, skipped, owned, holds)  # 6
        self.syncs += 1
        return not failed

    def _view(self, zone: Zone) -> registry.View:
        return registry.read(self.zones.records(zone), self.registry_settings)

    def _holders(self, views: Mapping[str, registry.View]) -> dict[str, frozenset[str]]:
        """hostname -> the Services its ownership TXTs name: who holds each name."""
        return source.holders((e for view in views.values() for e in view.endpoints),
                              self.registry_settings.owner_id)

    def _unzoned(self, desired: source.Desired,
                 names: frozenset[str] | None) -> Iterable[tuple[str, str]]:
        """(resource, reason) for each desired name that no managed zone holds."""
        zones = ", ".join(z.name for z in self.zones.zones) or "none"
        for e in desired.endpoints:
            if _within(names, e.dnsname) and not self.zones.zones_for(e.dnsname):
                yield e.label(endpoint.RESOURCE) or "", (
                    f"no Route53 hosted zone dnsgate manages holds {e.dnsname} "
                    f"(managed zones: {zones})")

    def _wanted(self, desired: source.Desired, zone: Zone,
                names: frozenset[str] | None) -> list[Endpoint]:
        return [e for e in desired.endpoints
                if _within(names, e.dnsname) and zone in self.zones.zones_for(e.dnsname)]

    def _current(self, view: registry.View, names: frozenset[str] | None) -> list[Endpoint]:
        return [scoped for e in view.endpoints
                if _within(names, e.dnsname) and (scoped := self._scoped(e)) is not None]

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

    def _apply(self, zone: Zone, groups: tuple[ChangeGroup, ...]) -> tuple[Failed, ...]:
        """Step 5 for one zone; returns the groups Route53 refused."""
        if self.settings.dry_run:
            if self.out is not None:
                self.out.write(f"zone {zone.name} ({zone.id}):\n")
                self.out.write(table.render(groups, self.registry_settings.owner_id))
            return ()
        if not groups or not self.gate.may_write():
            return ()
        return self.zones.apply(zone, groups, self.stop).failed

    def _retry_later(self, refused: Sequence[Failed], names: frozenset[str] | None) -> None:
        changes: Counter[str] = Counter()
        for failure in refused:
            changes[failure.group.dnsname] += len(failure.group.changes)
        retries = self.retries.settle(lambda name: _within(names, name), changes)
        for failure in refused:
            retry = retries[failure.group.dnsname]
            metrics.ERRORS.labels("rejected_change").inc()
            log.warning("Route53 refused the changes for %s (%s): %s; retry %d in %.0fs",
                        failure.group.dnsname, failure.group.resource, failure.message,
                        retry.attempts, retry.wait)

    def _report(self, desired: source.Desired, scope: Scope, names: frozenset[str] | None,
                failed: Mapping[str, str], skipped: Mapping[str, str],
                owned: Counter[str], holds: Mapping[str, tuple[str, ...]]) -> None:
        held = {r.service: {e.dnsname for e in r.endpoints} for r in desired.services}
        for gone in self._held.keys() - held.keys():
            self.reporter.forget(gone)  # deleted: its memory would otherwise only grow
        self._held = held
        for outcome in report.outcomes(desired, names=names, touched=scope.services,
                                       failed=failed, skipped=skipped,
                                       dry_run=self.settings.dry_run, held=holds):
            self.reporter.report(outcome)
        for record_type in {"A", "AAAA", "CNAME", "TXT"} | set(owned):
            metrics.RECORDS.labels(record_type).set(owned[record_type])


def _within(names: frozenset[str] | None, name: str) -> bool:
    return names is None or name in names


def _keep_first(into: dict[str, str], pairs: Iterable[tuple[str, str]]) -> None:
    """Add each (resource, reason) unless the resource already has a reason."""
    for resource, reason in pairs:
        into.setdefault(resource, reason)


def _owned_by_type(records: Iterable[Endpoint], owner_id: str) -> Counter[str]:
    """Records our TXTs claim, by type, plus one TXT each (what dnsgate_reconciler_records
    reports)."""
    owned = Counter(e.record_type for e in records if e.label(endpoint.OWNER) == owner_id)
    owned["TXT"] = sum(owned.values())
    return owned

