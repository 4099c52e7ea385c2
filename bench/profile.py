"""Where the time goes: py-spy samples a running Python process (a gunicorn worker, the
reconciler) without touching its code, and the samples are summed per function.

Profiles are taken in extra runs, never during a measured one: sampling costs CPU on a
2-core machine. The raw collapsed stacks are kept beside the results for flame graphs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.table import Table

RATE = 250  # samples per second
_LINE = re.compile(r"\s*\(([^()]*?):\d+\)$")


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


def start(pid: int, out: Path, *, seconds: int, subprocesses: bool = False
          ) -> subprocess.Popen[bytes] | None:
    binary = py_spy()
    if binary is None:
        return None
    command = [binary, "record", "--pid", str(pid), "--duration", str(seconds), "--rate",
               str(RATE), "--format", "raw", "--output", str(out), "--nonblocking"]
    if subprocesses:
        command.append("--subprocesses")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _frame(raw: str) -> str:
    """`respond (webhook/review.py:61)` -> `respond (webhook/review.py)`; paths shortened."""
    match = _LINE.search(raw)
    if not match:
        return raw.strip()
    path = match.group(1)
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{raw[:match.start()].strip()} ({path})"


LAYERS = (  # (layer, path fragments of the leaf frame); first match wins
    ("dnsgate's own code", ("webhook/", "dnsgate/", "reconciler/", "certs/")),
    ("Flask / Werkzeug", ("flask/", "werkzeug/")),
    ("TLS (ssl)", ("ssl.py",)),
    ("gunicorn", ("gunicorn/",)),
    ("kubernetes client", ("kubernetes/",)),
    ("boto3 / botocore", ("botocore/", "boto3/")),
    ("JSON", ("json/",)),
    ("imports (start-up)", ("importlib", "<frozen")),
)


def _layer(leaf: str) -> str:
    for layer, fragments in LAYERS:
        if any(fragment in leaf for fragment in fragments):
            return layer
    return "other (stdlib, threads, waits)"


def summarize(collapsed: Path, *, title: str, top: int = 12) -> Table:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")
                  if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        layers[_layer(frames[-1])] += count
        for frame in set(frames):
            inclusive[frame] += count
    rows = tuple(
        (name, f"{100 * n / total:.1f} %", f"{100 * inclusive[name] / total:.1f} %")
        for name, n in own.most_common(top)
    ) if total else ()
    by_layer = "; ".join(f"{layer} {100 * n / total:.1f} %"
                         for layer, n in layers.most_common()) if total else "no samples"
    return Table(title=title, columns=("function (self time order)", "self", "inclusive"),
                 rows=rows, notes=(f"self time by layer: {by_layer}",
                                   f"{total} samples at {RATE} Hz by py-spy; raw stacks in "
                                   f"{collapsed.name}"))
