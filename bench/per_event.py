"""`python -m bench.per_event`: what one Service event costs dnsgate itself, with N Services
in memory: no apiserver, Route53 in memory (`devstack.memroute53`), no rate limit.

It runs the reconciler's real `Controller` (zone cache, registry, plan, batching, provider)
and the webhook's real claim index and review in this one process, and times them with the
process's CPU clock as well as the wall clock, so a busy machine lengthens the wall times but
hardly the CPU times. What it measures:
- cold: the first full sync of N Services into an empty zone; then a resync with nothing
  to change;
- one IP change: the Service's new status lands in the store, then the sync of that
  Service, as the watch and the agenda hand it over; `EVENTS` of them, one at a time;
- a burst: `BURST` Services' IPs change at once and are synced as one unit of work (what the
  agenda makes of a burst);
- the claim rule (`dnsgate.claims.winners`) and the desired state of all Services
  (`reconciler.source.desired`) over C claims, as a resync computes them;
- the webhook: one Service's claims updated in an index of C claims, and one review of a
  Service against it.
The real-stack scenarios (`python -m bench`) measure the same paths end to end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cluster
from bench.table import Table, percentile
from devstack.memroute53 import MemoryRoute53
from dnsgate import claims, objectkey
from dnsgate.backoff import Backoff
from dnsgate.domains import DomainFilter
from dnsgate.watch import Service
from reconciler import settings as reconciler_settings
from reconciler import source, throttle
from reconciler.controller import Controller
from reconciler.report import LogReporter
from reconciler.route53 import Provider
from webhook import index, review
from webhook.settings import AdmissionSettings

SERVICES = (5000, 20000)
CLAIMS = (2000, 6000, 20000)
EVENTS = 200
BURST = 1000
NAMESPACE = "events"
ZONE_ID = "ZBENCH"
DOMAINS = DomainFilter.of([cluster.ZONE])
CHANGED_BASE = 60000  # index offset for the new IPs, far from the initial ones


def service(index_: int, ip_index: int | None = None) -> dict[str, Any]:
    """A Service as the watch keeps it (`dnsgate.watch.slim`)."""
    name = f"svc-{index_}"
    return {
        "metadata": {"name": name, "namespace": NAMESPACE, "uid": f"uid-{index_}",
                     "resourceVersion": str(index_ + 1),
                     "creationTimestamp": f"2026-01-01T{index_ // 3600 % 24:02d}:"
                                          f"{index_ // 60 % 60:02d}:{index_ % 60:02d}Z",
                     "annotations": cluster.dns_annotations(NAMESPACE, name)},
        "spec": {"type": "LoadBalancer"},
        "status": {"loadBalancer": {"ingress": [
            {"ip": cluster.address(index_ if ip_index is None else ip_index)}]}},
    }


class Store:
    """The watch's store, reduced to what the controller reads of it."""

    def __init__(self, services: list[dict[str, Any]]) -> None:
        self.services = {objectkey.of(s): s for s in services}

    def snapshot(self) -> list[Service]:
        return list(self.services.values())

    def get(self, key: str) -> dict[str, Any] | None:
        return self.services.get(key)

    def put(self, svc: dict[str, Any]) -> str:
        key = objectkey.of(svc)
        self.services[key] = svc
        return key


@dataclass
class Clock:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @contextmanager
    def measure(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)


def controller(store: Store, route53: MemoryRoute53) -> Controller:
    provider = Provider(route53, reconciler_settings.Route53Settings(DOMAINS),
                        backoff=Backoff(base=0.0, cap=0.0), limiter=throttle.RateLimiter(1e9),
                        sleep=lambda _: None)
    return Controller(reconciler_settings.ControllerSettings(),
                      reconciler_settings.SourceSettings(DOMAINS),
                      reconciler_settings.RegistrySettings(owner_id="bench"),
                      provider, store, LogReporter())


def reconciler_rows(count: int, events: int, burst: int) -> tuple[list[tuple[str, ...]],
                                                                  dict[str, Any]]:
    store = Store([service(i) for i in range(count)])
    route53 = MemoryRoute53({ZONE_ID: cluster.ZONE})
    ctl = controller(store, route53)
    cold, resync, single, bursts = Clock(), Clock(), Clock(), Clock()
    with cold.measure():
        ok = ctl.run_once()
    assert ok, "the cold sync failed"
    with resync.measure():
        ctl.run_once()
    for step in range(events):
        key = store.put(service(step % count, CHANGED_BASE + step))
        with single.measure():
            ctl.sync_services({key})
    keys = {store.put(service(i, CHANGED_BASE + events + i)) for i in range(min(burst, count))}
    with bursts.measure():
        ctl.sync_services(keys)
    wanted = {f"svc-{i}.{NAMESPACE}.{cluster.ZONE}.": cluster.address(CHANGED_BASE + events + i)
              for i in range(min(burst, count))}
    zone = route53.records[ZONE_ID]
    wrong = [n for n, ip in wanted.items()
             if zone[(n, "A", "")]["ResourceRecords"] != [{"Value": ip}]]
    assert not wrong, f"{len(wrong)} records not updated, e.g. {wrong[:3]}"
    rows: list[tuple[str, ...]] = [
        (f"{count:,}", "cold sync (empty zone)", secs(cold.wall[0]), secs(cold.cpu[0]), ""),
        (f"{count:,}", "resync, nothing to change", secs(resync.wall[0]), secs(resync.cpu[0]),
         ""),
        (f"{count:,}", f"one IP change ({events}, one at a time)",
         f"p50 {ms(percentile(single.wall, 0.5))}, p99 {ms(percentile(single.wall, 0.99))}",
         f"p50 {ms(percentile(single.cpu, 0.5))}, p99 {ms(percentile(single.cpu, 0.99))}",
         f"{sum(single.cpu) / len(single.cpu) * 1000:.2f}"),
        (f"{count:,}", f"burst: {len(keys):,} IP changes, one sync", secs(bursts.wall[0]),
         secs(bursts.cpu[0]), f"{bursts.cpu[0] / len(keys) * 1000:.2f}"),
    ]
    raw: dict[str, Any] = {"cold": vars(cold), "resync": vars(resync), "single": vars(single),
           "burst": vars(bursts), "calls": len(route53.calls)}
    return rows, raw


def once(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def claim_rows(count: int) -> tuple[list[tuple[str, ...]], dict[str, Any]]:
    services = [service(i) for i in range(count)]
    # One name in ten is asked for by two Services, so the rule has contests to settle.
    for i in range(0, count, 10):
        services[i]["metadata"]["annotations"] = cluster.dns_annotations(
            NAMESPACE, f"svc-{i + 1}")
    wanted = [c for s in services for c in index.claims_of(s, DOMAINS)]
    winners = once(lambda: claims.winners(wanted))
    desired = once(lambda: source.desired(services, reconciler_settings.SourceSettings(DOMAINS)))
    lookup = index.ClaimIndex(DOMAINS)
    lookup.replace(services)
    changed = service(count // 2, CHANGED_BASE)
    upsert = min((once(lambda: lookup.upsert(changed)) for _ in range(5)), key=lambda t: t[1])
    request = {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Service"},
               "operation": "CREATE", "namespace": NAMESPACE,
               "object": service(count + 1), "oldObject": None}
    settings = AdmissionSettings(DOMAINS)
    reviews = [once(lambda: review.validate(request, settings, lookup))  # type: ignore[arg-type]
               for _ in range(50)]
    review_cpu = statistics.median(r[1] for r in reviews)
    rows: list[tuple[str, ...]] = [
        (f"{count:,}", "claims.winners, all claims", secs(winners[0]), secs(winners[1]), ""),
        (f"{count:,}", "source.desired, all Services", secs(desired[0]), secs(desired[1]), ""),
        (f"{count:,}", "webhook index: one Service updated", ms(upsert[0]), ms(upsert[1]), ""),
        (f"{count:,}", "webhook review of one Service (median of 50)",
         ms(statistics.median(r[0] for r in reviews)), ms(review_cpu), ""),
    ]
    raw: dict[str, Any] = {"winners": winners, "desired": desired, "index_upsert": upsert,
           "review": reviews}
    return rows, raw


def secs(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.3f} s"


def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.3f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.per_event", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, nargs="+", default=list(SERVICES))
    parser.add_argument("--claims", type=int, nargs="+", default=list(CLAIMS))
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--burst", type=int, default=BURST)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args(argv)
    columns = ("Services / claims", "what", "wall", "CPU", "CPU ms per event")
    raw: dict[str, Any] = {}
    rows: list[tuple[str, ...]] = []
    for count in args.services:
        found, raw[f"reconciler-{count}"] = reconciler_rows(count, args.events, args.burst)
        rows += found
        print(f"[per_event] {count} Services done", file=sys.stderr, flush=True)
    claim_table: list[tuple[str, ...]] = []
    for count in args.claims:
        found, raw[f"claims-{count}"] = claim_rows(count)
        claim_table += found
        print(f"[per_event] {count} claims done", file=sys.stderr, flush=True)
    load = Path("/proc/loadavg").read_text().split()[0]
    note = f"load average (1 min) {load} at the end; CPU is this process's CPU time"
    tables = [
        Table("Per event, in process: the reconciler with N Services (Route53 in memory)",
              columns, tuple(rows), (note,), {"measured": raw}),
        Table("Per event, in process: the claim rule, desired state and webhook at C claims",
              columns, tuple(claim_table), (note,)),
    ]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = "\n".join([f"Measured {stamp}", ""] + [t.render() for t in tables])
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results-per-event.md").write_text(text)
    (args.out / "results-per-event.json").write_text(json.dumps(
        {"tables": [{"title": t.title, "columns": t.columns, "rows": t.rows, "raw": t.raw}
                    for t in tables]}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
