"""Load generators for the admission scenario: oha (the benchmark's), and a small Python
fallback so the CI smoke run needs nothing outside the venv.

oha's `-q` keeps the offered rate fixed and `--latency-correction` measures each request
from when it was due, not from when a busy client got round to sending it, so a stall shows
up in the percentiles instead of silently lowering the rate (coordinated omission). The
fallback does the same on a smaller scale: each thread sends on a fixed schedule over one
kept-alive TLS connection and measures from the scheduled time.
"""

from __future__ import annotations

import http.client
import json
import shutil
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from devstack import build

OHA_VERSION = "1.16.0"


@dataclass(frozen=True)
class LoadResult:
    tool: str
    requests: int
    errors: int  # non-2xx answers and transport errors
    seconds: float
    latencies: tuple[float, ...] = ()  # seconds; the Python generator only
    p50: float | None = None
    p99: float | None = None
    p999: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def oha_binary() -> Path | None:
    cached = build.cache_root() / f"oha-{OHA_VERSION}" / "bin" / "oha"
    if cached.is_file():
        return cached
    found = shutil.which("oha")
    return Path(found) if found else None


def oha(binary: Path, url: str, body: Path, *, seconds: int, rate: int | None,
        connections: int) -> LoadResult:
    command = [
        str(binary), "--no-tui", "--output-format", "json", "-z", f"{seconds}s",
        "-c", str(connections), "-m", "POST", "-H", "Content-Type: application/json",
        "-D", str(body), "--insecure", url,
    ]
    if rate is not None:
        command[1:1] = ["-q", str(rate), "--latency-correction"]
    result = subprocess.run(command, capture_output=True, text=True, check=True,
                            timeout=seconds + 120)
    report = json.loads(result.stdout)
    summary = report["summary"]
    statuses = report.get("statusCodeDistribution", {})
    ok = sum(n for code, n in statuses.items() if 200 <= int(code) < 300)
    # Requests still in flight when -z runs out are cancelled by oha itself, not failed.
    errors = sum(n for kind, n in report.get("errorDistribution", {}).items()
                 if kind != "aborted due to deadline")
    total = sum(statuses.values()) + errors
    percentiles = report["latencyPercentiles"]
    return LoadResult(
        tool=f"oha {OHA_VERSION}", requests=total, errors=total - ok,
        seconds=float(summary["total"]), p50=percentiles.get("p50"),
        p99=percentiles.get("p99"), p999=percentiles.get("p99.9"),
    )


def python_fixed_rate(url: str, body: bytes, *, seconds: float, rate: int, threads: int = 4,
                      ca_file: Path | None = None) -> LoadResult:
    parsed = url.split("/", 3)
    host, port = parsed[2].rsplit(":", 1)
    path = "/" + parsed[3]
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if ca_file is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.1
    interval = threads / rate

    def worker(offset: int) -> None:
        connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
        due = start + offset * (interval / threads)
        mine: list[float] = []
        failed = 0
        while due < start + seconds:
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            try:
                connection.request("POST", path, body=body,
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                if not 200 <= response.status < 300:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
            mine.append(time.perf_counter() - due)
            due += interval
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return LoadResult(tool="python (fallback, fixed rate)", requests=len(latencies),
                      errors=errors[0], seconds=seconds, latencies=tuple(latencies))
