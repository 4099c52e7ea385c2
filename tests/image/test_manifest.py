"""`localhost/dnsgate:dev` is a manifest list of both architectures' images, as a
multi-platform `docker buildx build` pushes it."""

from __future__ import annotations

import json

import pytest

from devstack import imagebuild, imagestore

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]


def test_manifest_list_holds_both_architectures(manifest_ids: dict[str, str]) -> None:
    listed = json.loads(imagestore.run(["buildah", "manifest", "inspect", imagebuild.MANIFEST]))
    platforms = {(entry["platform"]["os"], entry["platform"]["architecture"]): entry["digest"]
                 for entry in listed["manifests"]}
    assert set(platforms) == {("linux", "amd64"), ("linux", "arm64")}
    for arch, image in manifest_ids.items():
        digest = imagestore.inspect(image)["Digest"]
        assert platforms[("linux", arch)] == digest, arch
