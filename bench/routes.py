"""Routes: `scale.routes` HTTPRoutes behind `scale.route_gateways` Gateways, published by
each controller with `--source=gateway-httproute`.

Four figures per controller, each into a fresh zone of its own:
- cold sync: from the controller's start until every route's A record is right, and the
  Route53 calls it took;
- one route's hostname changed (a merge patch of its spec.hostnames), one at a time: how
  long until Route53 returns the new name's A record;
- one Gateway's address changed (a merge patch of its status.addresses, as its controller
  writes it), one at a time: how long until every route behind it has the new address;
- for each, the Route53 calls and the record changes sent, and the controller's CPU time,
  per event: a route event should cost one route's records, a Gateway event its routes'.

The clock of the cold sync and of a Gateway change stops at the answer to the change call
that completed the records, once a read of the zone from moto shows them all right; a route
change's, at the first read (every 5 ms) that shows the new record. Record changes are the
`<Change>` elements of the change calls the proxy relayed.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import cluster as cluster_mod
from bench import controllers, records, routes_tables
from bench.cluster import Cluster
from bench.controllers import Controller
from bench.gateway_cluster import Routes, gateway_of, route_host
from bench.rig import Rig
from bench.scale import Scale
from bench.table import Table

SOURCES = ("gateway-httproute",)
LATEST = (0, 23)
"""The release whose route sources dnsgate follows; older ones are not run here."""
POLL = 0.005
GATEWAY_BASE = 40000  # index of the Gateways' first IP, far from the Services' ones
CHANGED_BASE = 80000  # index of the first moved Gateway's IP
CHANGE = "ChangeResourceRecordSets"
PROBE = b"<Comment>dnsgate doctor"


@dataclass
class State:
    """The cluster as the bench left it: each route's current name and Gateway's IP."""

    namespace: str
    gateway_ips: dict[str, str]
    routes: list[str]
    revision: Counter[str] = field(default_factory=Counter)

    def host(self, route: str) -> str:
        return route_host(self.namespace, route, self.revision[route])

    def gateway(self, route: str) -> str:
        return gateway_of(int(route.rsplit("-", 1)[1]), len(self.gateway_ips))

    def wanted(self, gateway: str = "") -> dict[str, str]:
        """host -> IP of every route (behind `gateway`, if given)."""
        return {self.host(r): self.gateway_ips[self.gateway(r)] for r in self.routes
                if not gateway or self.gateway(r) == gateway}


def run(rig: Rig, kube: Cluster, scale: Scale, contenders: Sequence[Controller]) -> list[Table]:
    namespace = f"routes-{scale.name}"
    routes = Routes(rig.stack.kubeconfig)
    routes.setup(rig.progress)
    kube.create_namespace(namespace)
    ips = {f"gw-{i}": cluster_mod.address(GATEWAY_BASE + i) for i in range(scale.route_gateways)}
    routes.create_gateways(namespace, list(ips.values()))
    rig.progress(f"routes: creating {scale.routes} HTTPRoutes behind {len(ips)} Gateways")
    created = time.monotonic()
    state = State(namespace, ips, routes.create_routes(namespace, scale.routes, len(ips)))
    rig.progress(f"routes: created in {time.monotonic() - created:.0f} s")
    fresh_ips = itertools.count(CHANGED_BASE)
    measured = {}
    for index, controller in enumerate(c for c in contenders
                                       if c.is_dnsgate or c.version >= LATEST):
        rig.progress(f"routes: {controller.name}")
        measured[controller.name] = run_one(rig, routes, controller, scale, state, fresh_ips,
                                            f"{scale.name}{index}-routes")
    return routes_tables.tables(scale, measured)


def run_one(rig: Rig, routes: Routes, controller: Controller, scale: Scale, state: State,
            fresh_ips: itertools.count[int], label: str) -> dict[str, Any]:
    rig.fresh_zone()
    interval = scale.sync_interval if controller.is_dnsgate else "1m"
    started = time.monotonic()
    child = controllers.start(controller, rig, namespace=state.namespace, label=label,
                              interval=interval, sources=SOURCES)
    pid = child.process.pid
    try:
        cold = _until_right(rig, state.wanted(), started, 0, scale.timeout)
        cold["cpu"] = controllers.cpu_seconds(pid)
        if cold["missing"]:
            return {"cold": cold, "interval": interval}
        settled = controllers.wait_idle(pid, timeout=scale.timeout)
        changes = (scale.route_changes if controller.is_dnsgate
                   else scale.route_changes_external_dns)
        renamed = _route_changes(rig, routes, state, changes, scale.timeout, pid)
        moves = (scale.gateway_changes if controller.is_dnsgate
                 else scale.gateway_changes_external_dns)
        moved = _gateway_changes(rig, routes, state, moves, fresh_ips, scale.timeout, pid)
        return {"cold": cold, "settled": settled, "routes": renamed, "gateways": moved,
                "interval": interval}
    finally:
        controllers.stop(rig, child)


def _until_right(rig: Rig, wanted: dict[str, str], started: float, batches_before: int,
                 timeout: float) -> dict[str, Any]:
    """Wait until every wanted record is right; the time of the change call that completed
    them, and the calls and record changes sent since `started`."""
    left = records.wait_all(rig.zone_client(), rig.zone_id, wanted, timeout=timeout)
    calls = rig.proxy.journal(started)
    landed = [c for c in calls if c.operation == CHANGE and 200 <= c.status < 300]
    last = landed[-1].at if landed and not left else None
    counted = [c for c in calls if last is None or c.at <= last]
    return {"seconds": None if last is None else last - started, "missing": len(left),
            "records": len(wanted), "calls": dict(Counter(c.operation for c in counted)),
            "changes": _record_changes(rig, batches_before)}


def _record_changes(rig: Rig, since: int) -> int:
    """Changes sent since batch `since`; dnsgate's start-up probe (a DELETE Route53 refuses,
    changing nothing) left out."""
    return sum(body.count(b"<Change>") for _, body in rig.proxy.batches()[since:]
               if PROBE not in body)


def _route_changes(rig: Rig, routes: Routes, state: State, changes: int, timeout: float,
                   pid: int) -> dict[str, Any]:
    """Rename one route at a time (spread over the Gateways) and time its new record."""
    client = rig.zone_client()
    latencies: list[float] = []
    misses = 0
    step_routes = [state.routes[(i * 7919) % len(state.routes)] for i in range(changes)]
    old_names = []
    started, batches_before = time.monotonic(), len(rig.proxy.batches())
    cpu = controllers.cpu_seconds(pid)
    for route in step_routes:
        old_names.append(state.host(route))
        state.revision[route] += 1
        new, ip = state.host(route), state.gateway_ips[state.gateway(route)]
        began = time.perf_counter()
        routes.rename(state.namespace, route, new)
        deadline = time.monotonic() + timeout
        while records.a_value(client, rig.zone_id, new) != (ip,):
            if time.monotonic() > deadline:
                misses += 1
                break
            time.sleep(POLL)
        else:
            latencies.append(time.perf_counter() - began)
    cpu = controllers.cpu_seconds(pid) - cpu
    calls = Counter(c.operation for c in rig.proxy.journal(started))
    current = state.wanted()
    left = [name for name in old_names if name not in current
            and records.a_value(client, rig.zone_id, name)]
    return {"latencies": latencies, "misses": misses, "events": changes, "cpu": cpu,
            "calls": dict(calls), "changes": _record_changes(rig, batches_before),
            "old_left": len(left)}


def _gateway_changes(rig: Rig, routes: Routes, state: State, moves: int,
                     fresh_ips: itertools.count[int], timeout: float, pid: int
                     ) -> list[dict[str, Any]]:
    """Move one Gateway's address at a time; time every record behind it."""
    found = []
    for step in range(moves):
        controllers.wait_idle(pid, timeout=timeout)  # the last event's aftermath over
        gateway = f"gw-{step % len(state.gateway_ips)}"
        state.gateway_ips[gateway] = cluster_mod.address(next(fresh_ips))
        started, batches_before = time.monotonic(), len(rig.proxy.batches())
        cpu = controllers.cpu_seconds(pid)
        routes.assign(state.namespace, gateway, state.gateway_ips[gateway])
        result = _until_right(rig, state.wanted(gateway), started, batches_before, timeout)
        controllers.wait_idle(pid, timeout=timeout)  # its CPU counted to the end
        result["cpu"] = controllers.cpu_seconds(pid) - cpu
        result["gateway"] = gateway
        found.append(result)
    return found

