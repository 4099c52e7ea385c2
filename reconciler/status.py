"""Tell the Service itself how its DNS is doing: Events and a `dnsgate.io/DNSReady` condition.

ExternalDNS reports only in its own logs; users have asked it for status.conditions. dnsgate
writes, for each Service whose outcome changes:
- an Event (Normal `DNSSynced` naming the records and targets; Warning `DNSSyncFailed` with
  the Route53 error; Warning `DNSOwnershipConflict` naming the foreign owner; Warning
  `DNSInvalidAnnotations` with the problems; Warning `DNSNameNotAllowed` naming a name
  outside the domains the namespace may use, docs/namespace-domains.md; Warning
  `DNSNoRecord` with the reasons a Gateway API route's Gateways give it no name,
  docs/gateway-api.md), seen in `kubectl describe service`;
- the condition, written by server-side apply on the status subresource with its own field
  manager. Service conditions are a list keyed by `type`, so the apply owns only our entries
  and never touches `status.loadBalancer`, which belongs to the load-balancer controller;
- in the same apply, `dnsgate.io/DNSNamesHeld` listing the record sets (name, set
  identifier) whose ownership TXT names the Service, which is how the webhook learns who
  holds a row (dnsgate/claims.py, `held_message`). When the Service holds nothing the apply
  leaves it out, and server-side apply removes it.
Both are deduplicated: nothing is written while the outcome stays the same, and after a
restart the conditions already on the Service count as written, so a steady state writes
nothing at all.

An Ingress has no status.conditions (its status holds only the load balancer), so it gets
the Events alone, deduplicated the same way while the reconciler runs; the names an Ingress
holds are not reported on it (docs/ingress.md says what the webhook does without them).
A Gateway API route likewise: its status holds only what gateway controllers write for
each parent, so it gets Events alone, their involvedObject naming the route's own kind and
API version (docs/gateway-api.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dnsgate import claims, gateway, ingress, objectkey
from reconciler.report import Outcome, Reporter

log = logging.getLogger(__name__)

CONDITION_TYPE = "dnsgate.io/DNSReady"
FIELD_MANAGER = "dnsgate-reconciler"
COMPONENT = "dnsgate-reconciler"
MESSAGE_MAX = 1024  # Event messages are capped by the apiserver; keep conditions readable

# outcome status -> (condition status, reason, event type)
_MEANING = {
    "synced": ("True", "DNSSynced", "Normal"),
    "failed": ("False", "DNSSyncFailed", "Warning"),
    "conflict": ("False", "DNSOwnershipConflict", "Warning"),
    "invalid": ("False", "DNSInvalidAnnotations", "Warning"),
    "not-allowed": ("False", "DNSNameNotAllowed", "Warning"),
    "no-record": ("False", "DNSNoRecord", "Warning"),
}

Lookup = Callable[[str], dict[str, Any] | None]


def condition_for(outcome: Outcome, generation: int | None,
                  previous: dict[str, Any] | None, now: dt.datetime) -> dict[str, Any]:
    assert outcome.status is not None, "only an outcome with a status has a condition"
    status, reason, _ = _MEANING[outcome.status]
    transition = (previous or {}).get("lastTransitionTime")
    if previous is None or previous.get("status") != status or not transition:
        transition = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    condition = {
        "type": CONDITION_TYPE,
        "status": status,
        "reason": reason,
        "message": (outcome.message or reason)[:MESSAGE_MAX],
        "lastTransitionTime": transition,
    }
    if generation is not None:
        condition["observedGeneration"] = generation
    return condition


def held_condition(rows: tuple[claims.Row, ...], previous: dict[str, Any] | None,
                   now: dt.datetime) -> dict[str, Any] | None:
    """The held-rows condition, or None when the Service holds no record set."""
    if not rows:
        return None
    transition = (previous or {}).get("lastTransitionTime")
    if previous is None or previous.get("status") != "True" or not transition:
        transition = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"type": claims.HELD_CONDITION, "status": "True", "reason": claims.HELD_REASON,
            "message": claims.held_message(rows), "lastTransitionTime": transition}


def current_condition(service: dict[str, Any], kind: str = CONDITION_TYPE
                      ) -> dict[str, Any] | None:
    for condition in (service.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return dict(condition)
    return None


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    keys = ("status", "reason", "message", "observedGeneration")
    if a is None or b is None:
        return a is b
    return all(a.get(k) == b.get(k) for k in keys)


@dataclass(frozen=True)
class _Written:
    """Our two conditions as last written (or found) on one Service."""

    ready: dict[str, Any] | None
    held: dict[str, Any] | None


class KubernetesReporter:
    """A `Reporter` that writes Events and the condition through the Kubernetes API."""

    def __init__(self, core: Any, lookup: Lookup,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.core = core  # dnsgate.corev1.CoreV1
        self.lookup = lookup  # the watch cache: key -> Service (or Ingress) JSON
        self.clock = clock
        self._written: dict[str, _Written] = {}
        self._lock = threading.Lock()
        self.writes = 0  # condition patches + events, for tests and metrics

    def report(self, outcome: Outcome) -> None:
        service = self.lookup(outcome.service)
        if service is None:
            return  # deleted meanwhile: nothing to report on
        metadata = service.get("metadata") or {}
        if ingress.is_ingress(service) or gateway.is_route(service):
            kind = objectkey.kind_of_object(service)
            self._report_events_only(metadata, outcome, kind.name, kind.api_version)
            return
        with self._lock:
            before = self._written.get(outcome.service) or _Written(
                current_condition(service), current_condition(service, claims.HELD_CONDITION))
        now = self.clock()
        ready = before.ready
        if outcome.status is not None:
            ready = condition_for(outcome, metadata.get("generation"), before.ready, now)
        held = held_condition(outcome.held, before.held, now)
        if _same(before.ready, ready) and _same(before.held, held):
            return
        try:
            self._apply_conditions(metadata, [c for c in (ready, held) if c is not None])
            if ready is not None and outcome.status is not None and not _same(before.ready,
                                                                               ready):
                self._event(metadata, outcome, ready)
        except Exception as exc:  # reporting must never stop DNS work
            log.warning("could not report %s on %s: %s", outcome.status or "held records",
                        objectkey.describe(outcome.service), exc)
            return
        with self._lock:
            self._written[outcome.service] = _Written(ready, held)

    def _report_events_only(self, metadata: dict[str, Any], outcome: Outcome, kind: str,
                            api_version: str) -> None:
        """An Ingress's or a route's report: an Event when its outcome changes, nothing
        else."""
        if outcome.status is None:
            return
        with self._lock:
            before = self._written.get(outcome.service) or _Written(None, None)
        ready = condition_for(outcome, metadata.get("generation"), before.ready, self.clock())
        if _same(before.ready, ready):
            return
        try:
            self._event(metadata, outcome, ready, kind=kind, api_version=api_version)
        except Exception as exc:  # reporting must never stop DNS work
            log.warning("could not report %s on %s: %s", outcome.status,
                        objectkey.describe(outcome.service), exc)
            return
        with self._lock:
            self._written[outcome.service] = _Written(ready, None)

    def forget(self, service: str) -> None:
        with self._lock:
            self._written.pop(service, None)

    def _apply_conditions(self, metadata: dict[str, Any],
                          conditions: list[dict[str, Any]]) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": metadata["name"], "namespace": metadata["namespace"]},
            "status": {"conditions": conditions},
        }
        self.core.patch_namespaced_service_status(
            metadata["name"], metadata["namespace"], body,
            field_manager=FIELD_MANAGER, force=True,
            _content_type="application/apply-patch+yaml",
        )
        self.writes += 1

    def _event(self, metadata: dict[str, Any], outcome: Outcome,
               condition: dict[str, Any], *, kind: str = "Service",
               api_version: str = "v1") -> None:
        assert outcome.status is not None, "only an outcome with a status has an event"
        _, reason, event_type = _MEANING[outcome.status]
        now = self.clock().isoformat()
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{metadata['name']}.dnsgate-",
                         "namespace": metadata["namespace"]},
            "involvedObject": {
                "apiVersion": api_version, "kind": kind, "name": metadata["name"],
                "namespace": metadata["namespace"], "uid": metadata.get("uid"),
                "resourceVersion": metadata.get("resourceVersion"),
            },
            "reason": reason,
            "message": condition["message"],
            "type": event_type,
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": COMPONENT,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        self.core.create_namespaced_event(metadata["namespace"], event)
        self.writes += 1


class Reporters:
    """Fan one outcome out to several reporters (log, Kubernetes, metrics)."""

    def __init__(self, *reporters: Reporter) -> None:
        self.reporters = reporters

    def report(self, outcome: Outcome) -> None:
        for reporter in self.reporters:
            reporter.report(outcome)

    def forget(self, service: str) -> None:
        for reporter in self.reporters:
            reporter.forget(service)
