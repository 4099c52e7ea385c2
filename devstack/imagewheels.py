"""The image's dependency wheels, downloaded on the host for the image's architecture.

Under QEMU, pip's own work in the Dockerfile's dependency step (resolving against PyPI,
downloading over TLS) is emulated and took five of the arm64 build's minutes. pip on the
host downloads the same wheels natively in seconds: `--only-binary=:all:` with the target's
platform tags, Python version and implementation resolves for another machine without
building anything (docs/container-image.md, "Wheels on each platform"). The build then
binds this directory into its `RUN` steps with a pip.conf that installs from it alone
(`no-index`), so the dependency layer holds the very versions constraints.txt pins, fetched
once per (constraints, dependencies, architecture).

When the download fails (no wheel for some pin, no network), `ensure_wheels` returns None
and the build resolves against PyPI inside the container as `docker buildx` would.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

from devstack import imagestore

Progress = imagestore.Progress

ROOT = Path(__file__).resolve().parents[1]
# Debian bookworm's glibc is 2.36: manylinux wheels up to 2_36 install on the base.
GLIBC_MINOR = 36
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}


def requirements(root: Path = ROOT) -> tuple[str, ...]:
    """What the Dockerfile's dependency step installs: the runtime dependencies and what
    building dnsgate's wheel needs, as pyproject.toml lists them."""
    project = tomllib.loads((root / "pyproject.toml").read_text())
    return (*project["project"]["dependencies"], *project["build-system"]["requires"])


def platform_options(arch: str) -> tuple[str, ...]:
    machine = MACHINES[arch]
    return (
        *(f"--platform=manylinux_2_{minor}_{machine}" for minor in range(17, GLIBC_MINOR + 1)),
        f"--platform=manylinux2014_{machine}", f"--platform=linux_{machine}",
        "--python-version=3.11", "--implementation=cp", "--only-binary=:all:",
    )


def key(arch: str, root: Path = ROOT) -> str:
    inputs = {"constraints": (root / "constraints.txt").read_text(),
              "requirements": requirements(root), "platform": platform_options(arch)}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def ensure_wheels(arch: str, progress: Progress = print) -> Path | None:
    """A directory holding every wheel the image's dependency step installs for `arch`, or
    None when pip on the host cannot download them all."""
    directory = imagestore.cache_dir() / "wheels" / f"{arch}-{key(arch)}"
    complete = directory / ".complete"
    if complete.is_file():
        return directory
    with imagestore.locked(f"wheels-{arch}", progress):
        if complete.is_file():
            return directory
        directory.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             *platform_options(arch), "-c", str(ROOT / "constraints.txt"),
             "--dest", str(directory), *requirements()],
            capture_output=True, text=True, timeout=900, check=False,
        )
        if result.returncode != 0:
            progress(f"wheels for {arch} not downloaded on the host; the build will fetch them "
                     f"itself: {result.stderr.strip()[-300:]}")
            return None
        complete.write_text("")
    count = len(list(directory.glob("*.whl")))
    progress(f"{count} wheels for {arch} downloaded on the host -> {directory}")
    return directory
