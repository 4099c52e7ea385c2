"""Build kube-apiserver and etcd from the Go module proxy, once, into a versioned cache.

Kubernetes does not publish k8s.io/kubernetes as a consumable module: its go.mod points every
`k8s.io/<staging>` module at `./staging/...` and requires them at v0.0.0. A small wrapper module
that requires k8s.io/kubernetes and replaces each staging module with its published
`v0.<minor>.<patch>` twin makes `go build k8s.io/kubernetes/cmd/kube-apiserver` work. etcd
builds from a two-line main calling `etcdmain.Main`, the same entry point as its own binary.

Binaries land in `$DNSGATE_CACHE` (default `~/.cache/dnsgate`) under a directory named for
the version, so a second run finds them and starts in seconds. A build that takes minutes
prints what it is fetching and compiling, and the elapsed time, at least every 15 seconds.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

KUBERNETES_VERSION = "1.36.3"
# The etcd release k8s.io/kubernetes v1.36.3 itself pins in its go.mod.
ETCD_VERSION = "3.6.8"
GO_DIRECTIVE = "1.26.0"

# Every module k8s.io/kubernetes v1.36 keeps under staging/src/k8s.io.
STAGING_MODULES = (
    "api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go",
    "cloud-provider", "cluster-bootstrap", "code-generator", "component-base",
    "component-helpers", "controller-manager", "cri-api", "cri-client", "cri-streaming",
    "csi-translation-lib", "dynamic-resource-allocation", "endpointslice", "externaljwt", "kms",
    "kube-aggregator", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl",
    "kubelet", "metrics", "mount-utils", "pod-security-admission", "sample-apiserver",
    "sample-cli-plugin", "sample-controller", "streaming",
)

HEARTBEAT_SECONDS = 15.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    etcd: Path


class BuildError(RuntimeError):
    """A Go build failed; the message holds the command and the tail of its output."""


def cache_root() -> Path:
    return Path(os.environ.get("DNSGATE_CACHE", Path.home() / ".cache" / "dnsgate"))


def kubernetes_go_mod() -> str:
    minor_patch = KUBERNETES_VERSION.split(".", 1)[1]
    replaces = "\n".join(
        f"\tk8s.io/{name} => k8s.io/{name} v0.{minor_patch}" for name in STAGING_MODULES
    )
    return (
        "module dnsgate.dev/kube-apiserver\n\n"
        f"go {GO_DIRECTIVE}\n\n"
        f"require k8s.io/kubernetes v{KUBERNETES_VERSION}\n\n"
        f"replace (\n{replaces}\n)\n"
    )


def etcd_go_mod() -> str:
    return (
        "module dnsgate.dev/etcd\n\n"
        f"go {GO_DIRECTIVE}\n\n"
        f"require go.etcd.io/etcd/server/v3 v{ETCD_VERSION}\n"
    )


ETCD_MAIN = """package main

import (
\t"os"

\t"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
"""


def ensure_binaries(progress: Progress = print) -> Binaries:
    """Return cached binaries, building whichever is missing."""
    root = cache_root()
    apiserver = ensure_built(
        name="kube-apiserver",
        target=root / f"kubernetes-v{KUBERNETES_VERSION}" / "kube-apiserver",
        files={"go.mod": kubernetes_go_mod()},
        package="k8s.io/kubernetes/cmd/kube-apiserver",
        progress=progress,
    )
    etcd = ensure_built(
        name="etcd",
        target=root / f"etcd-v{ETCD_VERSION}" / "etcd",
        files={"go.mod": etcd_go_mod(), "main.go": ETCD_MAIN},
        package=".",
        progress=progress,
    )
    return Binaries(kube_apiserver=apiserver, etcd=etcd)


def ensure_built(
    *,
    name: str,
    target: Path,
    files: dict[str, str],
    package: str,
    progress: Progress,
    check: tuple[str, ...] = ("--version",),
    ldflags: str = "",
    tags: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Path:
    """Return `target`, building it first unless it runs `target *check` successfully.

    A file lock next to it makes concurrent callers (parallel test runs, several worktrees
    sharing the cache) wait for one build instead of each starting their own. `files` are
    written into the build directory; `tags` are Go build tags; `env` adds to the build's
    environment.
    """
    if _usable(target, check):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target.parent / ".build.lock"):
        if _usable(target, check):  # another process built it while we waited
            return target
        source = target.parent / "src"
        source.mkdir(exist_ok=True)
        # The directory is shared by every worktree using the cache: a Go file another one
        # wrote, absent from `files`, would be compiled into this build too.
        for stale in source.glob("*.go"):
            if stale.name not in files:
                stale.unlink()
        for filename, text in files.items():
            (source / filename).write_text(text)
        _go_build(name=name, source=source, package=package, output=target,
                  progress=progress, ldflags=ldflags, tags=tags, env=env or {})
    return target


def _usable(binary: Path, check: tuple[str, ...] = ("--version",)) -> bool:
    if not binary.is_file() or not os.access(binary, os.X_OK):
        return False
    result = subprocess.run(
        [str(binary), *check], capture_output=True, timeout=60, check=False
    )
    return result.returncode == 0


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _go_build(
    *, name: str, source: Path, package: str, output: Path, progress: Progress,
    ldflags: str = "", tags: tuple[str, ...] = (), env: dict[str, str] | None = None,
) -> None:
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            f"building {name} needs Go 1.24 or newer on PATH (https://go.dev/doc/install); "
            "`go` was not found"
        )
    partial = output.with_name(f".{output.name}.partial")
    command = [go, "build", "-v", "-mod=mod", "-trimpath",
               *([f"-ldflags={ldflags}"] if ldflags else []),
               *([f"-tags={','.join(tags)}"] if tags else []), "-o", str(partial), package]
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", **(env or {})}
    progress(f"building {name} from the Go module proxy (once; cached in {output.parent})")
    started = time.monotonic()
    state = _BuildState()
    process = subprocess.Popen(
        command, cwd=source, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(name, state, started, stop, progress), daemon=True
    )
    beat.start()
    assert process.stdout is not None
    try:
        for line in process.stdout:
            state.observe(line.rstrip())
        code = process.wait()
    finally:
        if process.poll() is None:  # interrupted: do not leave `go build` running
            process.kill()
            process.wait()
        stop.set()
        beat.join()
    elapsed = time.monotonic() - started
    if code != 0:
        tail = "\n".join(state.tail)
        raise BuildError(f"`{' '.join(command)}` in {source} failed (exit {code}):\n{tail}")
    os.replace(partial, output)
    progress(f"built {name} in {_clock(elapsed)} ({state.compiled} packages) -> {output}")


class _BuildState:
    """What the build has printed so far, for progress lines and error reports."""

    def __init__(self) -> None:
        self.downloaded = 0
        self.compiled = 0
        self.last = ""
        self.tail: list[str] = []
        self._lock = threading.Lock()

    def observe(self, line: str) -> None:
        with self._lock:
            if line.startswith("go: downloading"):
                self.downloaded += 1
            elif line and not line.startswith("go: "):
                self.compiled += 1
            self.last = line
            self.tail = [*self.tail[-39:], line]

    def summary(self) -> str:
        with self._lock:
            phase = "compiling" if self.compiled else "fetching modules"
            return (
                f"{phase}: {self.downloaded} modules fetched, {self.compiled} packages compiled"
                + (f" (last: {self.last[:80]})" if self.last else "")
            )


def _heartbeat(
    name: str, state: _BuildState, started: float, stop: threading.Event, progress: Progress
) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        progress(f"  {name}: {_clock(time.monotonic() - started)} elapsed, {state.summary()}")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


if __name__ == "__main__":  # `python -m devstack.build`: what `make controlplane` runs
    import sys

    try:
        found = ensure_binaries(lambda line: print(line, flush=True))
    except BuildError as error:
        print(f"dnsgate: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"control plane binaries: {found.kube_apiserver}, {found.etcd}")
