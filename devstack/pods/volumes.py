"""The files of Secret, ConfigMap and projected volumes, laid out as the kubelet lays them out
(docs/kubelet.md): the files in a timestamped directory, `..data` pointing at it, and one
symlink per top-level name through `..data`, so a reader sees a whole update or none of it.
Writing again (the kubelet's periodic sync of a changed Secret) swaps `..data` in one
rename, then removes the old directory and the names the new payload no longer has.

`payload` is pure: it turns a volume and the objects it names into files and modes. A
missing Secret or ConfigMap is `NotReady` (the kubelet keeps the pod in ContainerCreating and
retries); a missing key is a `ContainerConfigError`.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devstack.pods.env import ContainerConfigError, Objects, PodIdentity
from devstack.pods.spec import Source, Volume


class NotReady(RuntimeError):
    """A volume's source does not exist yet; the pod waits in ContainerCreating."""


@dataclass(frozen=True)
class File:
    path: str
    data: bytes
    mode: int
    owner: int | None = None


def _objects_of(source: Source, objects: Objects) -> dict[str, bytes] | None:
    if source.kind == "secret":
        secret = objects.secrets.get(source.name)
        return None if secret is None else dict(secret)
    config_map = objects.config_maps.get(source.name)
    if config_map is None:
        return None
    return {key: value.encode() if isinstance(value, str) else value
            for key, value in config_map.items()}


def _keyed(source: Source, objects: Objects, default_mode: int) -> list[File]:
    kind = "Secret" if source.kind == "secret" else "ConfigMap"
    data = _objects_of(source, objects)
    if data is None:
        if source.optional:
            return []
        raise NotReady(f"{kind} {objects.namespace}/{source.name} not found")
    if not source.items:
        return [File(key, value, default_mode) for key, value in sorted(data.items())]
    files = []
    for item in source.items:
        if item.key not in data:
            if source.optional:
                continue
            raise ContainerConfigError(f"{kind} {objects.namespace}/{source.name} has no key "
                                       f"{item.key!r} (keys: {', '.join(sorted(data))})")
        files.append(File(item.path, data[item.key], item.mode or default_mode))
    return files


def payload(volume: Volume, pod: PodIdentity, objects: Objects,
            token: Callable[[Source], str], fs_user: int | None) -> tuple[File, ...]:
    """The files of a secret, configMap or projected volume (not of an emptyDir)."""
    files: list[File] = []
    for source in volume.sources:
        if source.kind in ("secret", "configMap"):
            files.extend(_keyed(source, objects, volume.default_mode))
        elif source.kind == "downwardAPI":
            files.extend(File(item.path, pod.field(item.key).encode(),
                              item.mode or volume.default_mode) for item in source.items)
        else:  # serviceAccountToken: 0600 and owned by the pods' user when it has one
            mode = 0o600 if fs_user is not None else volume.default_mode
            files.append(File(source.items[0].path, token(source).encode(), mode, fs_user))
    return tuple(files)


def write(directory: Path, files: tuple[File, ...]) -> None:
    """Write `files` into `directory` as the kubelet's atomic writer does, replacing a
    previous payload in one rename."""
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "..data"
    previous = os.readlink(link) if link.is_symlink() else None
    stamp = dt.datetime.now(dt.UTC).strftime("..%Y_%m_%d_%H_%M_%S.")
    data_dir = Path(tempfile.mkdtemp(prefix=stamp, dir=directory))
    data_dir.chmod(0o755)
    for file in files:
        target = data_dir / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.data)
        target.chmod(file.mode)
        if file.owner is not None:
            os.chown(target, file.owner, -1)
    staging = directory / "..data_tmp"
    staging.unlink(missing_ok=True)
    staging.symlink_to(data_dir.name)
    staging.rename(link)
    names = {file.path.split("/")[0] for file in files}
    for top in sorted(names):
        visible = directory / top
        if not visible.is_symlink():
            visible.symlink_to(f"..data/{top}")
    for entry in directory.iterdir():
        if not entry.name.startswith("..") and entry.name not in names:
            entry.unlink()
    if previous is not None and previous != data_dir.name:
        shutil.rmtree(directory / previous, ignore_errors=True)


def decode_secret(data: dict[str, str] | None) -> dict[str, bytes]:
    return {key: base64.b64decode(value) for key, value in (data or {}).items()}
