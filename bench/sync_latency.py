"""Sync latency: a Service's LoadBalancer IP changes (a status-subresource merge patch, as
MetalLB and `devstack.metallb.assign` write it); how long until Route53 returns the
new A record? Changes are made one at a time, each waiting for the previous to land.

The clock starts just before the patch request is sent and stops when a read of the zone
(straight from moto, polled every 5 ms) shows the new value.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bench import cluster as cluster_mod
from bench import controllers, records
from bench.cluster import Cluster
from bench.controllers import Controller
from bench.rig import Rig
from bench.scale import Scale
from bench.table import Table, ms, percentile, ratio

POLL = 0.005
CHANGED_BASE = 60000  # index offset for the new IPs, far from the initial ones


def run_one(rig: Rig, kube: Cluster, controller: Controller, scale: Scale, tag: str,
            changes: int) -> dict[str, Any]:
    rig.fresh_zone()
    namespace = f"sync-{tag}"
    kube.create_namespace(namespace)
    names = kube.create_many(namespace, scale.sync_services)
    wanted = {cluster_mod.hostname(namespace, n): cluster_mod.address(i)
              for i, n in enumerate(names)}
    child = controllers.start(controller, rig, namespace=namespace, label=f"{tag}-sync")
    client = rig.zone_client()
    latencies: list[float] = []
    misses = 0
    try:
        left = records.wait_all(client, rig.zone_id, wanted, timeout=scale.timeout)
        if left:
            return {"latencies": [], "misses": changes, "note": f"{len(left)} never synced"}
        for step in range(changes):
            name = names[step % len(names)]
            host = cluster_mod.hostname(namespace, name)
            new_ip = cluster_mod.address(CHANGED_BASE + step)
            started = time.perf_counter()
            kube.assign(namespace, name, [new_ip])
            deadline = time.monotonic() + scale.timeout
            while records.a_value(client, rig.zone_id, host) != (new_ip,):
                if time.monotonic() > deadline:
                    misses += 1
                    break
                time.sleep(POLL)
            else:
                latencies.append(time.perf_counter() - started)
    finally:
        controllers.stop(rig, child)
    return {"latencies": latencies, "misses": misses}


def run(rig: Rig, kube: Cluster, scale: Scale, contenders: Sequence[Controller]) -> list[Table]:
    measured = {}
    for index, controller in enumerate(contenders):
        changes = scale.sync_changes if controller.is_dnsgate else scale.sync_changes_external_dns
        rig.progress(f"sync latency: {controller.name}, {changes} IP changes among "
                     f"{scale.sync_services} Services")
        measured[controller.name] = run_one(rig, kube, controller, scale,
                                            f"{scale.name}{index}", changes)
    ours = measured[controllers.DNSGATE.name]["latencies"]
    rows = []
    for name, result in measured.items():
        samples = result["latencies"]
        p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
        rows.append((
            name, str(len(samples)), str(result["misses"]),
            ms(p50), ratio(p50, percentile(ours, 0.50)),
            ms(p99), ratio(p99, percentile(ours, 0.99)),
            ms(max(samples) if samples else None), ratio(p99, 0.5),
        ))
    return [Table(
        title=f"Sync latency: LB IP patched -> new A record in Route53 "
              f"({scale.sync_services} Services, one change at a time)",
        columns=("controller", "changes", "missed", "p50", "vs dnsgate", "p99", "vs dnsgate",
                 "max", "p99 vs 500 ms target"),
        rows=tuple(rows),
        notes=(
            "ExternalDNS runs with --events; it still waits --min-event-sync-interval (5 s "
            "default) between event-triggered syncs, so it gets fewer changes to keep the "
            "run short",
        ),
        raw={"measured": measured},
    )]
