"""Sync latency: a Service's LoadBalancer IP changes (a status-subresource merge patch, as
MetalLB and `devstack.metallb.assign` write it); how long until Route53 returns the
new A record? Changes are made one at a time, each waiting for the previous to land. Then a
burst: `burst_changes` Services' IPs change at once (patched from many threads); how long
until every record is right, in how many Route53 calls against the floor that Route53's
limits allow?

The clock starts just before the patch request is sent and stops when a read of the zone
(straight from moto, polled every 5 ms) shows the new value; for the burst, at the answer
to the last change call, once every record reads right. The controller's CPU time (user +
system, from /proc) over each phase gives CPU seconds per 1,000 events. The Services are
created once; each controller in turn syncs them into a fresh zone of its own.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench import cluster as cluster_mod
from bench import controllers, records
from bench.cluster import Cluster
from bench.controllers import Controller
from bench.rig import Rig
from bench.scale import Scale
from bench.table import Table, ms, percentile, ratio, secs

POLL = 0.005
CHANGED_BASE = 60000  # index of the first new IP, far from the initial ones
BURST_THREADS = 32  # patches in flight at once: the burst reaches the API as fast as it takes
CHANGE = "ChangeResourceRecordSets"
REQUESTS_PER_SECOND = 5  # Route53's limit per account (docs/route53.md)


def _per_thousand(cpu: float, events: int) -> float | None:
    return cpu / events * 1000 if events else None


def _one_at_a_time(rig: Rig, kube: Cluster, namespace: str, names: list[str],
                   current: dict[str, str], ips: Iterator[int], changes: int, timeout: float,
                   pid: int) -> dict[str, Any]:
    client = rig.zone_client()
    latencies: list[float] = []
    misses = 0
    cpu = controllers.cpu_seconds(pid)
    for step in range(changes):
        name = names[step % len(names)]
        host = cluster_mod.hostname(namespace, name)
        new_ip = cluster_mod.address(next(ips))
        started = time.perf_counter()
        kube.assign(namespace, name, [new_ip])
        current[host] = new_ip
        deadline = time.monotonic() + timeout
        while records.a_value(client, rig.zone_id, host) != (new_ip,):
            if time.monotonic() > deadline:
                misses += 1
                break
            time.sleep(POLL)
        else:
            latencies.append(time.perf_counter() - started)
    cpu = controllers.cpu_seconds(pid) - cpu
    return {"latencies": latencies, "misses": misses, "cpu": cpu,
            "cpu_per_1000": _per_thousand(cpu, changes)}


def _burst(rig: Rig, kube: Cluster, namespace: str, names: list[str], current: dict[str, str],
           ips: Iterator[int], count: int, timeout: float, pid: int) -> dict[str, Any]:
    chosen = names[-count:]  # the one-at-a-time changes used the first names
    fresh = {cluster_mod.hostname(namespace, n): cluster_mod.address(next(ips))
             for n in chosen}
    cpu = controllers.cpu_seconds(pid)
    started = time.monotonic()
    with ThreadPoolExecutor(BURST_THREADS) as pool:
        list(pool.map(lambda name: kube.assign(
            namespace, name, [fresh[cluster_mod.hostname(namespace, name)]]), chosen))
    patched = time.monotonic() - started
    current.update(fresh)
    left = records.wait_each(rig.zone_client(), rig.zone_id, fresh, timeout=timeout)
    calls = rig.proxy.journal(started)
    landed = [c for c in calls if c.operation == CHANGE and 200 <= c.status < 300]
    done = landed[-1].at - started if landed and not left else None
    cpu = controllers.cpu_seconds(pid) - cpu
    # The floor: an IP change as ExternalDNS sends it, one UPSERT of an A record (its TXT is
    # unchanged); Route53 takes up to 1,000 changes and 32,000 characters of values per call,
    # an UPSERT counting twice towards both (docs/route53.md). dnsgate's conditional update
    # also deletes and re-creates the TXT, so it needs more: about 7 calls for 1,000
    # changes, by the characters of the TXT values ("Conditional writes" there).
    chars = sum(len(ip) for ip in fresh.values())
    floor = max(math.ceil(2 * count / 1000), math.ceil(2 * chars / 32000))
    return {"seconds": done, "patched_in": patched, "missing": len(left),
            "change_calls": len(landed), "calls": len(calls), "floor_calls": floor,
            "floor_seconds": floor / REQUESTS_PER_SECOND, "cpu": cpu,
            "cpu_per_1000": _per_thousand(cpu, count)}


def run_one(rig: Rig, kube: Cluster, controller: Controller, scale: Scale, namespace: str,
            names: list[str], current: dict[str, str], ips: Iterator[int], label: str
            ) -> dict[str, Any]:
    rig.fresh_zone()
    interval = scale.sync_interval if controller.is_dnsgate else "1m"
    child = controllers.start(controller, rig, namespace=namespace, label=label,
                              interval=interval)
    changes = scale.sync_changes if controller.is_dnsgate else scale.sync_changes_external_dns
    try:
        left = records.wait_all(rig.zone_client(), rig.zone_id, current, timeout=scale.timeout)
        if left:
            return {"latencies": [], "misses": changes, "note": f"{len(left)} never synced"}
        pid = child.process.pid
        # Per-event figures start once the cold sync's aftermath is over (dnsgate writes a
        # condition and an Event on every Service then, in the background).
        settled = controllers.wait_idle(pid, timeout=scale.timeout)
        result = _one_at_a_time(rig, kube, namespace, names, current, ips, changes,
                                scale.timeout, pid)
        result["burst"] = _burst(rig, kube, namespace, names, current, ips,
                                 scale.burst_changes, scale.timeout, pid)
        result["interval"] = interval
        result["settled"] = settled
        return result
    finally:
        controllers.stop(rig, child)


def run(rig: Rig, kube: Cluster, scale: Scale, contenders: Sequence[Controller]) -> list[Table]:
    namespace = f"sync-{scale.name}"
    kube.create_namespace(namespace)
    rig.progress(f"sync latency: creating {scale.sync_services} Services")
    names = kube.create_many(namespace, scale.sync_services)
    current = {cluster_mod.hostname(namespace, n): cluster_mod.address(i)
               for i, n in enumerate(names)}
    ips = itertools.count(CHANGED_BASE)  # every change a new IP, across controllers too
    measured = {}
    for index, controller in enumerate(contenders):
        rig.progress(f"sync latency: {controller.name}, IP changes among "
                     f"{scale.sync_services} Services, then a burst of {scale.burst_changes}")
        measured[controller.name] = run_one(rig, kube, controller, scale, namespace, names,
                                            current, ips, f"{scale.name}{index}-sync")
    return [_latency_table(scale, measured), _burst_table(scale, measured)]


def _latency_table(scale: Scale, measured: dict[str, dict[str, Any]]) -> Table:
    ours = measured[controllers.DNSGATE.name]["latencies"]
    rows = []
    for name, result in measured.items():
        samples = result["latencies"]
        p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
        per_thousand = result.get("cpu_per_1000")
        rows.append((
            name, str(len(samples)), str(result["misses"]),
            ms(p50), ratio(p50, percentile(ours, 0.50)),
            ms(p99), ratio(p99, percentile(ours, 0.99)),
            ms(max(samples) if samples else None), ratio(p99, 0.5),
            "n/a" if per_thousand is None else f"{per_thousand:.2f} s",
            secs(result.get("settled")),
        ))
    return Table(
        title=f"Sync latency: LB IP patched -> new A record in Route53 "
              f"({scale.sync_services} Services, one change at a time)",
        columns=("controller", "changes", "missed", "p50", "vs dnsgate", "p99", "vs dnsgate",
                 "max", "p99 vs 500 ms target", "CPU per 1,000 events",
                 "busy after cold sync"),
        rows=tuple(rows),
        notes=(
            "ExternalDNS runs with --events; it still waits --min-event-sync-interval (5 s "
            "default) between event-triggered syncs, so it gets fewer changes to keep the "
            "run short",
            f"--interval: dnsgate {scale.sync_interval}, ExternalDNS 1m (its default); CPU "
            "per 1,000 events is the controller's user + system time over the changes, "
            "resyncs and watch traffic in that window included",
            "the changes start once the controller has been idle (under 5 % of a core for "
            "2 s) after its cold sync; 'busy after cold sync' is how long that took",
        ),
        raw={"measured": measured, "services": scale.sync_services},
    )


def _burst_table(scale: Scale, measured: dict[str, dict[str, Any]]) -> Table:
    ours = measured[controllers.DNSGATE.name].get("burst", {})
    rows = []
    for name, result in measured.items():
        burst = result.get("burst")
        if burst is None:
            continue
        per_thousand = burst["cpu_per_1000"]
        rows.append((
            name, secs(burst["seconds"]), ratio(burst["seconds"], ours.get("seconds")),
            secs(burst["patched_in"]), str(burst["missing"]), str(burst["change_calls"]),
            str(burst["floor_calls"]), ratio(burst["change_calls"], burst["floor_calls"]),
            str(burst["calls"]),
            "n/a" if per_thousand is None else f"{per_thousand:.2f} s",
        ))
    return Table(
        title=f"Burst: {scale.burst_changes} LB IPs patched at once -> every A record right "
              f"({scale.sync_services} Services)",
        columns=("controller", "all right in", "vs dnsgate", "patches took", "missing",
                 "change calls", "floor", "vs floor", "calls total", "CPU per 1,000 events"),
        rows=tuple(rows),
        notes=(
            f"patched from {BURST_THREADS} threads; time from the first patch to the answer "
            "of the last change call, every record then read back from moto",
            "floor: ceil(2 x changes / 1000) and ceil(2 x characters / 32000) change calls, "
            "Route53's per-call limits, an UPSERT counting twice; at "
            f"{REQUESTS_PER_SECOND} requests/s that is "
            f"{ours.get('floor_seconds', 0):.1f} s of calls; the patches themselves take "
            "longer, so calls beyond the floor are batches cut while patches still arrive",
        ),
        raw={"services": scale.sync_services},
    )
