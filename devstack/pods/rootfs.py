"""A container's root filesystem, assembled from mounts in a private mount namespace.

A tmpfs holds the image: the host's /usr and /etc as overlays (so mount points can be made
in them without touching the host), the usual merged-/usr symlinks, and read-only binds of
the image's directories (the virtualenv at /opt/dnsgate, the Python it was made with). Then
come /proc (of the new PID namespace), a minimal /dev, a read-only /sys, and the pod's
volumes and kubelet files, parents before children. With `read_only` everything but the
volumes, /dev and /proc is remounted read-only, as readOnlyRootFilesystem does. Mount points
are made without following symlinks, so nothing can lead a mount out of the root.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from devstack.pods import linux

IMAGE_DIRS = ("/usr", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
SKELETON = {"/tmp": 0o1777, "/run": 0o755, "/var": 0o755, "/var/tmp": 0o1777, "/opt": 0o755,
            "/root": 0o755, "/home": 0o755, "/proc": 0o555, "/dev": 0o755, "/sys": 0o555}


class SandboxError(RuntimeError):
    """The sandbox could not be set up as asked."""


@dataclass(frozen=True)
class Mount:
    """`source` (a host path) bound at `target`, or a tmpfs there when `source` is empty."""

    target: str
    source: str = ""
    read_only: bool = False
    size_bytes: int | None = None


def _mount_point(root: str, target: str, *, file: bool) -> str:
    """Create `target` under `root` without following any symlink (which could lead out of
    the root filesystem); an existing symlink on the way is an error."""
    current = root
    parts = [part for part in target.split("/") if part]
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        last = index == len(parts) - 1
        if os.path.islink(current):
            raise SandboxError(f"mount path {target}: {current[len(root):]} is a symlink in "
                               f"the image; the sandbox does not follow symlinks")
        if os.path.exists(current):
            continue
        if last and file:
            with open(current, "x"):
                pass
        else:
            os.mkdir(current, 0o755)
    return current


def _mount(root: str, mount: Mount) -> None:
    is_file = bool(mount.source) and os.path.isfile(mount.source)
    target = _mount_point(root, mount.target, file=is_file)
    if mount.source:
        linux.bind(mount.source, target, read_only=mount.read_only)
    else:
        options = "mode=777" + (f",size={mount.size_bytes}" if mount.size_bytes else "")
        linux.mount("tmpfs", target, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, options)


def assemble(root: str, scratch: str, mounts: Sequence[Mount], *, read_only: bool) -> None:
    """Assemble the root filesystem on the empty directory `root`, in this process's own
    mount namespace; `scratch` holds the overlays' upper and work directories."""
    linux.make_private("/")
    linux.mount("tmpfs", root, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "mode=755")
    for path, mode in SKELETON.items():
        os.makedirs(root + path, exist_ok=True)
        os.chmod(root + path, mode)
    for image_dir in IMAGE_DIRS:
        upper = os.path.join(scratch, image_dir.strip("/"), "upper")
        work = os.path.join(scratch, image_dir.strip("/"), "work")
        os.makedirs(upper, exist_ok=True)
        os.makedirs(work, exist_ok=True)
        os.makedirs(root + image_dir, exist_ok=True)
        linux.mount("overlay", root + image_dir, "overlay", 0,
                    f"lowerdir={image_dir},upperdir={upper},workdir={work}")
    for name in os.listdir("/"):
        if os.path.islink("/" + name) and os.readlink("/" + name).startswith("usr/"):
            os.symlink(os.readlink("/" + name), os.path.join(root, name))  # merged /usr
    linux.mount("proc", root + "/proc", "proc",
                linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
    linux.mount("tmpfs", root + "/dev", "tmpfs", linux.MS_NOSUID, "mode=755")
    for device in DEVICES:
        open(f"{root}/dev/{device}", "x").close()
        linux.bind(f"/dev/{device}", f"{root}/dev/{device}", read_only=False)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(link, f"{root}/dev/{name}")
    os.mkdir(f"{root}/dev/shm")
    linux.mount("shm", f"{root}/dev/shm", "tmpfs", linux.MS_NOSUID | linux.MS_NODEV,
                "mode=1777,size=67108864")
    linux.bind("/sys", root + "/sys", read_only=True)
    # Parents before children, as the kubelet orders a container's mounts.
    for mount in sorted(mounts, key=lambda m: m.target.rstrip("/").count("/")):
        _mount(root, mount)
    if read_only:
        linux.remount_read_only(root)
        for image_dir in IMAGE_DIRS:
            linux.remount_read_only(root + image_dir)
