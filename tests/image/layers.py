"""An image's layers as file lists, read from a copy `skopeo` writes out of the storage."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from devstack import imagestore


def layer_ids(image: str) -> tuple[str, ...]:
    rootfs = imagestore.inspect(image)["RootFS"]
    assert isinstance(rootfs, dict)
    return tuple(rootfs["Layers"])


def layer_members(image: str, directory: Path) -> tuple[frozenset[str], ...]:
    """Each layer's files and links (paths without a leading ./ or /), base layers first;
    directories are left out, since a layer lists every parent of what it adds."""
    imagestore.run(["skopeo", "copy", "--quiet", f"containers-storage:{image}",
                    f"dir:{directory}"])
    manifest = json.loads((directory / "manifest.json").read_text())
    result = []
    for layer in manifest["layers"]:
        blob = directory / layer["digest"].removeprefix("sha256:")
        with tarfile.open(blob, mode="r:*") as tar:
            result.append(frozenset(member.name.removeprefix("./").lstrip("/")
                                    for member in tar.getmembers() if not member.isdir()))
    return tuple(result)
