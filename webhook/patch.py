"""The JSON patch (RFC 6902) that adds annotations to an object, as kube-apiserver applies it.

Built with the jsonpatch library by diffing the object against its annotated copy: that
yields `add /metadata/annotations` with the whole map when the object has no annotations
(a pointer into a missing map would fail), one `add` per key otherwise, and escapes the "/"
inside annotation keys as "~1" (RFC 6901).
"""

import copy
from collections.abc import Mapping
from typing import Any

import jsonpatch


def add_annotations(obj: Mapping[str, Any], added: Mapping[str, str]) -> list[dict[str, Any]]:
    patched = copy.deepcopy(dict(obj))
    metadata = patched.get("metadata") or {}
    patched["metadata"] = {**metadata, "annotations": {**(metadata.get("annotations") or {}),
                                                       **added}}
    operations: list[dict[str, Any]] = jsonpatch.make_patch(dict(obj), patched).patch
    return operations
