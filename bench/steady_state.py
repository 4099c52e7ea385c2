"""Steady state: N synced Services and nothing changing; which Route53 calls does each
controller still make? Counted over a quiet period and scaled to one hour.

All contenders run side by side in one window, each against a Route53 of its own (its own
moto server and proxy), all watching the same Services. dnsgate runs with ExternalDNS's
default resync period (--interval=1m), with its own default, and with an hourly one: it
applies Service changes from watch events, so the resync only repairs drift made outside
Kubernetes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import ExitStack

from bench import cluster as cluster_mod
from bench import controllers, records
from bench.cluster import Cluster
from bench.controllers import Controller
from bench.rig import Rig, lane
from bench.scale import Scale
from bench.table import Table, ratio
from reconciler.settings import ControllerSettings, interval_seconds

QUIET_AFTER_SYNC = 10.0  # seconds after the last record lands before counting starts
OPERATIONS = ("ListHostedZones", "ListResourceRecordSets", "ChangeResourceRecordSets",
              "GetChange")


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:g}h" if seconds % 3600 == 0 else f"{seconds / 60:g}m"


def variants(contenders: Sequence[Controller]) -> list[tuple[str, Controller, str]]:
    default = _duration(ControllerSettings().interval)
    found = []
    for controller in contenders:
        if controller.is_dnsgate:
            found.append(("dnsgate --interval=1m", controller, "1m"))
            if default not in ("1m", "1h"):
                found.append((f"dnsgate (default --interval={default})", controller, default))
            found.append(("dnsgate --interval=1h", controller, "1h"))
        else:
            found.append((f"{controller.name} (default --interval=1m)", controller, "1m"))
    return found


def run(rig: Rig, kube: Cluster, scale: Scale, contenders: Sequence[Controller]) -> list[Table]:
    namespace = f"steady-{scale.name}"
    kube.create_namespace(namespace)
    names = kube.create_many(namespace, scale.steady_services)
    wanted = {cluster_mod.hostname(namespace, n): cluster_mod.address(i)
              for i, n in enumerate(names)}
    runs = variants(contenders)
    counts: dict[str, dict[str, int]] = {}
    missing: dict[str, int] = {}
    with ExitStack() as stack:
        lanes = [stack.enter_context(lane(rig)) for _ in runs]
        for index, ((_, controller, interval), own) in enumerate(zip(runs, lanes,
                                                                      strict=True)):
            child = controllers.start(controller, rig, namespace=namespace, interval=interval,
                                      label=f"steady-{index}", proxy=own.proxy)
            stack.callback(controllers.stop, rig, child)
        for (label, _, _), own in zip(runs, lanes, strict=True):
            left = records.wait_all(own.zone_client(), own.zone_id, wanted,
                                    timeout=scale.timeout)
            missing[label] = len(left)
        rig.progress(f"steady state: all synced; counting calls for {scale.steady_seconds}s")
        time.sleep(QUIET_AFTER_SYNC)
        for own in lanes:
            own.proxy.reset_counts()
        time.sleep(scale.steady_seconds)
        for (label, _, _), own in zip(runs, lanes, strict=True):
            counts[label] = own.proxy.counts()
    intervals = {label: interval_seconds(interval) for label, _, interval in runs}
    return [table(counts, missing, scale.steady_services, scale.steady_seconds, intervals)]


def table(counts: dict[str, dict[str, int]], missing: dict[str, int], services: int,
          seconds: float, intervals: dict[str, float]) -> Table:
    """The steady-state table from raw counts (also re-rendered from results JSON)."""
    per_hour = {label: sum(observed.values()) * 3600.0 / seconds
                for label, observed in counts.items()}
    notes = ["per hour = calls in the window x 3600 / window; each controller has its own "
             "Route53, so counts do not mix"]
    one_minute = counts.get("dnsgate --interval=1m")
    resyncs = seconds / 60.0
    if one_minute is not None and resyncs >= 1:
        # A resync period longer than the window cannot show up in it; its cost is what
        # one resync of the 1m variant cost, measured in the same window.
        cost = sum(one_minute.values()) / resyncs
        for label, interval in intervals.items():
            if label.startswith("dnsgate") and interval > seconds:
                per_hour[label] += cost * 3600.0 / interval
                notes.append(f"{label}: no resync falls in the {seconds:.0f} s window; per "
                             f"hour adds {3600.0 / interval:g} resync(s) at the measured cost "
                             f"of one ({cost:.0f} calls = dnsgate 1m's calls / "
                             f"{resyncs:.0f} resyncs)")
    one_minute_rate = per_hour.get("dnsgate --interval=1m")
    default_label = next((label for label in counts if label.startswith("dnsgate (default")),
                         "dnsgate --interval=1m")
    default_rate = per_hour.get(default_label)
    rows = []
    for label, observed in counts.items():
        total = sum(observed.values())
        others = sum(n for op, n in observed.items() if op not in OPERATIONS)
        rows.append((
            label, str(missing[label]),
            *(str(observed.get(op, 0)) for op in OPERATIONS), str(others), str(total),
            f"{per_hour[label]:.0f}", ratio(per_hour[label], one_minute_rate),
            ratio(per_hour[label], default_rate),
        ))
    return Table(
        title=f"Steady state: {services} synced Services, no change, calls over "
              f"{seconds:.0f} s",
        columns=("controller", "missing", *OPERATIONS, "other", "calls", "per hour",
                 "vs dnsgate 1m", "vs dnsgate default"),
        rows=tuple(rows),
        notes=tuple(notes),
        raw={"counts": counts, "seconds": seconds, "missing": missing, "services": services,
             "intervals": intervals},
    )
