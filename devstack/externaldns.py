"""Real ExternalDNS releases, built once from the Go module proxy for the round-trip tests.

The tests that hand a zone between ExternalDNS and dnsgate run the release's own binary
(`external-dns --once --dry-run` and friends), not only its registry through the oracle:
the binary is what a user rolls back to. Each release in `oracle.RELEASES` is built as a
wrapper module requiring `sigs.k8s.io/external-dns` at that release, with the same `go`
directive and replacements as the oracle's, into `$DNSGATE_CACHE/external-dns-<release>/`
(the place `bench/setup.sh` and `bench/controllers.py` use). Same compiler, flags and module
graph as the oracle, so Go's build cache already holds every package the two share; only the
sources and providers the oracle does not compile are new.

`python -m devstack.externaldns` (what `make externaldns` runs) builds every release.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from devstack import build, oracle

MODULE_PATH = "dnsgate.dev/external-dns"
VERSIONS = oracle.VERSIONS


def go_mod(version: str) -> str:
    return oracle.go_mod(version).replace("module dnsgate.dev/oracle", f"module {MODULE_PATH}")


def target(version: str) -> Path:
    return build.cache_root() / f"external-dns-{version}" / "external-dns"


def binary(version: str, progress: build.Progress = print) -> Path:
    """The release's `external-dns`, built first if the cache has none that runs."""
    try:
        return build.ensure_built(
            name=f"ExternalDNS {version}", target=target(version),
            files={"go.mod": go_mod(version)}, package=oracle.MODULE, progress=progress,
            check=("--version",), env={"GOTOOLCHAIN": "auto"})
    except build.BuildError as exc:
        raise oracle.OracleError(str(exc)) from exc


def all_versions(progress: build.Progress = print) -> Iterator[Path]:
    for version in VERSIONS:
        yield binary(version, progress)


if __name__ == "__main__":
    try:
        for built in all_versions(lambda line: print(line, flush=True)):
            print(f"external-dns: {built}")
    except oracle.OracleError as error:
        print(f"dnsgate: {error}", file=sys.stderr)
        sys.exit(1)
