"""Child processes that never outlive dnsgate: started in order, stopped in reverse.

Each child asks the kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG), so even a
SIGKILLed `python -m devstack` or pytest run leaves no etcd or kube-apiserver behind. Output goes to
one log file per process; a child that fails to come up is reported with the tail of its log.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class StartError(RuntimeError):
    """A child process exited or never became ready."""


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Supervisor:
    """Starts children and stops all of them, newest first."""

    log_dir: Path
    children: list[Child] = field(default_factory=list)

    def start(
        self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None
    ) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with open(log, "ab") as handle:
            process = subprocess.Popen(
                list(argv),
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                preexec_fn=_die_with_parent,
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()


def wait_until(
    child: Child, ready: Callable[[], bool], *, timeout: float, what: str
) -> None:
    """Poll `ready` until true; fail early, with the log's tail, if the child dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise StartError(
                f"{child.name} exited with code {child.process.returncode} before {what}; "
                f"last lines of {child.log}:\n{tail(child.log)}"
            )
        try:
            if ready():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise StartError(
        f"{child.name} was not {what} after {timeout:.0f}s; last lines of {child.log}:\n"
        f"{tail(child.log)}"
    )
