"""The loop: keep Route53 equal to what the Services ask for, cheaply.

ExternalDNS's controller, in two parts: `sync` runs the pipeline once over a scope of names,
and `run` decides when, taking its work from the agenda (`agenda.Agenda`). A resync, every
`--interval`, re-lists every zone's record sets into the zone cache (`zones.ZoneCache`) and
plans every name; between resyncs a Service event plans just the names that Service held or
holds, against the cache, which follows every change that lands. So with nothing changing
there is no ChangeResourceRecordSets call and one zone listing per `--interval`. A group
Route53 refuses fails only its name, tried again on its backoff (`retry.RetrySchedule`).

Only a resync costs what exists. A Service event costs what it touches: its own records are
recomputed and the names it touches re-settled (`desired.DesiredState`), and only the
record sets at those names are read from the cache (`ZoneCache.at`) and planned.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol, TextIO

from dnsgate import domainpolicy, objectkey
from dnsgate.backoff import Backoff
from dnsgate.watch import Service
from reconciler import (
    deleteguard,
    endpoint,
    metrics,
    plan,
    registry,
    report,
    route53,
    source,
    table,
)
from reconciler.agenda import Agenda, Work
from reconciler.deleteguard import Decision, Delete, Guard
from reconciler.desired import DesiredState
from reconciler.endpoint import Endpoint
from reconciler.errors import ConfigError, ReconcileError
from reconciler.owned import OwnedRecords
from reconciler.registry import ChangeGroup
from reconciler.report import AlwaysWrite, Reporter, WriteGate
from reconciler.retry import RetrySchedule
from reconciler.route53 import Applied, Failed, Zone
from reconciler.settings import ControllerSettings, RegistrySettings, SourceSettings
from reconciler.source import ServiceRecords
from reconciler.witness import Lookup, Witness
from reconciler.zones import Route53, ZoneCache

log = logging.getLogger("dnsgate.reconcile")

# Seconds before the first retry, of a refused name or of a failed sync, doubling each time
# up to the resync interval (which plans every name again anyway).
RETRY_BASE = 1.0


class Services(Protocol):
    def snapshot(self) -> list[Service]: ...

    def get(self, key: str) -> Service | None:
        """The object of this key ("service/ns/name") as last seen; None once deleted."""


@dataclass(frozen=True)
class Scope:
    """What one sync plans: every name (a resync), or `names` and every name `services`
    held at the last sync or hold now."""

    names: frozenset[str] | None
    """None: every name."""
    services: frozenset[str] = frozenset()


EVERY_NAME = Scope(None)


class Controller:
    def __init__(self, settings: ControllerSettings, source_settings: SourceSettings,
                 registry_settings: RegistrySettings, provider: Route53, services: Services,
                 reporter: Reporter, *, gate: WriteGate | None = None,
                 out: TextIO | None = None,
                 owners_index: Callable[[Iterable[Endpoint]], None] | None = None,
                 lookup: Lookup | None = None,
                 confirmed: Callable[[], str | None] = lambda: None,
                 announce: Callable[[Decision, str], None] = lambda *_: None) -> None:
        """`lookup`: whether an object missing from the view exists, asked of the API by
        name (`reconciler.witness`); without one, as the tests' fakes, the view is the
        cluster. `confirmed`: the plan hash the confirmation ConfigMap carries.
        `announce`: told of each new held plan (the CLI writes an Event)."""
        self.settings = settings
        self.source_settings = source_settings
        self.registry_settings = registry_settings
        self.services = services
        self.reporter = reporter
        self.gate = gate or AlwaysWrite()  # leader election: only the leader writes
        self.out = out  # where --dry-run prints its tables
        # Handed every record set a resync reads, for the webhook's index of the names other
        # owner ids hold (reconciler.owners_index); None: no index.
        self.owners_index = owners_index
        backoff = Backoff(base=RETRY_BASE, cap=settings.interval)
        self.agenda = Agenda(settings.interval, settings.coalesce, backoff)
        self.retries = RetrySchedule(backoff)
        anchor, self._anchor_of = registry.anchors(registry_settings)
        self.zones = ZoneCache(provider, anchor)
        self.stop = self.agenda.stopped
        self.desired = DesiredState(source_settings, registry_settings)
        self.syncs = 0  # completed syncs, full or incremental (for tests)
        self.owned = OwnedRecords(registry_settings.owner_id)
        self._succeeded_at: float | None = None
        self._pinned_nowhere: frozenset[tuple[str, str]] = frozenset()
        """(name, set identifier) of desired records whose aws-hosted-zone-id names no zone
        holding them (this sync): left as Route53 holds them, as ExternalDNS skips such a
        record, never deleted; other record sets of the name are planned as ever."""
        self.witness = Witness(source_settings.sources,
                               lookup or (lambda key: self.services.get(key) is not None))
        self.guard = Guard(settings.guard, confirmed, time.monotonic)
        self.announce = announce
        self.holding = ""  # the held plan's message, "" when nothing is held
        self._held_plan = ""

    # ---- from other threads: each one hands the agenda a deadline ------------------------

    def notify(self, services: set[str]) -> None:
        """The watch saw these Services change."""
        self.witness.returned(key for key in services if self.services.get(key) is not None)
        self.agenda.services_changed(services)

    def deleted(self, keys: set[str]) -> None:
        """The watch saw these objects deleted (or leave its label selector)."""
        self.witness.deleted(keys)

    def resync(self) -> None:
        """Resync at once: this replica has just become leader."""
        self.agenda.resync_now()

    def policy_changed(self, policy: domainpolicy.Enforcement) -> None:
        """A new domain policy: every Service is judged again under it at a resync, at once.
        New namespace labels alone: the policy in force takes them now, and only the
        Services of the namespaces whose domains they change are judged again, as if each
        had changed; a resync would re-list every zone for each Namespace created or
        relabelled anywhere in the cluster (docs/namespace-domains.md)."""
        in_force = self.desired.policy
        self.desired.next_policy = policy
        regranted = policy.regranted(in_force) if self.desired.loaded else None
        if regranted is None:
            self.agenda.resync_now()
            return
        # Decisions differ only in `regranted`, whose Services are judged again below, so
        # a sync that reads the policy meanwhile never keeps a mixed verdict.
        self.desired.policy = policy
        touched = {objectkey.of(s) for s in self.services.snapshot()
                   if (s.get("metadata") or {}).get("namespace") in regranted}
        if touched:
            self.agenda.services_changed(touched)

    def shutdown(self) -> None:
        """Stop after the batch in flight (what SIGTERM does)."""
        self.agenda.stop()

    # ---- the loop -------------------------------------------------------------------------

    def run(self) -> bool:
        """Sync everything, then follow events and resync every interval until stopped."""
        ok = True
        while (work := self.agenda.next(self._due())) is not None:
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

    def _due(self) -> float | None:
        """When retries, or the next read of a held plan's confirmation, fall due."""
        due = [at for at in (self.retries.next_due(), self.guard.recheck_due()) if at is not None]
        return min(due, default=None)

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
                ok = self.sync(Scope(self.retries.due() | self.guard.names_to_release()))
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

        1. desired: the record sets the Services ask for, a contested record set going to
           its holder (`desired.DesiredState`): at a resync all recomputed, with the holders
           every zone's registry view names (`source.holders`); else the changed Services'
           alone;
        2. registry view: per zone, its cached record sets (at the names in scope) read
           through the TXT registry (`registry.read`);
        3. plan: what brings the view to the desired sets under the policy (`plan.calculate`),
           as far as this reconciler may touch them;
        4. guard: the plan's deletes without a reason seen, or past --max-deletes, are held
           out of it and reported (`deleteguard`, `witness`);
        5. changes: the plan as Route53 changes, each with its TXTs (`registry.changes`);
        6. apply: batched and bisected through the zone cache, which keeps what landed
           (`ZoneCache.apply`), or printed (--dry-run); every write is conditional on the
           zone holding what was read, so where Route53 refuses a group, its names are read
           again and, if the zone moved, planned and applied once more (`_moved`); a name
           still refused waits for its retry; the names that changed are read back for
           their new holders;
        7. report: each Service's outcome and the record sets it now holds
           (`report.outcomes`), the records we own by type.
        """
        self.zones.ensure_fresh()
        views = self._whole_views(scope)
        desired, names = self._desired(scope, views)  # 1
        failed: dict[str, str] = {}
        unzoned = list(self._unzoned(desired))
        _keep_first(failed, unzoned)
        unpinned = [(e, why) for e in desired.endpoints
                    if (why := route53.unpinned(e, self.zones.zones_for(e.dnsname)))]
        self._pinned_nowhere = frozenset((e.dnsname, e.set_identifier) for e, _ in unpinned)
        _keep_first(failed, ((e.label(endpoint.RESOURCE) or "", why) for e, why in unpinned))
        skipped: dict[str, str] = {}
        refused: list[Failed] = []
        wanted = self.zones.split(desired.endpoints)
        present: list[tuple[str, str]] = []  # for ExternalDNS's record gauges
        landed = False
        if views is not None:
            self.owned.recount(view.endpoints for view in views.values())
            if names is None and self.owners_index is not None:
                self.owners_index([e for view in views.values() for e in view.endpoints])
            self.witness.prune(e.label(endpoint.RESOURCE) or "" for v in views.values()
                               for e in v.endpoints
                               if e.label(endpoint.OWNER) == self.registry_settings.owner_id)
        plans: list[tuple[Zone, registry.View, plan.Plan]] = []
        for zone, at in self.zones.holding(names):
            view = views[zone.id] if at is None and views else self._read(zone, at)  # 2
            if names is None:
                present += ((e.dnsname, e.record_type) for e in view.endpoints)
            planned = self._plan(view, names, wanted.get(zone.id, []))  # 3
            if names is not None and planned.creates and self._creates_moved(zone, planned):
                view = self._read(zone, at)
                planned = self._plan(view, names, wanted.get(zone.id, []))
            plans.append((zone, view, planned))
        decision = self._guard(plans, names)  # 4
        for zone, view, planned in plans:
            planned = _allowed(planned, zone, decision)
            groups = registry.changes(planned, view, self.registry_settings)  # 5
            applied = self._apply(zone, groups)  # 6
            if any(f.refused for f in applied.failed):
                applied, planned = self._moved(zone, applied, wanted.get(zone.id, []), planned,
                                               decision)
            _keep_first(skipped, ((s.endpoint.label(endpoint.RESOURCE) or "", s.reason)
                                  for s in planned.skipped))
            self.owned.follow(applied)
            self._landed(zone, applied)
            landed = landed or bool(applied.landed)
            refused += applied.failed
        metrics.external_dns_sync(refused=bool(refused))
        if names is None:
            metrics.external_dns_records(present, ((e.dnsname, e.record_type)
                                                   for e in desired.endpoints))
        self._retry_later(refused, names)
        _keep_first(failed, ((f.group.resource, f.message) for f in refused))
        if landed:  # report who holds each name now, as the next resync will read it
            desired = (self.desired.whole() if names is None
                       else self.desired.scoped(names, scope.services))
        self._report(desired, scope, names, failed, skipped)  # 7
        self.syncs += 1
        # A pin naming no zone of the name is the Service's own setting, reported on it like
        # an invalid annotation; ExternalDNS skips such a record with a warning. It does not
        # fail the sync, or one tenant's annotation would fail --once, /readyz and the
        # last-sync metric for every Service (docs/route53-alias.md, "Zone annotations").
        return not unzoned and not refused

    def _whole_views(self, scope: Scope) -> dict[str, registry.View] | None:
        """Every zone read through the registry, when this sync needs them all: a resync,
        or the first sync (which builds the desired state); else None."""
        if scope.names is not None and self.desired.loaded:
            return None
        return {zone.id: self._read(zone, None) for zone in self.zones.zones}

    def _desired(self, scope: Scope, views: Mapping[str, registry.View] | None
                 ) -> tuple[source.Desired, frozenset[str] | None]:
        """Step 1: the desired state over the scope, and the names in it (None: all)."""
        if views is not None:
            holders = source.holders((e for view in views.values() for e in view.endpoints),
                                     self.registry_settings.owner_id)
            whole: Mapping[str, ServiceRecords | None] = self.desired.records()
            for gone in self.desired.reset(self.services.snapshot(), holders):
                self.reporter.forget(gone)  # deleted: its memory would otherwise only grow
            self.witness.observe(whole, self.desired.records_of)
        if scope.names is None:
            return self.desired.whole(), None
        before = {s: self.desired.records_of(s) for s in scope.services}
        changed = self.desired.update({s: self.services.get(s) for s in scope.services})
        self.witness.observe(before, self.desired.records_of)
        for gone in changed.gone:
            self.reporter.forget(gone)
        names = scope.names | changed.names
        return self.desired.scoped(names, scope.services), names

    def _read(self, zone: Zone, names: Collection[str] | None) -> registry.View:
        """The zone's cached record sets read through the registry: all of them, or those
        read together with `names` (`registry.anchors`)."""
        if names is None:
            return registry.read(self.zones.records(zone), self.registry_settings)
        return registry.read(self.zones.at(zone, {self._anchor_of(n) for n in names}),
                             self.registry_settings)

    def _landed(self, zone: Zone, applied: Applied) -> None:
        """Who holds the rows at the names whose changes landed, read back from the cache."""
        names = {group.dnsname for group in applied.landed}
        if not names:
            return
        found = source.holders((e for e in self._read(zone, names).endpoints
                                if e.dnsname in names), self.registry_settings.owner_id)
        self.desired.hold(names, found)

    def _moved(self, zone: Zone, applied: Applied, wanted: Sequence[Endpoint],
               planned: plan.Plan, decision: Decision) -> tuple[Applied, plan.Plan]:
        """Route53 refused some groups: a DELETE no longer matched or a CREATE found a set,
        if the zone moved since it was read (docs/route53.md, "Conditional writes"). The
        names those groups touch are read again (those alone); where Route53 held something
        else than the cache, their record names are planned again and applied, once. The
        names read are those the groups write and those their ownership is read from. A
        group refused by an unchanged zone (a poisoned change) stays refused. Returns what
        landed and failed in all, and the plan's skips with the second plan's added."""
        refused = [f for f in applied.failed if f.refused]
        read = {f.group.dnsname: {n for c in f.group.changes
                                  for n in registry.names_read(c.record, self.registry_settings)}
                for f in refused}
        moved = self.zones.reread(zone, set().union(*read.values()))
        again = [f for f in refused if read[f.group.dnsname] & moved]
        if not again:
            return applied, planned
        names = frozenset(f.group.dnsname for f in again)
        view = self._read(zone, names)
        second = _allowed(self._plan(view, names, [e for e in wanted if e.dnsname in names]),
                          zone, decision)
        retried = self._apply(zone, registry.changes(second, view, self.registry_settings))
        kept = tuple(f for f in applied.failed if f not in again)
        return (Applied(applied.landed + retried.landed, kept + retried.failed,
                        applied.calls + retried.calls),
                replace(planned, skipped=planned.skipped + second.skipped))

    def _plan(self, view: registry.View, names: frozenset[str] | None,
              wanted: Sequence[Endpoint]) -> plan.Plan:
        return plan.calculate(self._current(view, names), wanted,
                              policy=self.settings.policy,
                              owner_id=self.registry_settings.owner_id,
                              sharing=partial(registry.sharing, view,
                                              settings=self.registry_settings),
                              foreign=partial(registry.foreign_txt, view,
                                              settings=self.registry_settings))

    def _guard(self, plans: Sequence[tuple[Zone, registry.View, plan.Plan]],
               names: frozenset[str] | None) -> Decision:
        """Step 4: which planned deletes may go (docs/deletes.md), the held ones reported."""
        planned = [(zone.id, record) for zone, _, p in plans for record in p.deletes]
        if not planned and not self.guard.held:
            return Decision(frozenset())
        verdicts = self.witness.verdicts({r.label(endpoint.RESOURCE) or "" for _, r in planned},
                                         self.desired.records_of)
        deletes = []
        for zone, r in planned:
            resource = r.label(endpoint.RESOURCE) or ""
            verdict = verdicts[resource]
            if verdict.seen:
                verdict = self.witness.withheld(
                    resource, r.dnsname, self.desired.records_of(resource)) or verdict
            deletes.append(Delete(zone, r, verdict.seen, verdict.text))
        decision = self.guard.decide(deletes, names, self.owned.record_sets())
        if decision.released:
            log.warning("deleting %d record sets of the held plan, as the confirmation "
                        "ConfigMap %s asks", decision.released, self.settings.guard.confirmation)
        announced = self._held_plan
        self._held_plan = decision.plan
        self.holding = (deleteguard.message(decision, self.settings.guard)
                        if decision.held else "")
        metrics.DELETES_HELD.labels("threshold").set(sum(d.seen for d in decision.held))
        metrics.DELETES_HELD.labels("unseen").set(sum(not d.seen for d in decision.held))
        if decision.plan and decision.plan != announced:
            log.warning("%s", self.holding)
            self.announce(decision, self.holding)
        return decision

    def _creates_moved(self, zone: Zone, planned: plan.Plan) -> bool:
        """Before an event sync creates record sets, read their names from Route53 again.
        A CREATE is refused only where a set of the same name, type and set identifier
        exists, so another owner's record of another type at the name (their AAAA where we
        add an A), written since the cache was listed, would not stop it: the plan creates
        only at names that hold nothing but ours, and a cache up to --interval old cannot
        tell. Those names alone are read (`ZoneCache.refresh_names`: one call per name, or
        one listing of the zone when that is fewer calls). True when Route53 held something
        else there, so the plan is made again from what it holds. The record names are
        enough: a set there that no TXT in the cache names is not ours either."""
        return bool(self.zones.refresh_names(zone, {r.dnsname for r in planned.creates}))

    def _unzoned(self, desired: source.Desired) -> Iterable[tuple[str, str]]:
        """(resource, reason) for each desired name that no managed zone holds."""
        zones = ", ".join(z.name for z in self.zones.zones) or "none"
        for e in desired.endpoints:
            if not self.zones.zones_for(e.dnsname):
                yield e.label(endpoint.RESOURCE) or "", (
                    f"no Route53 hosted zone dnsgate manages holds {e.dnsname} "
                    f"(managed zones: {zones})")

    def _current(self, view: registry.View, names: frozenset[str] | None) -> list[Endpoint]:
        return [scoped for e in view.endpoints
                if _within(names, e.dnsname)
                and (e.dnsname, e.set_identifier) not in self._pinned_nowhere
                and (scoped := self._scoped(e)) is not None]

    def _scoped(self, record: Endpoint) -> Endpoint | None:
        """A current record as this reconciler may treat it; None outside its domains."""
        if not self.source_settings.domains.matches(record.dnsname):
            return None
        namespace = self.source_settings.namespace
        resource = record.label(endpoint.RESOURCE) or ""
        owner = self.registry_settings.owner_id
        if namespace and record.label(endpoint.OWNER) == owner and not objectkey.in_namespace(
                resource, namespace):
            # Another namespace's Service or Ingress holds it under our owner id: to a namespaced
            # reconciler that is someone else's record, never updated or deleted, and it
            # blocks a create at its name instead of letting Route53 refuse the CREATE.
            return record.with_labels(**{endpoint.OWNER: f"{owner} ({resource})"})
        return record

    def _apply(self, zone: Zone, groups: tuple[ChangeGroup, ...]) -> Applied:
        """Step 5 for one zone: what landed, and the groups Route53 refused."""
        if self.settings.dry_run:
            if self.out is not None:
                self.out.write(f"zone {zone.name} ({zone.id}):\n")
                self.out.write(table.render(groups, self.registry_settings.owner_id))
            return Applied()
        if not groups or not self.gate.may_write():
            return Applied()
        return self.zones.apply(zone, groups, self.stop)

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
                failed: Mapping[str, str], skipped: Mapping[str, str]) -> None:
        covered = {r.service for r in desired.services}
        held = self.desired.held(covered)
        # An incremental sync's desired state holds just the Services it touched and those
        # claiming a name in scope, records or not (one without an IP yet still wins or loses
        # its name): each gets its outcome.
        touched = scope.services if names is None else covered
        for outcome in report.outcomes(desired, names=names, touched=touched,
                                       failed=failed, skipped=skipped,
                                       dry_run=self.settings.dry_run, held=held):
            self.reporter.report(outcome)
        self.owned.publish()
        metrics.POLICY_REFUSED.set(len(self.desired.refused))


def _allowed(planned: plan.Plan, zone: Zone, decision: Decision) -> plan.Plan:
    """The plan without the deletes the guard holds."""
    kept = tuple(r for r in planned.deletes if (zone.id, r.key) in decision.allowed)
    return planned if len(kept) == len(planned.deletes) else replace(planned, deletes=kept)


def _within(names: frozenset[str] | None, name: str) -> bool:
    return names is None or name in names


def _keep_first(into: dict[str, str], pairs: Iterable[tuple[str, str]]) -> None:
    """Add each (resource, reason) unless the resource already has a reason."""
    for resource, reason in pairs:
        into.setdefault(resource, reason)

