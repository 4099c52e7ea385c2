"""The JSON patch (RFC 6902) that adds annotations to an object, as kube-apiserver applies it.

Built with the jsonpatch library by diffing the object's annotations against the annotated
map: that yields `add /metadata/annotations` with the whole map when the object has no
annotations (a pointer into a missing map would fail), one `add` per key otherwise, and
escapes the "/" inside annotation keys as "~1" (RFC 6901). Only `metadata.annotations` is
diffed, never the whole object: a deep copy and diff of a full Service cost /mutate two thirds
of its throughput (BENCHMARKS.md).
"""

from collections.abc import Mapping
from typing import Any

import jsonpatch


def add_annotations(obj: Mapping[str, Any], added: Mapping[str, str]) -> list[dict[str, Any]]:
    metadata = obj.get("metadata") or {}
    current = metadata.get("annotations")
    # A present-but-null map stays in `before`, so the diff replaces it rather than adding.
    before = {"metadata": {"annotations": current} if "annotations" in metadata else {}}
    after = {"metadata": {"annotations": {**(current or {}), **added}}}
    operations: list[dict[str, Any]] = jsonpatch.make_patch(before, after).patch
    return operations
