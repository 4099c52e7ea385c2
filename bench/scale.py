"""How big each scenario is: the issue's figures (`FULL`) and a seconds-long `SMOKE`."""

from __future__ import annotations

from dataclasses import dataclass


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
    cold_services: int  # Services present before the controller starts / created live
    steady_services: int
    steady_seconds: int  # quiet period over which calls are counted
    memory_services: int
    hostile_rounds: int  # times every case of the hostile admission corpus is sent
    timeout: float  # seconds any one wait may take before the scenario reports a miss


FULL = Scale(
    name="full", admission_rate=500, admission_seconds=30, admission_max_seconds=15,
    admission_creates=1000, sync_services=200, sync_changes=200, sync_changes_external_dns=20,
    cold_services=2000, steady_services=2000, steady_seconds=600, memory_services=5000,
    hostile_rounds=50, timeout=300.0,
)
SMOKE = Scale(
    name="smoke", admission_rate=50, admission_seconds=2, admission_max_seconds=2,
    admission_creates=5, sync_services=3, sync_changes=3, sync_changes_external_dns=2,
    cold_services=5, steady_services=3, steady_seconds=3, memory_services=5, hostile_rounds=1,
    timeout=60.0,
)
SCALES = {scale.name: scale for scale in (FULL, SMOKE)}
