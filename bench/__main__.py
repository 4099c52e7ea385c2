"""`python -m bench [SCENARIO ...] [--scale full|smoke]`: run scenarios, print their tables.

Tables are printed as Markdown and also written, with the raw numbers, to
`--out` (results.md, results.json), so BENCHMARKS.md quotes measured output only.
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
    rig,
    steady_state,
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


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], metavar="SCENARIO",
                        help=f"any of {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--no-external-dns", action="store_true",
                        help="measure dnsgate only (CI smoke)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"),
                        help="where results.md/.json go (default bench/results)")
    parser.add_argument("--state", type=Path, default=None,
                        help="stack state and process logs (default: a fresh temp dir)")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    chosen = args.scenarios or list(SCENARIOS)
    contenders = controllers.available(include_external_dns=not args.no_external_dns)
    args.out.mkdir(parents=True, exist_ok=True)

    def progress(line: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)

    header = [f"machine: {machine()}", f"scale: {scale.name}",
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
        for name in chosen:
            started, load_before = time.monotonic(), _load()
            produced = SCENARIOS[name](bench_rig, kube, scale, contenders)
            # Other work on the machine skews timings; say how busy it was.
            context = (f"{name}: {time.monotonic() - started:.0f} s wall, load average (1 min) "
                       f"{load_before} at start, {_load()} at end, on {os.cpu_count()} cores")
            progress(context)
            produced = [dataclasses.replace(t, notes=(*t.notes, context)) for t in produced]
            for table in produced:
                print(table.render(), flush=True)
            tables += produced
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = "\n".join([f"Measured {stamp}; " + "; ".join(header), ""]
                     + [t.render() for t in tables])
    suffix = "" if len(chosen) == len(SCENARIOS) else "-" + "-".join(chosen)
    (args.out / f"results{suffix}.md").write_text(text)
    (args.out / f"results{suffix}.json").write_text(json.dumps(
        {"machine": header, "tables": [{"title": t.title, "columns": t.columns,
                                        "rows": t.rows, "raw": t.raw} for t in tables]},
        indent=1, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
