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


class Unreadable(dict[str, str]):
    """An annotation map that fails any attempt to go through its keys."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the patch read the existing annotations")

    def keys(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the patch read the existing annotations")

    def items(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the patch read the existing annotations")


def test_the_patch_costs_the_same_whatever_annotations_the_object_has() -> None:
    existing = Unreadable({f"team.example.com/k{i}": "v" for i in range(30_000)})

    operations = add_annotations({"metadata": {"annotations": existing}}, {TTL: "60"})

    assert operations == [{"op": "add", "value": "60",
                           "path": "/metadata/annotations/external-dns.alpha.kubernetes.io~1ttl"}]
