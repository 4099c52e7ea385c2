"""ExternalDNS as an oracle: its own TXT registry and plan, asked about a zone as JSON.

The Go program in `devstack/oracle/` is built once per ExternalDNS release from the Go module
proxy, against `sigs.k8s.io/external-dns` at that release, into
`$DNSGATE_CACHE/oracle-<release>/` (default `~/.cache/dnsgate`), behind the same file lock and
progress lines as the control plane. The binary's name carries a hash of the sources, so an
edit to the Go program rebuilds it (in seconds, from Go's build cache).

- `binary(version)`: the built program (building it if missing);
- `flags(version)`: the flags `external-dns --help` lists, name -> whether it is boolean;
- `plan(version, request)`: one answer; `Oracle(version)` keeps one process for many;
- `Oracle(version, "ingress")`: ExternalDNS's Ingress source over Ingresses given as JSON
  (a fake clientset), one answer per request;
- `Oracle(version, "gateway")`: ExternalDNS's Gateway API route sources over Gateways,
  routes and Namespaces given as JSON (fake gateway-api and kube clientsets).

A request is `{"zone": [record], "desired": [record], "registry": {...}, "policy": ...}`; a
record is `{"name", "type", "targets", "ttl", "set_identifier", "properties"}` (desired
records add `"resource"`); registry settings are `owner_id`, `prefix`, `suffix`,
`wildcard_replacement`, `encrypt_enabled`, `aes_key` and `old_owner_id` (v0.20+:
`--migrate-from-txt-owner`, also set on the plan as its controller does), passed to
ExternalDNS as its flags.
The answer holds `create`, `update_old`, `update_new`, `delete` (what the registry hands the
provider, TXT records included), `current` (the zone as the registry read it, with
ownership labels) and `error` when ExternalDNS refused the request.

An Ingress request is `{"ingresses": [Ingress as the API serves it], "settings":
{"classes", "ignore_tls_spec", "ignore_rules_spec"}}`; its answer holds `endpoints` (records
with their `labels`, the resource label among them) or `error`.

A Gateway request is `{"kind": "HTTPRoute"|"GRPCRoute"|"TLSRoute"|"TCPRoute"|"UDPRoute",
"gateways": [Gateway], "routes": [route of that kind], "namespaces": [Namespace],
"settings": {"gateway_name", "gateway_namespace", "gateway_label_filter", "namespace",
"label_filter", "ignore_hostname_annotation"}}` (objects as the API serves them; settings as
ExternalDNS's flags of those names); its answer holds `endpoints` (records with `labels`, the
resource label `<kind>/<namespace>/<name>` among them) or `error`: what the release's own
`NewGateway<Kind>RouteSource(...).Endpoints()` returns. v0.23.0 reads HTTP, GRPC and TLS
routes in `gateway.networking.k8s.io/v1`, v0.14.2 only HTTPRoute there (the others in
v1alpha2); TCP and UDP routes are v1alpha2 in both. v0.14.2 has no --gateway-name: a request
setting it is answered with an error. Annotations are read under the release's prefix only:
`external-dns.alpha.kubernetes.io/` in v0.14.2, `external-dns.kubernetes.io/` in v0.23.0
(docs/gateway-api.md).
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from devstack import build

SOURCE = Path(__file__).with_name("oracle")
LOG_LINES = 50  # the oracle's last stderr lines kept for an error message
MODULE = "sigs.k8s.io/external-dns"
SEED = "v0.14.2"
"""The release the seed cluster runs."""
LATEST = "v0.23.0"
"""The newest release: `go list -m -versions sigs.k8s.io/external-dns` lists no later one."""


@dataclass(frozen=True)
class Release:
    go: str
    """The release's own `go` directive: GOTOOLCHAIN=auto fetches that toolchain if needed."""
    tags: tuple[str, ...] = ()
    """Build tags choosing the registry constructor this release has (registry_*.go)."""
    replaces: tuple[tuple[str, str], ...] = ()
    """Modules the proxy does not serve, replaced by ones it does. Each is needed only for
    the module graph or by providers the oracle never compiles."""


RELEASES: Mapping[str, Release] = {
    # v0.14.2 reaches vbom.ml/util (ambassador -> kubectl v0.18.4's go.mod), which the proxy
    # refuses (403); its successor module stands in: no package of it is compiled.
    SEED: Release(go="1.22.2", tags=("externaldns_v0_14",),
                  replaces=(("vbom.ml/util", "github.com/fvbommel/sortorder v1.0.1"),)),
    # The same four replacements bench/setup.sh documents for building v0.23.0.
    LATEST: Release(go="1.27.0", replaces=(
        ("github.com/civo/civogo", "github.com/civo/civogo v0.7.2"),
        ("github.com/exoscale/egoscale/v3", "github.com/exoscale/egoscale/v3 v3.1.30"),
        ("github.com/openshift/api",
         "github.com/openshift/api v0.0.0-20251015095338-264e80a2b6e7"),
        ("github.com/openshift/client-go",
         "github.com/openshift/client-go v0.0.0-20251015124057-db0dee36e235"),
    )),
}
VERSIONS = tuple(RELEASES)


class OracleError(RuntimeError):
    """The oracle could not be built or run, or answered with an error."""


def go_mod(version: str) -> str:
    release = _release(version)
    replaces = "".join(f"\t{old} => {new}\n" for old, new in release.replaces)
    return (
        "module dnsgate.dev/oracle\n\n"
        f"go {release.go}\n\n"
        f"require {MODULE} {version}\n"
        + (f"\nreplace (\n{replaces})\n" if replaces else "")
    )


def _sources() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(SOURCE.glob("*.go"))}


def binary(version: str, progress: build.Progress = print) -> Path:
    """The oracle for this release, built first if the cache has none for these sources."""
    files = {**_sources(), "go.mod": go_mod(version)}
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:12]
    try:
        return build.ensure_built(
            name=f"ExternalDNS {version} oracle",
            target=build.cache_root() / f"oracle-{version}" / f"oracle-{digest}",
            files=files, package=".", progress=progress, check=("flags",),
            tags=_release(version).tags, env={"GOTOOLCHAIN": "auto"})
    except build.BuildError as exc:
        raise OracleError(str(exc)) from exc


def flags(version: str) -> dict[str, bool]:
    """Every flag `external-dns --help` lists for this release -> whether it is boolean."""
    result = subprocess.run([str(binary(version)), "flags"], capture_output=True, text=True,
                            env=_run_env(), timeout=60, check=False)
    if result.returncode != 0:
        raise OracleError(f"oracle {version} flags failed: {result.stderr.strip()}")
    listed = (json.loads(line) for line in result.stdout.splitlines() if line)
    return {flag["name"]: bool(flag["boolean"]) for flag in listed}


def plan(version: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """ExternalDNS's answer to one request (see the module docstring)."""
    with Oracle(version) as oracle:
        return oracle.ask(request)


class Oracle:
    """One running `oracle plan` process: requests go down a pipe, one JSON line each way."""

    def __init__(self, version: str, command: str = "plan") -> None:
        """`command`: "plan" (registry and plan), "ingress" (the Ingress source) or
        "gateway" (the Gateway API route sources)."""
        self.version = version
        self._process = subprocess.Popen(
            [str(binary(version)), command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=_run_env())
        # ExternalDNS logs as it plans (a CNAME discarded beside an A, for one): a pipe left
        # unread fills after 64 KiB and the oracle then blocks mid-answer. Its last lines are
        # kept for the message when it stops.
        self._log: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self._drain = threading.Thread(target=self._log.extend, args=(self._process.stderr,),
                                       daemon=True)
        self._drain.start()

    def ask(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return next(iter(self.ask_many([request])))

    def ask_many(self, requests: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Answers in order. A writer thread feeds the pipe while this one reads, so a batch
        larger than the pipe's buffers cannot deadlock."""
        batch = [json.dumps(request) + "\n" for request in requests]
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        writer = threading.Thread(target=_write_all, args=(process.stdin, batch), daemon=True)
        writer.start()
        answers = [self._read(process.stdout.readline()) for _ in batch]
        writer.join()
        return answers

    def _read(self, line: str) -> dict[str, Any]:
        if not line:
            self._drain.join(timeout=10)
            stderr = "".join(self._log)
            raise OracleError(f"oracle {self.version} stopped: {stderr.strip()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._drain.join(timeout=10)
        for stream in (self._process.stdout, self._process.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> Oracle:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def _write_all(stream: Any, lines: list[str]) -> None:
    for line in lines:
        stream.write(line)
    stream.flush()


def _release(version: str) -> Release:
    try:
        return RELEASES[version]
    except KeyError:
        raise OracleError(f"no oracle for ExternalDNS {version}; releases: "
                          f"{', '.join(VERSIONS)}") from None


def _run_env() -> dict[str, str]:
    # ExternalDNS reads EXTERNAL_DNS_<FLAG> from the environment: none may leak in.
    return {k: v for k, v in os.environ.items() if not k.startswith("EXTERNAL_DNS_")}


def all_versions(progress: build.Progress = print) -> Iterator[Path]:
    for version in VERSIONS:
        yield binary(version, progress)


if __name__ == "__main__":  # `python -m devstack.oracle`: what `make oracle` runs
    import sys

    try:
        for built in all_versions(lambda line: print(line, flush=True)):
            print(f"oracle: {built}")
    except OracleError as error:
        print(f"dnsgate: {error}", file=sys.stderr)
        sys.exit(1)
