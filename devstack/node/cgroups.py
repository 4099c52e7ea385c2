"""The node's cgroup subtree on a cgroup v1 host: `/<name>` in every v1 controller.

The kubelet (cgroupfs driver, `cgroupsPerQOS`) puts its QoS and pod cgroups under
`cgroupRoot`, and refuses to start when that cgroup is missing from any mounted v1
controller ("cgroup ... has some missing paths"). cpuset starts empty in a new v1 cgroup,
so the root copies its parent's `cpuset.cpus` and `cpuset.mems`, or nothing could run in it.

`remove` kills whatever still runs in the subtree (container processes of a run that did
not stop cleanly) and removes the cgroups deepest first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUP_FS = Path("/sys/fs/cgroup")


def v1_controllers() -> list[Path]:
    """Every v1 hierarchy mounted under /sys/fs/cgroup (cpu, memory, ..., name=systemd)."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        separator = fields.index("-")
        mount_point, fs_type = Path(fields[4]), fields[separator + 1]
        if fs_type == "cgroup" and mount_point.parent == CGROUP_FS:
            found.append(mount_point)
    return sorted(set(found))


def create(name: str) -> list[Path]:
    made = []
    for controller in v1_controllers():
        path = controller / name
        path.mkdir(exist_ok=True)
        if controller.name == "cpuset":
            for key in ("cpuset.cpus", "cpuset.mems"):
                (path / key).write_text((controller / key).read_text())
        made.append(path)
    return made


def processes(name: str) -> set[int]:
    pids: set[int] = set()
    for controller in v1_controllers():
        for procs in (controller / name).rglob("cgroup.procs"):
            try:
                pids |= {int(pid) for pid in procs.read_text().split()}
            except OSError:
                continue
    return pids


def remove(name: str, timeout: float = 10.0) -> list[str]:
    """Kill what is left in the subtree, remove it; the cgroups that could not be removed."""
    deadline = time.monotonic() + timeout
    while (left := processes(name)) and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    stuck = []
    for controller in v1_controllers():
        root = controller / name
        if not root.exists():
            continue
        below = sorted((p for p in root.rglob("*") if p.is_dir()),
                       key=lambda p: len(p.parts), reverse=True)
        for path in [*below, root]:
            try:
                path.rmdir()
            except OSError as error:
                stuck.append(f"{path}: {error.strerror}")
    return stuck
