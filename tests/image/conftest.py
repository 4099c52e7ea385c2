"""The image built from the Dockerfile by buildah, per architecture, through the cached API
(`devstack.imagebuild`): a first run builds it (the arm64 one under QEMU, minutes), later
runs find it in ~/.cache/dnsgate/containers. `make test` builds both before pytest starts.
"""

from __future__ import annotations

import sys

import pytest

from devstack import imagebuild


def _progress(line: str) -> None:
    # Past pytest's capture: a first build takes minutes and must not look like a hang.
    sys.__stderr__.write(f"[dnsgate image] {line}\n")
    sys.__stderr__.flush()


@pytest.fixture(scope="session")
def amd64_image() -> str:
    return imagebuild.ensure_image("amd64", _progress)


@pytest.fixture(scope="session")
def arm64_image() -> str:
    return imagebuild.ensure_image("arm64", _progress)


@pytest.fixture(scope="session")
def manifest_ids() -> dict[str, str]:
    return imagebuild.ensure_manifest(_progress)
