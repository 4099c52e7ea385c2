"""The annotation JSON patch, with and without an annotations map (RFC 6902/6901)."""

from typing import Any

import jsonpatch
import pytest

from webhook.patch import add_annotations

TTL = "external-dns.alpha.kubernetes.io/ttl"


@pytest.mark.parametrize(("metadata", "operations"), [
    ({"name": "x"},
     [{"op": "add", "path": "/metadata/annotations", "value": {TTL: "60"}}]),
    ({"name": "x", "annotations": None},
     [{"op": "replace", "path": "/metadata/annotations", "value": {TTL: "60"}}]),
    ({"name": "x", "annotations": {"team": "web"}},
     [{"op": "add", "path": "/metadata/annotations/external-dns.alpha.kubernetes.io~1ttl",
       "value": "60"}]),
], ids=["no-map", "null-map", "existing-map"])
def test_patch_shape(metadata: dict[str, Any], operations: list[dict[str, Any]]) -> None:
    assert add_annotations({"metadata": metadata}, {TTL: "60"}) == operations


def test_tilde_and_slash_in_keys_are_escaped() -> None:
    obj = {"metadata": {"annotations": {"a": "b"}}}

    operations = add_annotations(obj, {"x~y/z": "1"})

    assert operations == [{"op": "add", "path": "/metadata/annotations/x~0y~1z", "value": "1"}]
    assert jsonpatch.apply_patch(obj, operations)["metadata"]["annotations"] == {
        "a": "b", "x~y/z": "1"}
