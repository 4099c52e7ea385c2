"""The bench scripts still run end to end and print their tables, at both kinds of setting
(`smoke`, and `smoke-sized`: the 5,000- and 20,000-Service settings' code path at 8
Services), then write the summary and the plot from their results. Seconds long, dnsgate
only, no oha or ExternalDNS needed. Nothing here is about speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# One bench run at both settings: a stack start, then every scenario twice (minutes on a
# busy 2-core machine).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
TITLES = (
    "Admission latency at a fixed", "Admission maximum throughput",
    "Admission as kube-apiserver sees it", "Sync latency",
    "Cold start: controller started against", "Cold start, live:", "Steady state", "Memory with",
    "Burst:", "Hostile admission corpus", "Webhook RSS per worker with", "Rig floor: moto",
    "Routes, cold sync", "Routes: one route's hostname changed",
    "Routes: one Gateway's address changed", "Routes: cost per route touched",
)
SCALES = ("smoke", "smoke-sized")


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str],
                                                                 Path]:
    out = tmp_path_factory.mktemp("bench-out")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", *SCALES, "--no-external-dns",
         "--out", str(out), "--state", str(out / "state")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=840, check=False,
    )
    return result, out


def test_bench_exits_cleanly(smoke_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, _ = smoke_run
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("title", TITLES)
def test_every_scenario_prints_its_table(
    smoke_run: tuple[subprocess.CompletedProcess[str], Path], title: str
) -> None:
    result, out = smoke_run
    printed = [block for block in result.stdout.split("### ")[1:] if block.startswith(title)]
    assert len(printed) == len(SCALES), f"not one table titled {title!r} per scale in:\n" + (
        result.stdout[-2000:])
    for block in printed:
        rows = [line for line in block.splitlines() if line.startswith("| ")][1:]
        assert rows, f"table {title!r} has no rows"
    assert title in (out / "results.md").read_text()


def test_results_hold_measured_numbers(
    smoke_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    _, out = smoke_run
    saved = json.loads((out / "results.json").read_text())
    assert saved["machine"][0].startswith("machine: nproc=")
    cold = next(t for t in saved["tables"] if t["title"].startswith("Cold start"))
    dnsgate = cold["raw"]["measured"]["dnsgate"]
    assert dnsgate["missing"] == 0 and dnsgate["seconds"] > 0
    assert dnsgate["counts"]["ChangeResourceRecordSets"] >= 1


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("scenario", ["admission", "hostile", "sync", "cold", "steady",
                                      "memory", "floor", "routes"])
def test_each_scenario_at_each_scale_has_its_own_results(
    smoke_run: tuple[subprocess.CompletedProcess[str], Path], scenario: str, scale: str
) -> None:
    _, out = smoke_run
    saved = json.loads((out / f"results-{scenario}-{scale}.json").read_text())
    assert (saved["scenario"], saved["scale"]) == (scenario, scale)
    assert saved["tables"]


def test_burst_lands_every_record(smoke_run: tuple[subprocess.CompletedProcess[str], Path]
                                  ) -> None:
    _, out = smoke_run
    saved = json.loads((out / "results-sync-smoke-sized.json").read_text())
    sync = saved["tables"][0]["raw"]["measured"]["dnsgate"]
    assert sync["burst"]["missing"] == 0 and sync["burst"]["change_calls"] >= 1
    assert sync["cpu"] > 0 and len(sync["latencies"]) == 3


def test_routes_scenario_lands_every_route_and_every_gateway_move(
    smoke_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    _, out = smoke_run
    saved = json.loads((out / "results-routes-smoke-sized.json").read_text())
    routes = saved["tables"][0]["raw"]["measured"]["dnsgate"]
    assert routes["cold"]["missing"] == 0 and routes["cold"]["records"] == 8
    assert routes["routes"]["misses"] == 0 and len(routes["routes"]["latencies"]) == 3
    assert routes["routes"]["old_left"] == 0
    assert [move["missing"] for move in routes["gateways"]] == [0]
    assert routes["gateways"][0]["records"] == 1  # 8 routes dealt to 8 Gateways
    assert routes["gateways"][0]["changes"] >= 2  # its A record and the TXT beside it


def test_admission_measures_each_variant_with_the_claims_loaded(
    smoke_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    from bench.webhook_variants import VARIANTS

    _, out = smoke_run
    tables = json.loads((out / "results-admission-smoke-sized.json").read_text())["tables"]
    fixed = next(t for t in tables if t["title"].startswith("Admission latency"))
    memory = next(t for t in tables if t["title"].startswith("Webhook RSS per worker"))
    assert [row[0] for row in fixed["rows"]] == [
        f"{key} {request}" for key in VARIANTS
        for request in ("/validate (admitted)", "/validate (refused: name claimed)", "/mutate")]
    for key, seen in memory["raw"]["memory"].items():
        assert len(seen["rss"]) == VARIANTS[key].workers
        assert len(seen["claims"]) == VARIANTS[key].workers
        assert min(seen["claims"].values()) >= 8  # every Service the setting made, each
        assert min(seen["rss"].values()) > 0


def test_summary_states_the_latest_run_of_each_scenario(
    smoke_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    _, out = smoke_run
    summary = (out / "summary.md").read_text()
    for scale in SCALES:
        measured = json.loads((out / f"results-sync-{scale}.json").read_text())["measured"]
        assert f"| sync | {scale} | {measured} | Sync latency" in summary


def test_plot_is_drawn_from_both_sizes(smoke_run: tuple[subprocess.CompletedProcess[str], Path]
                                       ) -> None:
    from bench import plot

    _, out = smoke_run
    assert (out / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    latency, rss = plot.points(out)
    assert [n for n, _, _ in latency["dnsgate"]] == [3, 8]  # Services per setting
    assert [n for n, _ in rss["dnsgate"]] == [5, 8]


def test_per_event_bench_runs_and_checks_its_records(tmp_path: Path) -> None:
    """The in-process micro-benchmark, at a few Services (it asserts every burst record
    landed before it prints)."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.per_event", "--services", "40", "--claims", "40",
         "--events", "3", "--burst", "10", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    saved = json.loads((tmp_path / "results-per-event.json").read_text())
    raw = saved["tables"][0]["raw"]["measured"]["reconciler-40"]
    assert len(raw["single"]["cpu"]) == 3 and raw["calls"] >= 3


def test_the_rig_floor_times_every_change_call_of_a_cold_start(
    smoke_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    _, out = smoke_run
    raw = json.loads((out / "results-floor-smoke-sized.json").read_text())["tables"][0]["raw"]
    assert sum(raw["changes"]) == 2 * raw["services"]
    assert len(raw["seconds"]) == len(raw["changes"]) and min(raw["seconds"]) > 0
