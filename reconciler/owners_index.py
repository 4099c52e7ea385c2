"""Writes the owners index (`dnsgate.owners`): at every resync, the record sets the zones'
registry view shows as owned by another owner id, into one ConfigMap the webhook reads.

Written by server-side apply, so the one call creates the ConfigMap or replaces its data; the
installed RBAC lets the reconciler's ServiceAccount get and patch that ConfigMap alone
(docs/security.md). A failed write is logged and the sync goes on: the index only informs
the webhook, which warns rather than refuses once the index is older than its `valid-for`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from dnsgate import owners
from dnsgate.domains import DomainFilter
from reconciler import endpoint
from reconciler.endpoint import Endpoint

log = logging.getLogger("dnsgate.reconcile")

FIELD_MANAGER = "dnsgate-reconciler"
SLACK = 60.0
"""Seconds of grace past two resyncs before the webhook stops trusting the index."""


def valid_for(interval: float) -> float:
    """How long an index stays trustworthy: two resync intervals (one may fail) and a
    minute, the bound the reconciler's own /readyz puts on its last successful sync."""
    return 2 * interval + SLACK


def foreign(records: Iterable[Endpoint], owner_id: str,
            domains: DomainFilter) -> tuple[owners.Holding, ...]:
    """The record sets in `domains` whose ownership names another owner id."""
    return owners.holdings(
        ((r.dnsname, r.set_identifier, r.record_type, r.label(endpoint.OWNER),
          r.label(endpoint.RESOURCE)) for r in records if domains.matches(r.dnsname)),
        owner_id)


class Publisher:
    """Writes the index; `publish` is handed every record set a resync read."""

    def __init__(self, core: Any, where: owners.Location, owner_id: str, domains: DomainFilter,
                 interval: float, clock: Callable[[], datetime] = owners.now) -> None:
        self._core = core
        self._where = where
        self._owner_id = owner_id
        self._domains = domains
        self._valid_for = valid_for(interval)
        self._clock = clock
        self.written = 0  # indexes written (for tests)

    def publish(self, records: Iterable[Endpoint]) -> None:
        index = owners.Index(self._owner_id, self._clock(), self._valid_for,
                             foreign(records, self._owner_id, self._domains))
        data = owners.encode(index)
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": self._where.name, "namespace": self._where.namespace,
                             "labels": {"app.kubernetes.io/part-of": "dnsgate"}},
                "data": data}
        try:
            self._core.patch_namespaced_config_map(
                self._where.name, self._where.namespace, json.dumps(body),
                field_manager=FIELD_MANAGER, force=True,
                _content_type="application/apply-patch+yaml")
        except Exception as exc:  # the API is down, or RBAC refuses: the sync goes on
            log.warning("cannot write the owners index ConfigMap %s: %s; the webhook warns "
                        "instead of refusing names other owners hold until it is written",
                        self._where, exc)
            return
        self.written += 1
        listed = len(data[owners.RECORDS].splitlines())
        if data[owners.COMPLETE] != "true":
            # The webhook then only warns for the names cut off: say so where the operator
            # looks, with the numbers (docs/owners.md, "Refused at the door").
            log.warning("owners index %s is cut at its size bound (%d characters): %d of %d "
                        "record sets held by other owner ids listed; the webhook only warns "
                        "for the names left out", self._where, owners.MAX_RECORD_CHARS,
                        listed, len(index.holdings))
            return
        log.info("owners index %s: %d record sets held by other owner ids",
                 self._where, listed)
