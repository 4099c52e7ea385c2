"""The routes scenario's tables (`bench.routes`): cold sync, one route's hostname changed,
one Gateway's address changed, and what each event cost per route it touched."""

from __future__ import annotations

from typing import Any

from bench import controllers
from bench.scale import Scale
from bench.table import Table, ms, percentile, ratio, secs

CHANGE = "ChangeResourceRecordSets"
LIST = "ListResourceRecordSets"


def tables(scale: Scale, measured: dict[str, dict[str, Any]]) -> list[Table]:
    return [_cold(scale, measured), _route(scale, measured), _gateway(scale, measured),
            _per_route(scale, measured)]


def _calls(calls: dict[str, int]) -> tuple[str, str, str]:
    return str(calls.get(LIST, 0)), str(calls.get(CHANGE, 0)), str(sum(calls.values()))


def _per(value: float, events: int, digits: int = 1) -> str:
    return "n/a" if not events else f"{value / events:.{digits}f}"


def _ours(measured: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return measured.get(controllers.DNSGATE.name, {})


def _cold(scale: Scale, measured: dict[str, dict[str, Any]]) -> Table:
    ours = _ours(measured).get("cold", {}).get("seconds")
    rows = []
    for name, result in measured.items():
        cold = result["cold"]
        rows.append((name, secs(cold["seconds"]), ratio(cold["seconds"], ours),
                     str(cold["missing"]), *_calls(cold["calls"]), str(cold["changes"]),
                     f"{cold['cpu']:.2f} s", secs(result.get("settled"))))
    return Table(
        title=f"Routes, cold sync: {scale.routes} HTTPRoutes behind {scale.route_gateways} "
              "Gateways -> every A record right",
        columns=("controller", "all right in", "vs dnsgate", "missing", "listing calls",
                 "change calls", "calls total", "record changes", "CPU", "busy after"),
        rows=tuple(rows),
        notes=(
            "time: controller start until the answer to the change call that completed the "
            "zone, verified by listing the zone from moto; calls up to that answer; CPU: the "
            "controller's user + system time from its start to that moment",
            "record changes: <Change> elements of the change calls (an A and its TXT are two)",
            "'busy after': how long the controller then took to be idle (under 5 % of a core "
            "for 2 s), before the events below",
        ),
        raw={"measured": measured, "routes": scale.routes, "gateways": scale.route_gateways},
    )


def _route(scale: Scale, measured: dict[str, dict[str, Any]]) -> Table:
    ours = _ours(measured).get("routes", {}).get("latencies", [])
    rows = []
    for name, result in measured.items():
        phase = result.get("routes")
        if phase is None:
            continue
        samples, events = phase["latencies"], phase["events"]
        p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
        rows.append((
            name, str(len(samples)), str(phase["misses"]),
            ms(p50), ratio(p50, percentile(ours, 0.50)), ms(p99),
            ratio(p99, percentile(ours, 0.99)), ms(max(samples) if samples else None),
            str(phase["old_left"]), _per(phase["calls"].get(CHANGE, 0), events, 2),
            _per(phase["calls"].get(LIST, 0), events, 2), _per(phase["changes"], events, 2),
            "n/a" if not events else f"{phase['cpu'] / events * 1000:.1f} ms",
        ))
    return Table(
        title=f"Routes: one route's hostname changed -> its new A record ({scale.routes} "
              "HTTPRoutes, one change at a time)",
        columns=("controller", "changes", "missed", "p50", "vs dnsgate", "p99", "vs dnsgate",
                 "max", "old names left", "change calls/event", "listing calls/event",
                 "record changes/event", "CPU/event"),
        rows=tuple(rows),
        notes=(
            "clock: from the spec.hostnames patch until a read of the zone shows the new "
            "name's A record (polled every 5 ms); 'old names left': renamed routes whose "
            "old name still had an A record after the last change",
            f"--interval: dnsgate {scale.sync_interval}, ExternalDNS 1m (its default) with "
            "--events, which still waits --min-event-sync-interval (5 s) between syncs, so "
            "it gets fewer changes; per-event calls and CPU include its resyncs in the window",
        ),
        raw={"routes": scale.routes},
    )


def _gateway(scale: Scale, measured: dict[str, dict[str, Any]]) -> Table:
    rows = []
    for name, result in measured.items():
        for move in result.get("gateways", ()):
            rows.append((
                name, move["gateway"], str(move["records"]), secs(move["seconds"]),
                str(move["missing"]), *_calls(move["calls"]), str(move["changes"]),
                f"{move['cpu']:.2f} s",
            ))
    return Table(
        title=f"Routes: one Gateway's address changed -> every route behind it right "
              f"({scale.routes} HTTPRoutes, {scale.route_gateways} Gateways)",
        columns=("controller", "Gateway", "routes behind it", "all right in", "missing",
                 "listing calls", "change calls", "calls total", "record changes", "CPU"),
        rows=tuple(rows),
        notes=(
            "clock: from the status.addresses patch until the answer to the change call that "
            "completed its routes' records, verified by listing the zone from moto; calls up "
            "to that answer; CPU from the patch until the controller is idle again",
        ),
        raw={"routes": scale.routes},
    )


def _per_route(scale: Scale, measured: dict[str, dict[str, Any]]) -> Table:
    """The same events per route touched: what 'an event costs what it touches' means."""
    rows = []
    for name, result in measured.items():
        phase, moves = result.get("routes"), result.get("gateways") or []
        if phase is None or not moves:
            continue
        touched = sum(m["records"] for m in moves)
        rows.append((
            name,
            _per(phase["changes"], phase["events"], 2),
            _per(sum(m["changes"] for m in moves), touched, 2),
            _per(phase["calls"].get(LIST, 0), phase["events"], 2),
            _per(sum(m["calls"].get(LIST, 0) for m in moves), len(moves), 2),
            _per(phase["cpu"] * 1000, phase["events"], 1) + " ms",
            _per(sum(m["cpu"] for m in moves) * 1000, touched, 1) + " ms",
        ))
    return Table(
        title="Routes: cost per route touched, route events against Gateway events",
        columns=("controller", "record changes per route (route event)",
                 "record changes per route (Gateway event)", "listing calls per route event",
                 "listing calls per Gateway event", "CPU per route event",
                 "CPU per route moved by a Gateway event"),
        rows=tuple(rows),
        notes=("from the two tables above: a route event touches one route, a Gateway event "
               "every route behind the Gateway",),
        raw={"routes": scale.routes},
    )
