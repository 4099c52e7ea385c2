"""The Debian packages the node runs on, installed when missing: containerd (1.6 in
bookworm), runc, the CNI plugins (bridge, host-local; in /usr/lib/cni), iproute2 (`ip`),
util-linux (`nsenter`, `umount`) and gcc with libc6-dev (the pause binary, static).

Installing needs root and apt; both are what `make test` already needs for the node. A
package already installed is left as it is; nothing is installed when none is missing.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

PACKAGES = ("containerd", "runc", "containernetworking-plugins", "iproute2", "util-linux",
            "gcc", "libc6-dev")
APT = ("apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "--no-install-recommends")


class PackageError(RuntimeError):
    pass


def missing(packages: tuple[str, ...] = PACKAGES) -> list[str]:
    absent = []
    for package in packages:
        result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True, check=False)
        if result.stdout.strip() != "install ok installed":
            absent.append(package)
    return absent


def ensure(progress: Callable[[str], None] = print) -> list[str]:
    """Install whatever of PACKAGES is missing; the packages installed."""
    absent = missing()
    if not absent:
        return []
    if os.geteuid() != 0:
        raise PackageError(f"the test node needs the Debian packages {', '.join(absent)}: "
                           "run as root, or `apt-get install` them")
    progress(f"installing {', '.join(absent)} (apt-get)")
    for argv in ((*APT[:-2], "update"), (*APT, "install", *absent)):
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PackageError(f"`{' '.join(argv)}` failed:\n{result.stderr[-2000:]}")
    return absent
