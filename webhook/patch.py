"""The JSON patch (RFC 6902) that adds annotations to an object, as kube-apiserver applies it.

Written out directly, one operation per added key, so its cost does not grow with the
annotations the object already has (a diff of the whole map, as the jsonpatch library makes
it, costs about a microsecond per existing key: 35 ms for a body of 30,000 keys):
- no `metadata.annotations`: `add` of the whole map (a pointer into a missing map would
  fail);
- a `null` map: `replace` of it with the whole map;
- otherwise one `add` per key, the "/" inside annotation keys escaped as "~1" and "~" as
  "~0" (RFC 6901).
"""

from collections.abc import Mapping
from typing import Any

ANNOTATIONS = "/metadata/annotations"


def add_annotations(obj: Mapping[str, Any], added: Mapping[str, str]) -> list[dict[str, Any]]:
    metadata = obj.get("metadata") or {}
    if "annotations" not in metadata:
        return [{"op": "add", "path": ANNOTATIONS, "value": dict(added)}]
    if metadata["annotations"] is None:
        return [{"op": "replace", "path": ANNOTATIONS, "value": dict(added)}]
    return [{"op": "add", "path": f"{ANNOTATIONS}/{_escaped(key)}", "value": value}
            for key, value in added.items()]


def _escaped(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
