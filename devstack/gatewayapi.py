"""The Gateway API's CRDs, fetched once from the Go module proxy, and installed into an apiserver.

ExternalDNS's Gateway sources read Gateways and routes through the clientset of
`sigs.k8s.io/gateway-api`; the CRDs that define those resources ship in the same module, under
`config/crd/<channel>/`. `crds()` downloads the module with the Go toolchain the control plane
builds use and copies the CRDs dnsgate's tests need into
`$DNSGATE_CACHE/gateway-api-<version>/` (default `~/.cache/dnsgate`), under the same file lock
as every other cached build, so parallel test runs and worktrees fetch once. `install(kubeconfig)`
applies them (server-side: the larger CRDs exceed the 256 KiB annotation a client-side apply
writes) and waits until the apiserver serves them; it does nothing when they are already there.

Which channel and why: docs/gateway-api.md, "CRDs".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devstack import build, kubectl

MODULE = "sigs.k8s.io/gateway-api"
VERSION = "v1.6.2"
"""The release ExternalDNS v0.23.0's go.mod requires: the API its Gateway sources are built
against."""
CHANNEL = "experimental"
"""v0.23.0 watches TCPRoutes and UDPRoutes at v1alpha2, which v1.6.2 serves only in the
experimental channel (its standard channel keeps them at v1 alone)."""
GROUP = "gateway.networking.k8s.io"
RESOURCES = ("gateways", "gatewayclasses", "httproutes", "grpcroutes", "tlsroutes", "tcproutes",
             "udproutes", "referencegrants", "listenersets")
"""The CRDs installed, by plural resource name."""
ESTABLISHED_TIMEOUT = 180  # seconds: the two cores are shared, and CEL rules compile slowly
FIELD_MANAGER = "dnsgate-devstack"


class GatewayAPIError(RuntimeError):
    """The module could not be fetched."""


def crd_names() -> tuple[str, ...]:
    return tuple(f"{resource}.{GROUP}" for resource in RESOURCES)


def crd_files() -> tuple[str, ...]:
    return tuple(f"{GROUP}_{resource}.yaml" for resource in RESOURCES)


def crds(progress: build.Progress = print) -> Path:
    """The directory holding the CRDs' YAML files, fetched first if the cache has none."""
    target = build.cache_root() / f"gateway-api-{VERSION}"
    if _complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with build._lock(target.parent / f".gateway-api-{VERSION}.lock"):
        if not _complete(target):  # another process may have fetched it while we waited
            _fetch(target, progress)
    return target


def _complete(directory: Path) -> bool:
    return all((directory / name).is_file() for name in crd_files())


def _fetch(target: Path, progress: build.Progress) -> None:
    go = shutil.which("go")
    if go is None:
        raise GatewayAPIError(f"fetching {MODULE}@{VERSION} needs Go on PATH "
                              "(https://go.dev/doc/install); `go` was not found")
    progress(f"fetching the Gateway API CRDs ({MODULE}@{VERSION}, once; cached in {target})")
    # Run outside any module (the cache directory), so no go.mod of the caller's decides.
    result = subprocess.run([go, "mod", "download", "-json", f"{MODULE}@{VERSION}"],
                            cwd=target.parent, capture_output=True, text=True, timeout=600,
                            check=False, env={**os.environ, "GOFLAGS": "-mod=mod"})
    if result.returncode != 0:
        raise GatewayAPIError(f"go mod download {MODULE}@{VERSION} failed: "
                              f"{result.stdout.strip()} {result.stderr.strip()}")
    source = Path(json.loads(result.stdout)["Dir"]) / "config" / "crd" / CHANNEL
    # Copied into a sibling first and renamed: a reader never sees half the files.
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    partial.chmod(0o755)  # mkdtemp's 0700 would keep other users of a shared cache out
    try:
        for name in crd_files():
            shutil.copyfile(source / name, partial / name)
        if target.exists():  # incomplete: a list of CRDs that has since grown
            shutil.rmtree(target)
        os.replace(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def installed(kubeconfig: Path | str) -> bool:
    """Whether every CRD is there, from this release and channel, and Established."""
    result = kubectl.run(kubeconfig, "get", "crd", *crd_names(), "-o", "json", check=False)
    if result.returncode != 0:
        return False
    found = json.loads(result.stdout).get("items", [])
    return len(found) == len(RESOURCES) and all(_current(crd) for crd in found)


def _current(crd: Mapping[str, Any]) -> bool:
    annotations = crd["metadata"].get("annotations") or {}
    conditions = (crd.get("status") or {}).get("conditions") or ()
    return (annotations.get(f"{GROUP}/bundle-version") == VERSION
            and annotations.get(f"{GROUP}/channel") == CHANNEL
            and any(c.get("type") == "Established" and c.get("status") == "True"
                    for c in conditions))


def install(kubeconfig: Path | str, progress: build.Progress = print) -> None:
    """Apply the CRDs to this apiserver and wait until each is Established; a no-op when they
    already are."""
    if installed(kubeconfig):
        return
    directory = crds(progress)
    files = [arg for name in crd_files() for arg in ("-f", str(directory / name))]
    kubectl.run(kubeconfig, "apply", "--server-side", "--force-conflicts",
                f"--field-manager={FIELD_MANAGER}", *files, timeout=ESTABLISHED_TIMEOUT)
    kubectl.run(kubeconfig, "wait", "--for=condition=Established",
                f"--timeout={ESTABLISHED_TIMEOUT}s", *(f"crd/{n}" for n in crd_names()),
                timeout=ESTABLISHED_TIMEOUT + 30)


if __name__ == "__main__":  # `python -m devstack.gatewayapi`: what `make gatewayapi` runs
    try:
        found = crds(lambda line: print(line, flush=True))
    except GatewayAPIError as error:
        print(f"dnsgate: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"Gateway API CRDs: {found}")
