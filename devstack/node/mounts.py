"""Mounts the node leaves behind, undone: the kubelet mounts each pod's Secret and token
volumes (tmpfs) under its root directory, containerd each sandbox's /dev/shm and each
container's root filesystem (overlay) under its state directory. After both have stopped,
whatever is still mounted below those directories is unmounted, deepest first.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as octal (proc(5)).
    return field.encode().decode("unicode_escape")


def mounted_under(*roots: Path) -> list[Path]:
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = Path(_unescape(line.split()[4]))
        if any(point == root or root in point.parents for root in roots):
            found.append(point)
    return sorted(set(found), key=lambda p: len(p.parts), reverse=True)


def unmount_under(*roots: Path) -> list[str]:
    """Unmount everything below `roots`; the mounts that would not go."""
    stuck = []
    for point in mounted_under(*roots):
        result = subprocess.run(["umount", "--lazy", str(point)], capture_output=True,
                                text=True, check=False)
        if result.returncode != 0:
            stuck.append(f"{point}: {result.stderr.strip()}")
    return stuck
