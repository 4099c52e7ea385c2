"""The node's binaries, built once into the cache beside kube-apiserver (devstack.build).

kubelet, kube-controller-manager and kube-scheduler come from the same k8s.io/kubernetes
release and the same wrapper module as kube-apiserver, so they share its Go build cache and
its version. The version is stamped with `-ldflags -X` as Kubernetes' own build does:
without it every binary reports v0.0.0-master, and the kubelet registers its Node with that.

The pause binary (the sandbox's init process) is compiled from `build/pause/linux/pause.c`
in the same module with `gcc -Os -static`, as Kubernetes' pause image is; no registry is
reachable here, so the sandbox image is made locally (devstack.node.archive).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devstack import build

COMPONENTS = ("kubelet", "kube-controller-manager", "kube-scheduler")


@dataclass(frozen=True)
class NodeBinaries:
    kubelet: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    pause: Path


def version_ldflags(version: str = build.KUBERNETES_VERSION) -> str:
    major, minor, _ = version.split(".")
    package = "k8s.io/component-base/version"
    return " ".join((
        f"-X {package}.gitVersion=v{version}", f"-X {package}.gitMajor={major}",
        f"-X {package}.gitMinor={minor}", f"-X {package}.gitTreeState=clean",
    ))


def directory() -> Path:
    return build.cache_root() / f"kubernetes-v{build.KUBERNETES_VERSION}"


def ensure_node_binaries(progress: build.Progress = print) -> NodeBinaries:
    """Return the cached binaries, building whichever is missing (minutes, once)."""
    built = {
        name: build.ensure_built(
            name=name, target=directory() / name, files={"go.mod": build.kubernetes_go_mod()},
            package=f"k8s.io/kubernetes/cmd/{name}", progress=progress,
            check=("--version",), ldflags=version_ldflags())
        for name in COMPONENTS
    }
    return NodeBinaries(
        kubelet=built["kubelet"], kube_controller_manager=built["kube-controller-manager"],
        kube_scheduler=built["kube-scheduler"], pause=ensure_pause(progress))


def ensure_pause(progress: build.Progress = print) -> Path:
    target = directory() / "pause"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    source = _module_dir() / "build" / "pause" / "linux" / "pause.c"
    gcc = shutil.which("gcc")
    if gcc is None:
        raise build.BuildError("building the pause binary needs gcc (apt-get install gcc)")
    version = f"-DVERSION=v{build.KUBERNETES_VERSION}"  # pause.c stringifies the token
    partial = target.with_name(".pause.partial")
    result = subprocess.run([gcc, "-Os", "-static", "-Wall", version, "-o", str(partial),
                             str(source)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise build.BuildError(f"gcc {source} failed:\n{result.stderr}")
    os.replace(partial, target)
    progress(f"built pause from {source} -> {target}")
    return target


def _module_dir() -> Path:
    """Where the Go module cache holds k8s.io/kubernetes (downloaded by the builds above)."""
    result = subprocess.run(
        ["go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/kubernetes"], cwd=directory() / "src",
        capture_output=True, text=True, check=False, env={**os.environ, "GOFLAGS": "-mod=mod"})
    if result.returncode != 0 or not result.stdout.strip():
        raise build.BuildError(f"go list k8s.io/kubernetes failed:\n{result.stderr}")
    return Path(result.stdout.strip())


if __name__ == "__main__":  # `python -m devstack.node.build`: what `make node` runs
    import sys

    from devstack.node import packages

    try:
        packages.ensure(lambda line: print(line, flush=True))
        found = ensure_node_binaries(lambda line: print(line, flush=True))
    except (build.BuildError, packages.PackageError) as error:
        print(f"dnsgate: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"node binaries: {found}")
