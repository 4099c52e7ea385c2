"""Per-Service outcomes of a sync, and the seams that Events, status and leader election use.

The controller tells a `Reporter` how each Service fared (synced, failed, conflict,
invalid, not-allowed: a name outside its namespace's domains, docs/namespace-domains.md;
no-record: a Gateway API route its Gateways give no name, with their reasons,
docs/gateway-api.md);
today's reporter logs a line when a Service's outcome changes. Events and
status.conditions on the Service, and Prometheus metrics, are other Reporters. `WriteGate`
is where leader election plugs in: only the leader writes to Route53.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Literal, Protocol

from dnsgate import claims, objectkey
from reconciler import source

Status = Literal["synced", "failed", "conflict", "invalid", "not-allowed", "no-record"]

log = logging.getLogger("dnsgate.reconcile")


@dataclass(frozen=True)
class Outcome:
    """How one Service fared. `status` None: nothing to say about its records (it asks for
    none), only `held` to report. `held`: the record sets whose ownership TXT names it after
    the sync, which the webhook reads to know a row's holder (dnsgate.claims)."""

    service: str  # the key, `dnsgate.objectkey`: "service/ns/name"
    status: Status | None
    message: str = ""
    held: tuple[claims.Row, ...] = ()


class Reporter(Protocol):
    def report(self, outcome: Outcome) -> None: ...

    def forget(self, service: str) -> None:
        """The Service is gone: drop what is remembered of it (a Service of the same name
        created later is a new object, with nothing written on it yet)."""


class WriteGate(Protocol):
    def may_write(self) -> bool: ...


class AlwaysWrite:
    """A single replica: always the writer (ExternalDNS's only mode)."""

    def may_write(self) -> bool:
        return True


class LogReporter:
    """Logs an outcome when it differs from the Service's previous one; keeps the latest
    outcome of every Service until it is deleted."""

    def __init__(self) -> None:
        self.latest: dict[str, Outcome] = {}
        self._lock = threading.Lock()

    def report(self, outcome: Outcome) -> None:
        if outcome.status is None:
            return
        with self._lock:
            previous = self.latest.get(outcome.service)
            self.latest[outcome.service] = outcome
        if previous is not None and (previous.status, previous.message) == (
                outcome.status, outcome.message):
            return
        level = logging.INFO if outcome.status == "synced" else logging.WARNING
        suffix = f": {outcome.message}" if outcome.message else ""
        log.log(level, "%s %s%s", objectkey.describe(outcome.service), outcome.status, suffix)

    def forget(self, service: str) -> None:
        with self._lock:
            self.latest.pop(service, None)


def outcomes(desired: source.Desired, *, names: Set[str] | None, touched: Set[str],
             failed: Mapping[str, str], skipped: Mapping[str, str],
             dry_run: bool, held: Mapping[str, tuple[claims.Row, ...]] | None = None
             ) -> list[Outcome]:
    """Each Service's outcome of one sync, for the Services it covered (`names` None: all).

    `failed` and `skipped` map the resource label, which is the key (`dnsgate.objectkey`), to
    the reason; `held` maps the key to the record sets it holds.
    Precedence: invalid annotations, then a lost claim or a name held by someone else, then
    a refused change, then records, then a route's reasons for having none. A covered
    Service with nothing else
    to report still gets an outcome with status None, so that a stale held list is cleared.
    """
    held = held or {}
    lost = {c.service: c for c in desired.conflicts}
    found: list[Outcome] = []
    for result in desired.services:
        mine = {e.dnsname for e in result.endpoints}
        if names is not None and result.service not in touched and not mine & names:
            continue
        resource = result.service
        holds = held.get(result.service, ())
        if result.problems:
            status: Status = "not-allowed" if result.refused_by_policy else "invalid"
            found.append(Outcome(result.service, status, "; ".join(result.problems), holds))
        elif result.service in lost:
            c = lost[result.service]
            why = "its ownership record names it" if c.holds else "it is the senior claim"
            taken = (f"{c.hostname} is held by" if c.shares is None else
                     f"{c.hostname} shares its ownership TXT names with {c.shares}, held by")
            found.append(Outcome(result.service, "conflict",
                                 f"{taken} {objectkey.describe(c.holder)}: {why}", holds))
        elif resource in skipped:
            found.append(Outcome(result.service, "conflict", skipped[resource], holds))
        elif resource in failed:
            found.append(Outcome(result.service, "failed", failed[resource], holds))
        elif result.endpoints and not dry_run:
            found.append(Outcome(result.service, "synced", held=holds))
        elif not result.endpoints and result.unresolved:
            found.append(Outcome(result.service, "no-record", "; ".join(result.unresolved),
                                 holds))
        else:
            found.append(Outcome(result.service, None, held=holds))
    return found
