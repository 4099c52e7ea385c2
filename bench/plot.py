"""The scale plot: sync latency (p50, p99) and RSS against the number of Services, one line
per controller, drawn from the latest sync and memory results at each scale (`summary.latest`).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.summary import latest
from bench.table import percentile

MB = 1_000_000


def points(out: Path) -> tuple[dict[str, list[tuple[int, float, float]]],
                               dict[str, list[tuple[int, float]]]]:
    """controller -> [(Services, p50 s, p99 s)] and controller -> [(Services, RSS MB)]."""
    latency: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    rss: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for result in latest(out):
        for table in result["tables"]:
            raw: dict[str, Any] = table["raw"]
            if "services" not in raw or "measured" not in raw:
                continue
            services = int(raw["services"])
            if result["scenario"] == "sync" and table["title"].startswith("Sync latency"):
                for name, measured in raw["measured"].items():
                    p50 = percentile(measured["latencies"], 0.50)
                    p99 = percentile(measured["latencies"], 0.99)
                    if p50 is not None and p99 is not None:
                        latency[name].append((services, p50, p99))
            elif result["scenario"] == "memory":
                for name, measured in raw["measured"].items():
                    if name == "dnsgate" or name.startswith("external-dns"):
                        rss[name].append((services, measured["rss"] / MB))
    return ({k: sorted(v) for k, v in latency.items()}, {k: sorted(v) for k, v in rss.items()})


def draw(out: Path) -> Path | None:
    """Write out/scale.png; None when there is nothing to plot."""
    latency, rss = points(out)
    if not latency and not rss:
        return None
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot, ticker

    figure, (left, right) = pyplot.subplots(1, 2, figsize=(12, 4.5))
    for name, series in latency.items():
        xs = [s for s, _, _ in series]
        (line,) = left.plot(xs, [p99 * 1000 for _, _, p99 in series], marker="o",
                            label=f"{name} p99")
        left.plot(xs, [p50 * 1000 for _, p50, _ in series], marker="o", linestyle="--",
                  color=line.get_color(), label=f"{name} p50")
    left.axhline(500, color="grey", linewidth=0.8, linestyle=":", label="target p99 500 ms")
    left.set(xscale="log", yscale="log", xlabel="Services", ylabel="ms",
             title="IP change -> A record in Route53")
    short = ticker.FuncFormatter(lambda value, _: f"{value:g}")
    left.yaxis.set_major_formatter(short)
    left.yaxis.set_minor_formatter(short)
    for name, sizes in rss.items():
        right.plot([s for s, _ in sizes], [mb for _, mb in sizes], marker="o", label=name)
    right.set(xscale="log", xlabel="Services", ylabel="MB", title="Reconciler RSS")
    right.set_ylim(bottom=0)
    plain = ticker.FuncFormatter(lambda value, _: f"{value:,.0f}")
    for axes in (left, right):
        axes.xaxis.set_major_formatter(plain)
        axes.xaxis.set_minor_formatter(ticker.NullFormatter())
        axes.grid(True, which="both", linewidth=0.3)
        if axes.lines:
            axes.legend(fontsize="small")
    figure.tight_layout()
    path = out / "scale.png"
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path
