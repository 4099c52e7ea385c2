"""The bench scripts still run end to end and print their tables (smoke scale: seconds,
dnsgate only, no oha or ExternalDNS needed). Nothing here is about speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TITLES = (
    "Admission latency at a fixed", "Admission maximum throughput",
    "Admission as kube-apiserver sees it", "Sync latency",
    "Cold start: controller started against", "Cold start, live:", "Steady state", "Memory with",
    "Hostile admission corpus",
)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str],
                                                                 Path]:
    out = tmp_path_factory.mktemp("bench-out")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "smoke", "--no-external-dns",
         "--out", str(out), "--state", str(out / "state")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
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
    assert len(printed) == 1, f"no table titled {title!r} in:\n{result.stdout[-2000:]}"
    rows = [line for line in printed[0].splitlines() if line.startswith("| ")][1:]
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
