"""The AdmissionReview bodies the admission scenario sends, and the check that each gets the
verdict its row is labelled with: a new Service whose name nobody claims (admitted), and,
with claims loaded, one asking for a name another Service holds (refused).
"""

from __future__ import annotations

import json
import ssl
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import cluster as cluster_mod


def review_body(namespace: str, name: str, hostname: str | None = None) -> bytes:
    """A Service CREATE review as kube-apiserver v1.36 sends it (no ttl: /mutate patches),
    for `hostname` (by default <name>.<namespace>.<zone>)."""
    service = {
        "kind": "Service", "apiVersion": "v1",
        "metadata": {
            "name": name, "namespace": namespace, "uid": str(uuid.uuid4()),
            "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": name},
            "annotations": {cluster_mod.HOSTNAME: hostname
                            or cluster_mod.hostname(namespace, name)},
        },
        "spec": {
            "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
            "selector": {"app": name}, "clusterIP": "10.96.12.34", "clusterIPs": ["10.96.12.34"],
            "type": "LoadBalancer", "sessionAffinity": "None", "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack", "allocateLoadBalancerNodePorts": True,
            "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster",
        },
        "status": {"loadBalancer": {}},
    }
    group_version = {"group": "", "version": "v1"}
    review = {
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": str(uuid.uuid4()),
            "kind": {**group_version, "kind": "Service"},
            "resource": {**group_version, "resource": "services"},
            "requestKind": {**group_version, "kind": "Service"},
            "requestResource": {**group_version, "resource": "services"},
            "name": name, "namespace": namespace, "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin",
                         "groups": ["system:masters", "system:authenticated"]},
            "object": service, "oldObject": None, "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1",
                        "fieldManager": "kubectl-client-side-apply"},
        },
    }
    return json.dumps(review).encode()



@dataclass(frozen=True)
class Body:
    """One review body the load generators send, and the verdict it must get."""

    label: str  # "/validate (admitted)"
    path: str  # "validate" or "mutate"
    file: Path
    allowed: bool


def bodies(state: Path, claims_namespace: str, claims: int) -> list[Body]:
    """A new Service whose name nobody claims, on /validate and /mutate; with claims loaded,
    also one asking for a name svc-0 holds (refused, as a real cluster sees sometimes)."""
    admitted = state / "review.json"
    admitted.write_bytes(review_body("bench-admission", "httpbin"))
    found = [Body("/validate (admitted)", "validate", admitted, True),
             Body("/mutate", "mutate", admitted, True)]
    if claims:
        refused = state / "review-claimed.json"
        refused.write_bytes(review_body("bench-admission", "intruder",
                                        cluster_mod.hostname(claims_namespace, "svc-0")))
        found.insert(1, Body("/validate (refused: name claimed)", "validate", refused, False))
    return found


def check_verdicts(port: int, ca: Path, sent: Sequence[Body]) -> None:
    """The bench's premise: each body gets the verdict its row says."""
    context = ssl.create_default_context(cafile=str(ca))
    for body in sent:
        request = urllib.request.Request(
            f"https://127.0.0.1:{port}/{body.path}", data=body.file.read_bytes(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10, context=context) as reply:
            allowed = json.loads(reply.read())["response"]["allowed"]
        if allowed != body.allowed:
            raise RuntimeError(f"{body.label}: the webhook answered allowed={allowed}; the "
                               f"scenario needs allowed={body.allowed}")
