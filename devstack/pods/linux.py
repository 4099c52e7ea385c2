"""The few Linux system calls a container runtime needs and Python 3.11's `os` lacks.

mount, unshare, setns, sethostname and two prctl options, called through libc. Each raises
OSError with the errno and the arguments, so a failed mount names its target.
"""

from __future__ import annotations

import ctypes
import os

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0,
          data: str | None = None) -> None:
    def raw(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    _check(_libc.mount(raw(source), raw(target), raw(fstype), ctypes.c_ulong(flags),
                       raw(data)), f"mount {source or fstype or ''} on {target}")


def bind(source: str, target: str, *, read_only: bool) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        # A bind mount takes MS_RDONLY only in a second call, as a remount.
        mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def remount_read_only(target: str) -> None:
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def make_private(target: str = "/") -> None:
    """Mounts made below `target` from now on stay in this mount namespace."""
    mount(None, target, None, MS_REC | MS_PRIVATE)


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), f"unshare({flags:#x})")


def setns(fd: int, nstype: int) -> None:
    _check(_libc.setns(ctypes.c_int(fd), ctypes.c_int(nstype)), f"setns({fd}, {nstype:#x})")


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(_libc.sethostname(raw, ctypes.c_size_t(len(raw))), f"sethostname({name})")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(value), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0)), f"prctl({option}, {value})")


def drop_bounding_capabilities() -> None:
    """Empty the capability bounding set, so nothing exec'd later can regain a capability."""
    cap = 0
    while True:
        if _libc.prctl(ctypes.c_int(PR_CAPBSET_DROP), ctypes.c_ulong(cap), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
            return  # EINVAL: past the last capability this kernel knows
        cap += 1
