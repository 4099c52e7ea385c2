"""dnsgate's private container storage, and running buildah, podman and skopeo against it.

Every image the dev stack makes lives in a storage of its own under `$DNSGATE_CACHE`
(`~/.cache/dnsgate/containers`), chosen through `CONTAINERS_STORAGE_CONF`, so nothing lands
in the machine's default storage (/var/lib/containers) and `rm -rf ~/.cache/dnsgate` removes
it all. Commands name runc as the runtime and give containers explicit open-file and process
limits: this machine kind's hybrid cgroup layout and missing CAP_SYS_RESOURCE make crun and
podman's defaults fail (docs/container-image.md, "Building here").

A command that runs for minutes prints a progress line at least every 15 seconds: the
elapsed time and the last line the tool printed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack import build

Progress = Callable[[str], None]

HEARTBEAT_SECONDS = 15.0
RUNTIME = "runc"
# Below this machine kind's hard limits; podman's defaults (nofile 1048576, nproc 65536 from
# the host's limits) are refused without CAP_SYS_RESOURCE.
ULIMITS = ("--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768")


class ImageToolError(RuntimeError):
    """buildah, podman or skopeo failed; the message holds the command and its output's tail."""


def cache_dir() -> Path:
    return build.cache_root()


def storage_conf() -> Path:
    """The storage configuration (written on first use) naming dnsgate's private storage."""
    root = cache_dir() / "containers"
    conf = root / "storage.conf"
    text = (
        "[storage]\n"
        'driver = "overlay"\n'
        f'graphroot = "{root / "storage"}"\n'
        # Run-time state (locks, mounts) belongs on a tmpfs that a reboot empties.
        f'runroot = "{_runroot()}"\n'
    )
    if not conf.is_file() or conf.read_text() != text:
        root.mkdir(parents=True, exist_ok=True)
        partial = conf.with_suffix(".partial")
        partial.write_text(text)
        partial.replace(conf)
    return conf


def _runroot() -> Path:
    run = Path("/run")
    if os.geteuid() == 0 and run.is_dir():
        # One per storage: two storages sharing run-time state would confuse each other.
        if cache_dir() == Path.home() / ".cache" / "dnsgate":
            return run / "dnsgate-containers"
        tag = hashlib.sha256(str(cache_dir().resolve()).encode()).hexdigest()[:8]
        return run / f"dnsgate-containers-{tag}"
    return cache_dir() / "containers" / "run"


def environment() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_STORAGE_CONF": str(storage_conf())}


def run(command: list[str], *, timeout: float = 600) -> str:
    """Run a short command against the private storage; its stdout, stripped."""
    result = subprocess.run(
        command, env=environment(), capture_output=True, text=True, timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise ImageToolError(
            f"`{' '.join(command)}` failed (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-2000:]}"
        )
    return result.stdout.strip()


def run_long(command: list[str], *, name: str, progress: Progress) -> None:
    """Run a command for minutes, printing progress; raise with its output's tail on failure."""
    started = time.monotonic()
    tail: list[str] = []
    lock = threading.Lock()
    process = subprocess.Popen(
        command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            with lock:
                last = tail[-1][:100] if tail else ""
            progress(f"  {name}: {_clock(time.monotonic() - started)} elapsed (last: {last})")

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    assert process.stdout is not None
    try:
        for line in process.stdout:
            with lock:
                tail = [*tail[-39:], line.rstrip()]
        code = process.wait()
    finally:
        if process.poll() is None:  # interrupted: do not leave the builder running
            process.kill()
            process.wait()
        stop.set()
        beater.join()
    if code != 0:
        raise ImageToolError(
            f"{name}: `{' '.join(command)}` failed (exit {code}):\n" + "\n".join(tail)
        )
    progress(f"{name}: done in {_clock(time.monotonic() - started)}")


def image_id(reference: str) -> str | None:
    """The id of the image `reference` names in the private storage, or None."""
    result = subprocess.run(
        ["podman", "image", "inspect", "--format", "{{.Id}}", reference],
        env=environment(), capture_output=True, text=True, check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def layers(reference: str) -> tuple[str, ...] | None:
    """The ids of the layers of the image `reference` names, base first, or None."""
    result = subprocess.run(
        ["podman", "image", "inspect", "--format", "{{json .RootFS.Layers}}", reference],
        env=environment(), capture_output=True, text=True, check=False,
    )
    return tuple(json.loads(result.stdout)) if result.returncode == 0 else None


def inspect(reference: str) -> dict[str, object]:
    """`podman image inspect` of one image, parsed."""
    found = json.loads(run(["podman", "image", "inspect", reference]))
    assert isinstance(found, list) and len(found) == 1
    result: dict[str, object] = found[0]
    return result


def podman_run(image: str, *args: str, options: tuple[str, ...] = (),
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`podman run --rm` of `image` with this machine's runtime and limits; not checked."""
    command = ["podman", "run", "--rm", "--runtime", RUNTIME, *ULIMITS, *options, image, *args]
    return subprocess.run(
        command, env=environment(), capture_output=True, text=True, timeout=timeout,
        check=False,
    )


@contextmanager
def locked(name: str, progress: Progress | None = None) -> Iterator[None]:
    """Hold the cache's lock `name`: concurrent builders (worktrees, a background build) wait.

    While another process holds it, `progress` hears so every 30 seconds, with the last line
    of the background build's log (`background_log()`), which is usually the one holding it.
    """
    path = cache_dir() / "image" / f".{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        started = time.monotonic()
        told = -HEARTBEAT_SECONDS * 2
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if progress is not None and waited - told >= 2 * HEARTBEAT_SECONDS:
                    told = waited
                    last = _last_line(background_log())
                    progress(f"  waiting {_clock(waited)} for another process's {name}"
                             + (f" (background log: {last})" if last else ""))
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def background_log() -> Path:
    return cache_dir() / "image" / "background.log"


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return lines[-1].strip()[:100] if lines else ""


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"
