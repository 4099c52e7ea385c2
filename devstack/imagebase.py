"""The Dockerfile's base image made from Debian's packages, for when no registry is reachable.

`mmdebstrap --variant=minbase` makes a Debian bookworm root file system holding Python 3.11
and what the official `python:*-slim-bookworm` image adds to Debian (CA certificates,
netbase, tzdata), without documentation, man pages or locales, as that image does. It is
imported into the private storage with the environment the official image sets (PATH,
LANG), under a name that carries a hash of every input: the suite, the mirrors, the
packages, the dpkg options and the architecture. A changed input makes a new base; an
unchanged one is found in the storage (or its tar in the cache) and costs nothing.

Debian's Python is 3.11.2 at /usr/bin, not the official image's 3.11.11 at /usr/local/bin;
`python-is-python3` gives it the `python` name the Dockerfile's `RUN` steps use
(docs/container-image.md, "A base from Debian's packages").
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from devstack import imagehost, imagestore

Progress = imagestore.Progress

SUITE = "bookworm"
MIRRORS = (
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
)
PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates", "netbase",
            "tzdata")
# What the slim images leave out; dpkg keeps honouring these inside the image.
DPKG_OPTIONS = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/info/*",
)
# The official python image's configuration (docs/container-image.md, "Base image").
ENVIRONMENT = (
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    ("LANG", "C.UTF-8"),
)
REPOSITORY = "localhost/dnsgate-base"


def inputs(arch: str) -> dict[str, object]:
    """Everything the base is made from; its hash names the base."""
    return {
        "suite": SUITE, "mirrors": MIRRORS, "packages": PACKAGES, "dpkg": DPKG_OPTIONS,
        "environment": ENVIRONMENT, "arch": arch, "variant": "minbase",
    }


def key(arch: str) -> str:
    encoded = json.dumps(inputs(arch), sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def reference(arch: str) -> str:
    return f"{REPOSITORY}:{arch}-{key(arch)}"


def mmdebstrap_command(arch: str, output: Path) -> list[str]:
    return [
        "mmdebstrap", "--variant=minbase", f"--arch={arch}", "--format=tar",
        f"--include={','.join(PACKAGES)}",
        *(f"--dpkgopt={option}" for option in DPKG_OPTIONS),
        SUITE, str(output), *MIRRORS,
    ]


def ensure_base(arch: str, progress: Progress = print) -> str:
    """The base image's reference for `arch` in the private storage, making it if missing."""
    name = reference(arch)
    if imagestore.image_id(name) is not None:
        return name
    with imagestore.locked(f"base-{arch}", progress):
        if imagestore.image_id(name) is not None:  # made while we waited
            return name
        tar = imagestore.cache_dir() / "image-base" / f"{arch}-{key(arch)}.tar"
        if not tar.is_file():
            _debootstrap(arch, tar, progress)
        imagestore.run([
            "podman", "import", "--os", "linux", "--arch", arch,
            *(f"--change=ENV {variable}={value}" for variable, value in ENVIRONMENT),
            str(tar), name,
        ])
        progress(f"base image {name} imported from {tar}")
    return name


def _debootstrap(arch: str, tar: Path, progress: Progress) -> None:
    imagehost.ensure_packages(("mmdebstrap",), progress)
    if arch != "amd64":
        imagehost.ensure_arm64_emulation(progress)
    tar.parent.mkdir(parents=True, exist_ok=True)
    partial = tar.with_suffix(".partial.tar")
    partial.unlink(missing_ok=True)
    progress(f"making the {arch} base from Debian {SUITE} with mmdebstrap (once; "
             f"{'about 12 min under QEMU' if arch != 'amd64' else 'about 3 min'})")
    started = time.monotonic()
    imagestore.run_long(mmdebstrap_command(arch, partial), name=f"mmdebstrap {arch}",
                        progress=progress)
    partial.replace(tar)
    progress(f"base for {arch}: {tar.stat().st_size // 2**20} MiB in "
             f"{time.monotonic() - started:.0f} s -> {tar}")
