"""What this machine needs before it can build dnsgate's image: Debian packages and binfmt.

`ensure_packages` installs, with apt-get, only the packages dpkg does not already list as
installed, and waits up to ten minutes for another apt-get (a second worktree, the node's
setup) to release dpkg's lock instead of failing on it. `ensure_arm64_emulation` mounts
binfmt_misc when it is not mounted and enables qemu-aarch64, so arm64 programs (mmdebstrap's
maintainer scripts, the Dockerfile's `RUN` steps, the arm64 image's tests) run under QEMU.
Both change the machine; README's "What make test changes on this machine" lists them and
docs/container-image.md says why each package is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

Progress = Callable[[str], None]

# What each package is for is written down in docs/container-image.md ("Building here").
BUILD_PACKAGES = (
    "buildah", "podman", "skopeo", "mmdebstrap", "runc", "conmon", "uidmap", "fuse-overlayfs",
)
ARM64_PACKAGES = ("qemu-user-static", "binfmt-support", "arch-test")
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
QEMU_AARCH64 = BINFMT_DIR / "qemu-aarch64"


class HostSetupError(RuntimeError):
    """The machine cannot be prepared; the message says what to do by hand."""


def missing_packages(names: tuple[str, ...]) -> tuple[str, ...]:
    """The packages among `names` that dpkg does not list as installed."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *names],
        capture_output=True, text=True, check=False,
    )
    installed = {
        line.split()[0] for line in result.stdout.splitlines()
        if line.endswith(" installed")
    }
    return tuple(name for name in names if name not in installed)


def ensure_packages(names: tuple[str, ...], progress: Progress = print) -> None:
    """Install whichever of `names` is missing, with apt-get (root only)."""
    missing = missing_packages(names)
    if not missing:
        return
    if os.geteuid() != 0:
        raise HostSetupError(
            f"building the image needs the Debian packages {' '.join(missing)}; "
            f"run `sudo apt-get install {' '.join(missing)}` and try again"
        )
    progress(f"installing Debian packages: {' '.join(missing)} (apt-get, once)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    # A fresh machine has no package lists; an old list names versions the mirror dropped.
    _apt(["apt-get", *lock, "update", "-q"], env)
    _apt(["apt-get", *lock, "install", "-y", "-q", "--no-install-recommends", *missing], env)
    still = missing_packages(missing)
    if still:
        raise HostSetupError(f"apt-get install finished but {' '.join(still)} is not installed")


def ensure_arm64_emulation(progress: Progress = print) -> None:
    """Make arm64 programs run here: binfmt_misc mounted and qemu-aarch64 enabled."""
    ensure_packages(ARM64_PACKAGES, progress)
    if not (BINFMT_DIR / "register").exists():
        progress(f"mounting binfmt_misc on {BINFMT_DIR}")
        _run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)])
    if not _enabled(QEMU_AARCH64):
        progress("registering qemu-aarch64 with binfmt_misc (update-binfmts)")
        _run(["update-binfmts", "--enable", "qemu-aarch64"])
    if not _enabled(QEMU_AARCH64):
        raise HostSetupError(
            f"{QEMU_AARCH64} is not enabled after `update-binfmts --enable qemu-aarch64`; "
            "arm64 programs cannot run on this machine"
        )


def _enabled(entry: Path) -> bool:
    try:
        return entry.read_text().splitlines()[0].strip() == "enabled"
    except (OSError, IndexError):
        return False


def _apt(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise HostSetupError(f"`{' '.join(command)}` failed (exit {result.returncode}):\n{tail}")


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise HostSetupError(f"`{command[0]}` is not on PATH; cannot run {' '.join(command)}")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise HostSetupError(
            f"`{' '.join(command)}` failed (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()}"
        )
