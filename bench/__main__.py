"""`python -m bench [SCENARIO ...] [--scale NAME ...]`: run scenarios, print their tables.

Tables are printed as Markdown and also written, with the raw numbers, to `--out`: one
results-<scenario>-<scale>.md/.json per scenario and scale (a later run replaces it), and
results.md/.json for the whole run. From the per-scenario files, the latest of each, the run
then writes summary.md (every figure with the time it was measured) and scale.png (sync
latency and memory against the number of Services), so BENCHMARKS.md quotes measured output
only.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import (
    admission,
    cold_start,
    controllers,
    hostile,
    memory,
    moto_floor,
    plot,
    rig,
    routes,
    steady_state,
    summary,
    sync_latency,
)
from bench.cluster import Cluster
from bench.scale import SCALES
from bench.table import Table

SCENARIOS = {
    "admission": admission.run,
    "hostile": hostile.run,
    "sync": sync_latency.run,
    "cold": cold_start.run,
    "steady": steady_state.run,
    "memory": memory.run,
    "floor": moto_floor.run,
    "routes": routes.run,
}


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                     .splitlines() if line.startswith("MemTotal"))
    return (f"nproc={nproc}, CPU: {model}, RAM {memory_kb / 2**20:.1f} GiB, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True, check=False, cwd=Path(__file__).parent)
    return found.stdout.strip() or "unknown"


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], metavar="SCENARIO",
                        help=f"any of {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--scale", nargs="+", choices=sorted(SCALES), default=["full"],
                        help="one or more settings, each run in turn (default: full)")
    parser.add_argument("--no-external-dns", action="store_true",
                        help="measure dnsgate only (CI smoke)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"),
                        help="where results, summary.md and scale.png go (default bench/results)")
    parser.add_argument("--state", type=Path, default=None,
                        help="stack state and process logs (default: a fresh temp dir)")
    args = parser.parse_args(argv)
    scales = [SCALES[name] for name in args.scale]
    chosen = args.scenarios or list(SCENARIOS)
    contenders = controllers.available(include_external_dns=not args.no_external_dns)
    args.out.mkdir(parents=True, exist_ok=True)

    def progress(line: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)

    header = [f"machine: {machine()}", f"commit: {commit()}",
              f"controllers: {', '.join(c.name for c in contenders)}"]
    if not args.no_external_dns:
        header += controllers.missing_external_dns()
    for line in header:
        progress(line)
    tables: list[Table] = []
    state = args.state or Path(tempfile.mkdtemp(prefix="dnsgate-bench-"))
    progress(f"state and logs in {state}")
    with rig.running(state, progress) as bench_rig:
        kube = Cluster(bench_rig.stack.kubeconfig)
        for scale in scales:
            for name in chosen:
                progress(f"{name} at scale {scale.name}")
                started, load_before = time.monotonic(), _load()
                produced = SCENARIOS[name](bench_rig, kube, scale, contenders)
                # Other work on the machine skews timings; say how busy it was.
                context = (f"{name}: {time.monotonic() - started:.0f} s wall, load average "
                           f"(1 min) {load_before} at start, {_load()} at end, on "
                           f"{os.cpu_count()} cores")
                progress(context)
                produced = [dataclasses.replace(t, notes=(*t.notes, context)) for t in produced]
                for table in produced:
                    print(table.render(), flush=True)
                _write(args.out / f"results-{name}-{scale.name}", produced,
                       [*header, f"scale: {scale.name}"], scenario=name, scale=scale.name)
                tables += produced
    suffix = "" if len(chosen) == len(SCENARIOS) else "-" + "-".join(chosen)
    _write(args.out / f"results{suffix}", tables,
           [*header, f"scale: {', '.join(s.name for s in scales)}"])
    (args.out / "summary.md").write_text(summary.render(args.out))
    drawn = plot.draw(args.out)
    progress(f"summary in {args.out / 'summary.md'}; plot: {drawn or 'not drawn (no data)'}")
    return 0


def _write(stem: Path, tables: list[Table], header: list[str], **about: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = "\n".join([f"Measured {stamp}; " + "; ".join(header), ""]
                     + [t.render() for t in tables])
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(
        {"measured": stamp, **about, "machine": header,
         "tables": [{"title": t.title, "columns": t.columns, "rows": t.rows, "raw": t.raw}
                    for t in tables]}, indent=1, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
