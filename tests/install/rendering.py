"""What the kustomize base and the chart render, and the normal form they are compared in.

The base and the chart's default render must hold the same objects. They differ on purpose
in exactly these ways, which `normalised` removes and nothing else:
- Helm's own labels on metadata (app.kubernetes.io/instance, managed-by, version,
  helm.sh/chart): they say which release owns an object; the base has no release;
- the settings ConfigMap's name: kustomize appends a hash of its content (so that a change
  rolls the pods); the chart keeps the plain name and puts the hash in a `checksum/settings`
  pod annotation instead, the usual Helm way to the same effect;
- the Namespace: the base creates `dnsgate` with its Pod Security label; a chart does not
  create its release namespace (`helm install --create-namespace`, or Argo CD's
  CreateNamespace with managedNamespaceMetadata for the label: README).
"""

from __future__ import annotations

import copy
import re
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from devstack import kubectl

HELM_LABELS = frozenset({"app.kubernetes.io/instance", "app.kubernetes.io/managed-by",
                         "app.kubernetes.io/version", "helm.sh/chart"})
CHECKSUM_ANNOTATION = re.compile(r"^checksum/")
# kustomize's configMapGenerator suffix: a dash and ten characters of a hash.
GENERATED_SUFFIX = re.compile(r"-[a-z0-9]{10}$")

Key = tuple[str, str, str]  # kind, namespace ("" when cluster-scoped), name
Run = Callable[..., Any]


def documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def kustomize(path: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize path` (no cluster involved)."""
    result = subprocess.run([kubectl.kubectl_path(), "kustomize", str(path)],
                            capture_output=True, text=True, timeout=60, check=True)
    return documents(result.stdout)


IMAGE = ("--set", "image.repository=dnsgate")
"""The image the kustomize base names: the chart names none, and refuses to render without."""


def helm_template(helm: Run, chart: Path, *args: str, release: str = "dnsgate",
                  namespace: str = "dnsgate") -> list[dict[str, Any]]:
    """`helm template` with the base's image and then `args`."""
    return documents(helm("template", release, str(chart), "--namespace", namespace,
                          *IMAGE, *args).stdout)


def key(obj: dict[str, Any]) -> Key:
    metadata = obj["metadata"]
    return obj["kind"], metadata.get("namespace", ""), metadata["name"]


def by_key(objects: Iterable[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    return {key(obj): obj for obj in objects}


def normalised(objects: Iterable[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    """The objects keyed by kind/namespace/name, without the intended differences."""
    result = {}
    for original in objects:
        if original["kind"] == "Namespace":
            continue
        obj = copy.deepcopy(original)
        metadata = obj["metadata"]
        _drop(metadata, "labels", lambda name: name in HELM_LABELS)
        if obj["kind"] == "ConfigMap":
            metadata["name"] = GENERATED_SUFFIX.sub("", metadata["name"])
        template = (obj.get("spec") or {}).get("template")
        if template is not None:
            _drop(template["metadata"], "annotations", CHECKSUM_ANNOTATION.match)
            for container in template["spec"]["containers"]:
                for source in container.get("envFrom", []):
                    if "configMapRef" in source:
                        ref = source["configMapRef"]
                        ref["name"] = GENERATED_SUFFIX.sub("", ref["name"])
        result[key(obj)] = obj
    return result


def _drop(metadata: dict[str, Any], field: str, unwanted: Callable[[str], object]) -> None:
    kept = {k: v for k, v in (metadata.get(field) or {}).items() if not unwanted(k)}
    if kept:
        metadata[field] = kept
    else:
        metadata.pop(field, None)


def deployment(objects: Iterable[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name)


def pod_spec(objects: Iterable[dict[str, Any]], name: str) -> dict[str, Any]:
    spec: dict[str, Any] = deployment(objects, name)["spec"]["template"]["spec"]
    return spec
