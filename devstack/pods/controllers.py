"""What the controllers would make of a workload: how many pods, from which template, and
the EndpointSlices of the Services that select them. Pure functions over stored objects.

Deployments become `replicas` pods (the ReplicaSet step folded in: one revision, nothing
to roll), Jobs one pod run to completion. Workload fields are read strictly, like pod specs
(`devstack.pods.strict`); other workload kinds are refused.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from devstack.pods.strict import Fields, Unsupported

MANAGED_BY = "devstack.pods"
NO_ROLLOUT = "one revision per run: there is nothing to roll out or roll back"
NO_CLEANUP = "finished Jobs are not cleaned up by the runner"


@dataclass(frozen=True)
class Workload:
    kind: str  # Deployment or Job
    namespace: str
    name: str
    uid: str
    replicas: int
    template: Mapping[str, Any]  # metadata and spec of the pod template
    backoff_limit: int = 0


def _template(fields: Fields) -> dict[str, Any]:
    template = fields.sub("template")
    if template is None:
        raise Unsupported(f"{fields.path}.template: missing")
    metadata = template.sub("metadata")
    labels = annotations = {}
    if metadata is not None:
        labels, annotations = metadata.value("labels", {}), metadata.value("annotations", {})
        metadata.not_emulated("creationTimestamp", why="set by the apiserver")
    # The pod spec itself is read strictly once the apiserver has stored the pod.
    return {"metadata": {"labels": labels, "annotations": annotations},
            "spec": copy.deepcopy(template.value("spec"))}


def _job_spec(fields: Fields) -> tuple[int, dict[str, Any]]:
    for key, allowed in (("completions", (None, 1)), ("parallelism", (None, 1)),
                         ("completionMode", (None, "NonIndexed")), ("suspend", (None, False))):
        fields.one_of(key, allowed, None)
    for other in ("activeDeadlineSeconds", "podFailurePolicy", "successPolicy",
                  "backoffLimitPerIndex", "maxFailedIndexes"):
        fields.refuse(other, "not implemented by the pod runner")
    fields.not_emulated("ttlSecondsAfterFinished", why=NO_CLEANUP)
    fields.not_emulated("selector", "manualSelector", "podReplacementPolicy",
                        why="the runner makes the one pod itself")
    return fields.value("backoffLimit", 6), _template(fields)


def read(obj: Mapping[str, Any]) -> Workload:
    """A stored Deployment or Job."""
    kind, metadata = obj["kind"], obj["metadata"]
    fields = Fields(obj["spec"], f"{kind} {metadata['namespace']}/{metadata['name']}: spec")
    if kind == "Deployment":
        fields.one_of("paused", (None, False), None)
        fields.one_of("minReadySeconds", (None, 0), None)
        fields.not_emulated("strategy", "revisionHistoryLimit", "progressDeadlineSeconds",
                            why=NO_ROLLOUT)
        fields.value("selector")  # the apiserver checked it matches the template
        replicas, backoff, template = fields.value("replicas", 1), 0, _template(fields)
    elif kind == "Job":
        replicas = 1
        backoff, template = _job_spec(fields)
    else:
        raise Unsupported(f"{kind} {metadata['name']}: the runner runs Deployments and Jobs")
    fields.finish()
    return Workload(kind, metadata["namespace"], metadata["name"], metadata.get("uid", ""),
                    replicas, template, backoff)


def template_hash(template: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return digest[:10]


def pod_manifest(workload: Workload) -> dict[str, Any]:
    """A pod of `workload`, for the apiserver to name (generateName), default and admit."""
    labels = dict(workload.template["metadata"]["labels"] or {})
    if workload.kind == "Deployment":
        labels["pod-template-hash"] = template_hash(workload.template)
        prefix = f"{workload.name}-{labels['pod-template-hash']}-"
    else:
        labels.setdefault("job-name", workload.name)
        prefix = f"{workload.name}-"
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"generateName": prefix, "namespace": workload.namespace,
                         "labels": labels,
                         "annotations": dict(workload.template["metadata"]["annotations"] or {})},
            "spec": copy.deepcopy(workload.template["spec"])}


@dataclass(frozen=True)
class Endpoint:
    pod_name: str
    pod_ip: str
    labels: Mapping[str, str]
    ports: Mapping[str, int]  # the container's named ports
    ready: bool
    terminating: bool = False


def selects(service: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    selector = service["spec"].get("selector") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def endpoint_slice(service: Mapping[str, Any], endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    """The EndpointSlice the EndpointSlice controller keeps for `service` and its pods."""
    name, namespace = service["metadata"]["name"], service["metadata"]["namespace"]
    chosen = [e for e in endpoints if selects(service, e.labels)]
    ports = []
    for port in service["spec"]["ports"]:
        target = port.get("targetPort", port["port"])
        if isinstance(target, str):
            numbers = {e.ports[target] for e in chosen if target in e.ports}
            if len(numbers) > 1:
                raise Unsupported(f"Service {namespace}/{name}: targetPort {target!r} means "
                                  f"different ports in different pods: {sorted(numbers)}")
            target = numbers.pop() if numbers else 0
        ports.append({"name": port.get("name", ""), "port": target,
                      "protocol": port.get("protocol", "TCP")})
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": f"{name}-{MANAGED_BY.replace('.', '-')}", "namespace": namespace,
                     "labels": {"kubernetes.io/service-name": name,
                                "endpointslice.kubernetes.io/managed-by": MANAGED_BY}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [e.pod_ip],
                       "conditions": {"ready": e.ready and not e.terminating,
                                      "serving": e.ready, "terminating": e.terminating},
                       "targetRef": {"kind": "Pod", "namespace": namespace,
                                     "name": e.pod_name}} for e in chosen],
        "ports": ports,
    }
