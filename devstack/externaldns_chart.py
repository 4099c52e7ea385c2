"""The ExternalDNS Helm chart's own values.yaml, at the chart versions dnsgate's chart takes
values from, fetched once from the Go module proxy into `$DNSGATE_CACHE` (never committed).

The module `sigs.k8s.io/external-dns` holds the chart at `charts/external-dns`, but a release
tag carries the chart as it stood then, which is the chart released for the *previous*
application version: module v0.14.2 holds chart 1.14.4, v0.15.0 holds 1.14.5 (appVersion
0.14.2, the seed's), and v0.23.0, the newest release the proxy lists, holds 1.22.0. So the
chart versions below map to the module versions that carry them, and `values` checks the
Chart.yaml it finds says so.

- `values(chart)`: the path of that chart's values.yaml (fetching it if missing);
- `CHARTS`: chart version -> module version.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import yaml

from devstack import build

MODULE = "sigs.k8s.io/external-dns"
SEED_CHART = "1.14.5"
"""The chart the seed's ExternalDNS v0.14.2 was installed with."""
LATEST_CHART = "1.22.0"
"""The chart in the newest module release (v0.23.0)."""
CHARTS: Mapping[str, str] = {SEED_CHART: "v0.15.0", LATEST_CHART: "v0.23.0"}
FILES = ("values.yaml", "Chart.yaml")


class FetchError(RuntimeError):
    """`go mod download` failed, or the module holds another chart version."""


def values(chart: str) -> Path:
    """The cached values.yaml of ExternalDNS chart `chart`, downloaded once."""
    target = build.cache_root() / f"external-dns-chart-{chart}"
    if not (target / "values.yaml").is_file():
        target.mkdir(parents=True, exist_ok=True)
        with build._lock(target / ".fetch.lock"):
            if not (target / "values.yaml").is_file():
                _fetch(chart, target)
    return target / "values.yaml"


def _fetch(chart: str, target: Path) -> None:
    version = CHARTS[chart]
    go = shutil.which("go")
    if go is None:
        raise FetchError(f"fetching ExternalDNS chart {chart} needs Go on PATH")
    # GOTOOLCHAIN=auto: a release needing a newer Go than the local one (v0.23.0 needs 1.27)
    # names its toolchain, which Go fetches, as when the oracle builds the same releases.
    result = subprocess.run([go, "mod", "download", "-json", f"{MODULE}@{version}"],
                            capture_output=True, text=True, timeout=600, check=False,
                            env={**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "auto"})
    if result.returncode != 0:
        raise FetchError(f"go mod download {MODULE}@{version} failed: "
                         f"{result.stdout.strip()} {result.stderr.strip()}")
    source = Path(json.loads(result.stdout)["Dir"]) / "charts" / "external-dns"
    found = yaml.safe_load((source / "Chart.yaml").read_text())["version"]
    if found != chart:
        raise FetchError(f"{MODULE}@{version} holds ExternalDNS chart {found}, not {chart}")
    for name in FILES:
        partial = target / f".{name}.partial"
        shutil.copyfile(source / name, partial)
        os.replace(partial, target / name)


if __name__ == "__main__":  # `python -m devstack.externaldns_chart`
    for chart in CHARTS:
        print(f"ExternalDNS chart {chart}: {values(chart)}")
