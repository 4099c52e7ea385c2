"""dnsgate's image as the Dockerfile describes it, made without a container engine.

`config` reads the Dockerfile's final stage the way `docker build` would record it (entry
point, command, environment, user, working directory, and where the build stage's
virtualenv is copied to). `build_venv` makes that virtualenv the way the build stage does:
`python -m venv` at the very path the image holds it (/opt/dnsgate), then the wheel with the
runtime dependencies at the versions constraints.txt pins, and no dev extra. The path is
reached through a private mount namespace, so the scripts' `#!` lines name the image's path
while the files live in a scratch directory. `devstack.pods` runs the deployables from it.

What the Dockerfile's base image adds to the environment (PATH, LANG) is written down in
docs/container-image.md; the base image's Python itself is the one this machine's
virtualenvs are made with.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from devstack.pods import linux, rootfs, sandbox

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
CONSTRAINTS = ROOT / "constraints.txt"
# The official python image's environment (docs/container-image.md).
BASE_ENV = (("PATH", "/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            ("LANG", "C.UTF-8"))
FINAL_STAGE_INSTRUCTIONS = {"FROM", "COPY", "ENV", "USER", "ENTRYPOINT", "CMD", "WORKDIR",
                            "LABEL"}


class DockerfileError(ValueError):
    """The Dockerfile uses something this reading of it does not handle."""


@dataclass(frozen=True)
class ImageConfig:
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    user: str
    working_dir: str
    venv_path: str  # where the final stage copies the build stage's virtualenv


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def config(text: str | None = None) -> ImageConfig:
    """The final stage of the Dockerfile (`text`, default the repository's)."""
    instructions = _instructions(DOCKERFILE.read_text() if text is None else text)
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    env = dict(BASE_ENV)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    user, working_dir, venv_path = "0", "/", ""
    for keyword, rest in instructions[last_from + 1:]:
        if keyword not in FINAL_STAGE_INSTRUCTIONS:
            raise DockerfileError(f"Dockerfile final stage: {keyword} is not understood here "
                                  f"(understood: {', '.join(sorted(FINAL_STAGE_INSTRUCTIONS))})")
        if keyword == "ENV":
            for item in shlex.split(rest):
                name, equals, value = item.partition("=")
                if not equals:
                    raise DockerfileError(f"Dockerfile: ENV {rest!r}: write ENV NAME=value")
                env[name] = _expand(value, env)
        elif keyword in ("ENTRYPOINT", "CMD"):
            if not rest.startswith("["):
                raise DockerfileError(f"Dockerfile: {keyword} {rest}: only the exec (JSON) form")
            if keyword == "ENTRYPOINT":
                entrypoint = tuple(json.loads(rest))
            else:
                cmd = tuple(json.loads(rest))
        elif keyword == "USER":
            user = rest
        elif keyword == "WORKDIR":
            working_dir = rest
        elif keyword == "COPY":
            words = rest.split()
            if len(words) != 3 or not words[0].startswith("--from=") or words[1] != words[2]:
                raise DockerfileError(f"Dockerfile: COPY {rest}: expected one directory copied "
                                      f"from the build stage to the same path")
            venv_path = words[2]
    if not venv_path:
        raise DockerfileError("Dockerfile: the final stage copies no virtualenv")
    return ImageConfig(entrypoint, cmd, tuple(env.items()), user, working_dir, venv_path)


def _at_image_path(directory: Path, image_path: str, scratch: Path) -> None:
    """In this (forked) process: a private mount namespace where `image_path` is `directory`.
    Its parent is overlaid, so the host's files there stay visible and untouched."""
    linux.unshare(linux.CLONE_NEWNS)
    linux.make_private("/")
    parent = os.path.dirname(image_path)
    upper, work = scratch / "upper", scratch / "work"
    upper.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    linux.mount("overlay", parent, "overlay", 0,
                f"lowerdir={parent},upperdir={upper},workdir={work}")
    os.makedirs(image_path, exist_ok=True)
    linux.bind(str(directory), image_path, read_only=False)


def build_venv(wheel: Path, dest: Path, image: ImageConfig | None = None) -> Path:
    """Make the image's virtualenv in `dest` (empty or missing), as the build stage does."""
    image = image or config()
    dest.mkdir(parents=True, exist_ok=True)
    scratch = dest.parent / f"{dest.name}.mount"
    venv = image.venv_path
    for argv in (
        [sys.executable, "-m", "venv", venv],
        [f"{venv}/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", str(CONSTRAINTS), str(wheel)],
    ):
        subprocess.run(argv, check=True, timeout=900, cwd="/",
                       preexec_fn=lambda: _at_image_path(dest, venv, scratch))
    return dest


def base_python(venv: Path) -> Path:
    """The installation the virtualenv was made from (`home` in its pyvenv.cfg, one up)."""
    for line in (venv / "pyvenv.cfg").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return Path(value.strip()).parent
    raise FileNotFoundError(f"{venv}/pyvenv.cfg names no home")


@dataclass(frozen=True)
class Image:
    """A built image: its configuration and the host directory holding its virtualenv."""

    config: ImageConfig
    venv: Path

    def mounts(self) -> tuple[rootfs.Mount, ...]:
        """The image's own directories in a sandbox: the virtualenv where the Dockerfile puts
        it, and the Python it was made with where the virtualenv expects it."""
        base = str(base_python(self.venv))
        return (rootfs.Mount(target=self.config.venv_path, source=str(self.venv),
                              read_only=True),
                rootfs.Mount(target=base, source=base, read_only=True))

    def user(self) -> tuple[int, int]:
        uid, _, gid = self.config.user.partition(":")
        if not uid.isdigit() or not (gid or uid).isdigit():
            raise DockerfileError(f"Dockerfile: USER {self.config.user}: the sandbox takes "
                                  f"numeric ids only (uid:gid)")
        return int(uid), int(gid or uid)


def run(image: Image, args: tuple[str, ...], scratch: Path, *,
        entrypoint: tuple[str, ...] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`docker run --rm --network none --read-only [--entrypoint E] IMAGE ARGS...`: the entry
    point with `args` (or the image's CMD when both are empty) as the image's user;
    output captured."""
    uid, gid = image.user()
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "root").mkdir(exist_ok=True)
    env = dict(image.config.env)
    env.setdefault("HOME", "/")  # no passwd entry for the image's user
    spec = sandbox.Spec(
        root=str(scratch / "root"), scratch=str(scratch / "overlay"),
        argv=(*(entrypoint or image.config.entrypoint),
              *(args or (() if entrypoint else image.config.cmd))),
        env=tuple(env.items()), cwd=image.config.working_dir, uid=uid, gid=gid,
        hostname="dnsgate", read_only_root=True, no_new_privileges=True,
        drop_all_capabilities=True, image_mounts=image.mounts())
    log = scratch / "output.log"
    log.unlink(missing_ok=True)
    started = sandbox.spawn(log, namespaces=("mount", "uts", "pid", "net"))
    started.configure(spec)
    started.start()
    code = started.helper.wait(timeout)
    return subprocess.CompletedProcess(list(spec.argv), code, log.read_text(), "")
