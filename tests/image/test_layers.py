"""Layer order: a change to dnsgate's source rebuilds only the last layer, on both
architectures, so the dependencies (most of the image) are neither reinstalled nor pushed
again (docs/container-image.md, "Layer order")."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from devstack import imagebase, imagebuild, imagestore
from tests.image import layers

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

PROJECT_TOP = ("dnsgate/", "webhook/", "reconciler/", "certs/", "dnsgate-0.1.0.dist-info/")


def _changed_context(directory: Path) -> Path:
    """The build context as it is, with one module of dnsgate's source changed."""
    imagebuild.stage_context(imagebuild.ROOT, directory)
    with open(directory / "dnsgate" / "cli.py", "a") as handle:
        # New every run, so the build cache cannot hold the changed layer already.
        handle.write(f"\n# a source change {uuid.uuid4()}\n")
    return directory


def _project_file(path: str) -> bool:
    site = path.split("/site-packages/", 1)
    return path == "opt/dnsgate/bin/dnsgate" or (
        len(site) == 2 and site[1].startswith(PROJECT_TOP)
    )


@pytest.mark.parametrize("arch", imagebuild.ARCHES)
def test_source_change_rebuilds_only_the_last_layer(arch: str, tmp_path: Path) -> None:
    built = imagebuild.ensure_image(arch)
    context = _changed_context(tmp_path / "context")
    tag = f"localhost/dnsgate-test:{arch}-{tmp_path.name[-8:]}"
    started = time.monotonic()
    rebuilt = imagebuild.build(arch, base=imagebase.reference(arch), context=context, tag=tag,
                               progress=lambda line: None)
    elapsed = time.monotonic() - started
    sys.__stderr__.write(f"[dnsgate image] {arch} rebuild after a source change: "
                         f"{elapsed:.0f} s\n")
    try:
        before, after = layers.layer_ids(built), layers.layer_ids(rebuilt)
        assert len(after) == len(before)
        assert after[:-1] == before[:-1], "a layer below the last one was rebuilt"
        assert after[-1] != before[-1]
        last = layers.layer_members(rebuilt, tmp_path / "layers")[-1]
        assert "opt/dnsgate/bin/dnsgate" in last
        assert {path for path in last if not _project_file(path)} == set()
    finally:
        # Only the tag: its build's cached steps (dnsgate's files, a few MB) stay as layer
        # cache, since other worktrees build in the same storage and their images look alike.
        subprocess.run(["podman", "rmi", "--force", tag], env=imagestore.environment(),
                       capture_output=True, check=False)
