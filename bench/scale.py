"""How big each scenario is: the first issue's figures (`FULL`), a cluster of N Services
(`sized`: the 5,000 and 20,000 settings), and seconds-long smoke settings for CI.

`python -m bench --scale 5k 20k` runs the chosen scenarios once per setting; each result
file is named for its scenario and setting, which the summary and the plot read back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

BURST = 1000  # IP changes at once: the burst the scale settings measure


@dataclass(frozen=True)
class Scale:
    name: str
    admission_rate: int  # requests/second offered at fixed rate
    admission_seconds: int  # duration of the fixed-rate run, per path
    admission_max_seconds: int  # duration of the maximum-throughput run, per path
    admission_creates: int  # Service creates through the apiserver (its own histogram)
    sync_services: int  # Services in the zone while IPs change
    sync_changes: int  # IP changes, one at a time, for dnsgate
    sync_changes_external_dns: int  # fewer: each waits ~5 s (--min-event-sync-interval)
    burst_changes: int  # then this many IP changes at once (at most sync_services)
    cold_services: int  # Services present before the controller starts
    cold_live_services: int  # Services created while the controller runs
    steady_services: int
    steady_seconds: int  # quiet period over which calls are counted
    memory_services: int
    hostile_rounds: int  # times every case of the hostile admission corpus is sent
    timeout: float  # seconds any one wait may take before the scenario reports a miss
    sync_interval: str = "1m"
    """dnsgate's --interval while IPs change. ExternalDNS always runs at its default, 1m."""
    admission_claims: int = 0
    """Services claiming a name each, in the cluster before the webhook starts."""
    hostile_load_seconds: int = 15
    """Seconds of each phase of the ordinary review under hostile load (`bench.hostile_load`):
    750 reviews at 50/s, so p99 is the 8th slowest."""
    admission_variants: tuple[str, ...] = ("default", "flask", "1x8")
    """Ways of serving the webhook measured one after the other (`bench.webhook_variants`);
    the first also answers the apiserver's creates."""
    routes: int = 1000
    """HTTPRoutes in the routes scenario (`bench.routes`), dealt out to `route_gateways`."""
    route_gateways: int = 10
    route_changes: int = 200
    """Route hostname changes, one at a time, for dnsgate (as many as the Service rows)."""
    route_changes_external_dns: int = 20
    """Fewer: each waits for --min-event-sync-interval and a full sync."""
    gateway_changes: int = 3
    """Gateway address changes, one at a time, each moving every route behind it."""
    gateway_changes_external_dns: int = 3


FULL = Scale(
    name="full", admission_rate=500, admission_seconds=30, admission_max_seconds=15,
    admission_creates=1000, sync_services=200, sync_changes=200, sync_changes_external_dns=20,
    burst_changes=200, cold_services=2000, cold_live_services=2000, steady_services=2000,
    steady_seconds=600, memory_services=5000, hostile_rounds=50, timeout=300.0,
)


def sized(name: str, services: int, *, base: Scale = FULL, live: int = 2000,
          changes: int = 200, external_dns_changes: int = 20, steady_seconds: int = 300,
          timeout: float = 900.0) -> Scale:
    """N Services in every Service scenario; admission as in `base`. dnsgate keeps its
    default --interval (15m) while IPs change: at 1m a resync lists the whole zone every
    minute (134 pages of 300 at 20,000 Services, 27 s at Route53's 5 requests/s) and events
    wait behind it. Services created live stay at `live`: the API's create rate, not the
    controller, bounds that phase."""
    return replace(
        base, name=name, sync_services=services, sync_changes=changes,
        sync_changes_external_dns=external_dns_changes,
        burst_changes=min(BURST, services), cold_services=services,
        cold_live_services=min(live, services), steady_services=services,
        steady_seconds=steady_seconds, memory_services=services, timeout=timeout,
        sync_interval="15m", admission_claims=services,
        admission_variants=("default", "flask", "1x8"),
        routes=services, route_gateways=min(10, services),
    )


SMOKE = Scale(
    name="smoke", admission_rate=50, admission_seconds=2, admission_max_seconds=2,
    admission_creates=5, sync_services=3, sync_changes=3, sync_changes_external_dns=2,
    burst_changes=3, cold_services=5, cold_live_services=5, steady_services=3,
    steady_seconds=3, memory_services=5, hostile_rounds=1, timeout=60.0,
    admission_variants=("default",), hostile_load_seconds=2,
    routes=6, route_gateways=2, route_changes=3, route_changes_external_dns=2,
    gateway_changes=1, gateway_changes_external_dns=1,
)
SCALES = {scale.name: scale for scale in (
    FULL, sized("5k", 5000), sized("20k", 20000), SMOKE,
    # The sized settings at CI size: the same code path, seconds long.
    sized("smoke-sized", 8, base=SMOKE, live=8, changes=3, external_dns_changes=2,
          steady_seconds=3, timeout=60.0),
)}
