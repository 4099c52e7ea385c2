"""A container without a container engine: Linux namespaces, a root filesystem assembled from
mounts, the pod's user, and exec.

`spawn` starts `python -m devstack.pods.sandbox` in new mount, network, UTS and PID
namespaces. That helper (root, in the host's PID namespace) forks the container's process,
which is PID 1 of the new PID namespace, as in a pod (with PID 1's signal rules:
docs/kubelet.md). The child configures the pod's network end, waits for the caller's go,
assembles the root filesystem, chroots into it, becomes the pod's user and execs the
container's command. Nothing it mounts is visible outside.

The root filesystem is `devstack.pods.rootfs`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from devstack.pods import linux, rootfs
from devstack.pods.rootfs import Mount, SandboxError


@dataclass(frozen=True)
class Network:
    """The pod's end of a veth pair (named `peer` until renamed eth0) and its addresses."""

    peer: str
    address: str  # CIDR, e.g. 10.234.0.2/30
    gateway: str
    loopback_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    root: str  # an empty host directory to assemble the root filesystem on
    scratch: str  # host directory for the overlays' upper and work directories
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    groups: tuple[int, ...] = ()
    hostname: str = "sandbox"
    read_only_root: bool = False
    no_new_privileges: bool = False
    drop_all_capabilities: bool = False
    image_mounts: tuple[Mount, ...] = ()
    mounts: tuple[Mount, ...] = ()
    network: Network | None = None
    namespaces: tuple[str, ...] = ("mount", "uts", "pid", "net")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Spec:
        raw: dict[str, Any] = json.loads(text)
        raw["argv"] = tuple(raw["argv"])
        raw["env"] = tuple((k, v) for k, v in raw["env"])
        raw["groups"] = tuple(raw["groups"])
        raw["namespaces"] = tuple(raw["namespaces"])
        raw["image_mounts"] = tuple(Mount(**m) for m in raw["image_mounts"])
        raw["mounts"] = tuple(Mount(**m) for m in raw["mounts"])
        if raw["network"] is not None:
            network = raw["network"]
            network["loopback_addresses"] = tuple(network["loopback_addresses"])
            raw["network"] = Network(**network)
        return cls(**raw)


NAMESPACE_FLAGS = {"mount": linux.CLONE_NEWNS, "uts": linux.CLONE_NEWUTS,
                   "pid": linux.CLONE_NEWPID, "net": linux.CLONE_NEWNET}


@dataclass
class Sandboxed:
    """The helper process of one sandbox, holding its namespaces; `configure` hands it the
    spec, `start` lets the container's process run."""

    helper: subprocess.Popen[bytes]
    log: Path
    status: Any  # the read end of the helper's status pipe (a text file)
    namespaces: tuple[str, ...]
    pid: int | None = field(default=None)

    @property
    def netns(self) -> str:
        return f"/proc/{self.helper.pid}/ns/net"

    def _expect(self, word: str) -> str:
        line = self.status.readline()
        if not line.startswith(word):
            self.helper.wait(10)
            raise SandboxError(
                f"sandbox failed before {word.strip()!r} (exit {self.helper.returncode}); "
                f"its log {self.log} ends:\n{tail(self.log)}")
        return str(line[len(word):].strip())

    def configure(self, spec: Spec) -> None:
        """Hand the helper its spec; returns once the pod's network end is configured."""
        assert self.helper.stdin is not None
        spec = replace(spec, namespaces=self.namespaces)
        self.helper.stdin.write(spec.to_json().encode() + b"\n")
        self.helper.stdin.flush()
        self.pid = int(self._expect("pid "))
        self._expect("ready")
        self.status.close()

    def start(self) -> int:
        """Let the container's process start; returns its pid (in this PID namespace)."""
        assert self.helper.stdin is not None and self.pid is not None
        self.helper.stdin.write(b"go\n")
        self.helper.stdin.close()
        return self.pid

    def exit_code(self) -> int | None:
        return self.helper.poll()

    def kill(self) -> None:
        """SIGKILL the container's process (the whole PID namespace goes with it)."""
        with contextlib.suppress(ProcessLookupError):
            if self.pid is not None:
                os.kill(self.pid, signal.SIGKILL)
            self.helper.kill()
        self.helper.wait(30)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def spawn(log: Path, namespaces: tuple[str, ...] = ("mount", "uts", "pid", "net")
          ) -> Sandboxed:
    """Start the helper in new `namespaces`; it waits for `configure` and `start`."""
    if os.geteuid() != 0:
        raise SandboxError("running pods needs root (mount, network and PID namespaces); "
                           f"this process runs as uid {os.geteuid()}")
    flags = 0
    for name in namespaces:
        flags |= NAMESPACE_FLAGS[name]
    read_end, write_end = os.pipe()

    def enter_namespaces() -> None:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
        linux.unshare(flags)

    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        helper = subprocess.Popen(
            [sys.executable, "-m", "devstack.pods.sandbox", str(write_end)],
            stdin=subprocess.PIPE, stdout=handle, stderr=subprocess.STDOUT,
            pass_fds=(write_end,), preexec_fn=enter_namespaces, start_new_session=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                 "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
    os.close(write_end)
    return Sandboxed(helper, log, os.fdopen(read_end, "r"), namespaces)


# --- inside the namespaces -------------------------------------------------------------------


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SandboxError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def _configure_network(network: Network) -> None:
    _ip("link", "set", "lo", "up")
    for address in network.loopback_addresses:
        _ip("addr", "add", f"{address}/32", "dev", "lo")
    _ip("link", "set", network.peer, "name", "eth0")
    _ip("addr", "add", network.address, "dev", "eth0")
    _ip("link", "set", "eth0", "up")
    _ip("route", "add", "default", "via", network.gateway)


def _run_container(spec: Spec) -> None:
    """In the forked child, PID 1 of the new PID namespace; never returns."""
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    os.umask(0o022)
    rootfs.assemble(spec.root, spec.scratch, (*spec.image_mounts, *spec.mounts),
                    read_only=spec.read_only_root)
    if "uts" in spec.namespaces:
        linux.sethostname(spec.hostname)
    os.chroot(spec.root)
    os.chdir(spec.cwd)
    if spec.drop_all_capabilities:
        linux.drop_bounding_capabilities()
    os.setgroups(list(spec.groups))
    os.setgid(spec.gid)
    os.setuid(spec.uid)
    if spec.no_new_privileges:
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    env = dict(spec.env)
    try:
        os.execvpe(spec.argv[0], list(spec.argv), env)
    except FileNotFoundError:
        print(f'exec: "{spec.argv[0]}": executable file not found in $PATH '
              f"(PATH={env.get('PATH', '')})", file=sys.stderr, flush=True)
        os._exit(127)
    except PermissionError as exc:
        print(f'exec: "{spec.argv[0]}": {exc}', file=sys.stderr, flush=True)
        os._exit(126)


def main(argv: Sequence[str]) -> int:
    """The helper. It forks at once: the first child of a new PID namespace is its init,
    and no other process may be forked into the namespace before it."""
    status = os.fdopen(int(argv[0]), "w", buffering=1)
    spec = Spec.from_json(sys.stdin.readline())
    pid = os.fork()
    if pid == 0:
        try:
            if spec.network is not None:
                _configure_network(spec.network)
            status.write("ready\n")
            status.close()
            if sys.stdin.readline().strip() == "go":
                _run_container(spec)
        except BaseException as exc:
            print(f"sandbox: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        os._exit(128)
    status.write(f"pid {pid}\n")
    status.close()
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
    _, wait_status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(wait_status)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
