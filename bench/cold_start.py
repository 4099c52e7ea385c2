"""Cold start: a controller started against N annotated Services that already have IPs,
and N Services created while a controller runs. Measured: time until every A record is in
Route53 (the answer of the last change call that completed the set), and Route53 calls by
operation against the floor the issue sets: one zone listing plus ceil(changes/1000)
ChangeResourceRecordSets (Route53 accepts at most 1,000 changes per call).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from bench import cluster as cluster_mod
from bench import controllers, profile, records
from bench.cluster import Cluster
from bench.controllers import Controller
from bench.rig import Rig
from bench.scale import Scale
from bench.table import Table, ratio, secs

CHANGE = "ChangeResourceRecordSets"
LISTING = ("ListHostedZones", "ListHostedZonesByName", "ListResourceRecordSets")


def _wait_synced(rig: Rig, wanted: dict[str, str], started: float, timeout: float
                 ) -> dict[str, Any]:
    client = rig.zone_client()
    left = records.wait_all(client, rig.zone_id, wanted, timeout=timeout, settle=0.5)
    changes = [c for c in rig.proxy.journal(started)
               if c.operation == CHANGE and 200 <= c.status < 300]
    done = changes[-1].at - started if changes and not left else None
    time.sleep(2.0)  # let trailing calls (GetChange, a last listing) land in the counts
    counts = rig.proxy.counts()
    created = records.record_count(client, rig.zone_id) - 2  # minus the zone's SOA and NS
    return {"seconds": done, "missing": len(left), "counts": counts, "record_sets": created,
            "value_chars": records.value_chars(client, rig.zone_id)}


def _floor(result: dict[str, Any]) -> int:
    # One ListHostedZones, one ListResourceRecordSets of the (empty) zone, then change calls.
    return 2 + math.ceil(int(result["record_sets"]) / 1000)


def _floor_with_chars(result: dict[str, Any]) -> int:
    # Route53 also caps a call at 32,000 characters of values; long TXT values hit that first.
    return 2 + max(math.ceil(int(result["record_sets"]) / 1000),
                   math.ceil(int(result["value_chars"]) / 32000))


def run_one(rig: Rig, kube: Cluster, controller: Controller, scale: Scale, tag: str,
            existing: str, wanted: dict[str, str]) -> dict[str, Any]:
    results = {}
    # 1. Services exist first (in namespace `existing`), then the controller starts.
    rig.fresh_zone()
    rig.proxy.reset_counts()
    started = time.monotonic()
    child = controllers.start(controller, rig, namespace=existing, label=f"{tag}-existing")
    try:
        results["existing"] = _wait_synced(rig, wanted, started, scale.timeout)
    finally:
        controllers.stop(rig, child)
    # 2. The controller runs, then Services are created as fast as the API takes them.
    rig.fresh_zone()
    namespace = f"live-{tag}"
    kube.create_namespace(namespace)
    child = controllers.start(controller, rig, namespace=namespace, label=f"{tag}-live")
    try:
        time.sleep(5.0)  # past its start-up listing, so the clock measures the Services only
        rig.proxy.reset_counts()
        started = time.monotonic()
        names = kube.create_many(namespace, scale.cold_live_services)
        created_in = time.monotonic() - started
        live = {cluster_mod.hostname(namespace, n): cluster_mod.address(i)
                for i, n in enumerate(names)}
        results["live"] = _wait_synced(rig, live, started, scale.timeout)
        results["live"]["created_in"] = created_in
    finally:
        controllers.stop(rig, child)
    kube.delete_all(namespace)
    return results


def _profile(rig: Rig, scale: Scale, seconds: float, namespace: str,
             wanted: dict[str, str]) -> list[Table]:
    """An extra, unmeasured cold start of dnsgate (existing Services) under py-spy."""
    rig.fresh_zone()
    out = rig.state_dir / "profile-cold-start.txt"
    child = controllers.start(controllers.DNSGATE, rig, namespace=namespace, label="cold-prof")
    try:
        time.sleep(0.3)  # let the interpreter come up before py-spy attaches
        sampler = profile.start(child.process.pid, out, seconds=math.ceil(seconds) + 3)
        if sampler is None:
            return []
        records.wait_all(rig.zone_client(), rig.zone_id, wanted, timeout=scale.timeout)
        sampler.wait(timeout=scale.timeout)
    finally:
        controllers.stop(rig, child)
    if not out.is_file():
        return []
    return [profile.summarize(out, title=f"Profile: dnsgate cold start against "
                                         f"{scale.cold_services} Services")]


def run(rig: Rig, kube: Cluster, scale: Scale, contenders: Sequence[Controller]) -> list[Table]:
    # The Services that exist before each controller starts are created once, for all.
    existing = f"cold-{scale.name}"
    kube.create_namespace(existing)
    rig.progress(f"cold start: creating {scale.cold_services} Services")
    names = kube.create_many(existing, scale.cold_services)
    wanted = {cluster_mod.hostname(existing, n): cluster_mod.address(i)
              for i, n in enumerate(names)}
    measured = {}
    for index, controller in enumerate(contenders):
        rig.progress(f"cold start: {controller.name}, {scale.cold_services} Services, then "
                     f"{scale.cold_live_services} created live")
        measured[controller.name] = run_one(rig, kube, controller, scale, f"{scale.name}{index}",
                                            existing, wanted)
    ours = measured[controllers.DNSGATE.name]
    profiled = _profile(rig, scale, ours["existing"]["seconds"] or scale.timeout, existing,
                        wanted)
    # Later scenarios start from a small cluster again: the apiserver creates Services
    # about three times slower past 20,000, and the Service CIDR holds 65,534.
    rig.progress(f"cold start: deleting its {scale.cold_services} Services")
    kube.delete_all(existing)
    tables = []
    for phase, title in (("existing", "Cold start: controller started against "
                                      f"{scale.cold_services} Services with IPs"),
                         ("live", f"Cold start, live: {scale.cold_live_services} Services "
                                  "created while it runs")):
        rows = []
        for name, result in measured.items():
            r = result[phase]
            counts = r["counts"]
            listing = sum(counts.get(op, 0) for op in LISTING)
            total = sum(counts.values())
            rows.append((
                name, secs(r["seconds"]), ratio(r["seconds"], ours[phase]["seconds"]),
                str(r["missing"]), str(r["record_sets"]), str(listing),
                str(counts.get(CHANGE, 0)), str(counts.get("GetChange", 0)), str(total),
                ratio(total, sum(ours[phase]["counts"].values())),
                str(_floor(r)), ratio(total, _floor(r)),
                str(_floor_with_chars(r)), ratio(total, _floor_with_chars(r)),
            ))
        notes = [
            "time: controller start (or first Service create) until the answer to the change "
            "call that completed the zone; verified by listing the zone from moto directly",
            "floor: 1 ListHostedZones + 1 ListResourceRecordSets + ceil(record sets/1000) "
            "changes (Route53's 1,000-change limit per call); floor w/ 32k chars also "
            "counts Route53's 32,000 characters of values per call",
        ]
        if phase == "live":
            notes.append("Services created (with IPs) in: " + ", ".join(
                f"{n} {secs(m['live']['created_in'])}" for n, m in measured.items()))
        tables.append(Table(
            title=title,
            columns=("controller", "all records in", "vs dnsgate", "missing", "record sets",
                     "listing calls", "change calls", "GetChange", "calls total",
                     "vs dnsgate", "floor", "vs floor", "floor w/ 32k chars", "vs it"),
            rows=tuple(rows), notes=tuple(notes),
            raw={"phase": phase, "measured": {n: m[phase] for n, m in measured.items()},
                 "services": scale.cold_services if phase == "existing"
                 else scale.cold_live_services},
        ))
    return tables + profiled
