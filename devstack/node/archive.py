"""A one-layer image as a docker-archive (the `docker save` layout), written without a
container engine: how the pause binary becomes the sandbox image containerd imports.

The layout: `manifest.json` naming the config and the layer tarballs, the config JSON
(architecture, os, entrypoint, the layers' uncompressed digests), and each layer as a tar.
`ctr images import` reads it (docs/kubelet.md, "The test node").
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path


def _layer(files: dict[str, Path]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, source in files.items():
            info = tarfile.TarInfo(name)
            data = source.read_bytes()
            info.size, info.mode, info.mtime = len(data), 0o755, 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_single_binary_image(binary: Path, tag: str, dest: Path, *,
                              architecture: str = "amd64") -> str:
    """Write an image holding only `binary` at /<name>, run as its entrypoint; return its id
    (the config's sha256), which changes only when the binary does."""
    layer = _layer({binary.name: binary})
    layer_digest = hashlib.sha256(layer).hexdigest()
    config = json.dumps({
        "architecture": architecture, "os": "linux",
        "config": {"Entrypoint": [f"/{binary.name}"], "User": "65535:65535"},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
        "history": [{"created_by": f"dnsgate: {binary.name} from {binary}"}],
    }, sort_keys=True).encode()
    config_digest = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{"Config": f"{config_digest}.json", "RepoTags": [tag],
                            "Layers": [f"{layer_digest}/layer.tar"]}]).encode()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(dest, "w") as tar:
        for name, data in ((f"{layer_digest}/layer.tar", layer),
                           (f"{config_digest}.json", config), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return f"sha256:{config_digest}"
