"""Ingresses for tests and the demo: applied with kubectl, and given a load balancer address
the way an ingress controller gives one (a status write through the status subresource).
No ingress controller runs here; `assign` plays its part, as `devstack.metallb` plays
MetalLB's for Services."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from devstack import kubectl
from devstack.metallb import ensure_namespace, ingress_entries


def manifest(namespace: str, name: str, *, hosts: Sequence[str] = (),
             tls_hosts: Sequence[str] = (), annotations: Mapping[str, str] | None = None,
             class_name: str = "") -> dict[str, Any]:
    """A networking.k8s.io/v1 Ingress: one rule per host, each sending / to Service `web`,
    and one TLS section listing `tls_hosts`."""
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations is not None:
        metadata["annotations"] = dict(annotations)
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    spec: dict[str, Any] = {"rules": [
        {"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": backend}]}} for host in hosts]}
    if not hosts:
        spec["defaultBackend"] = backend
    if tls_hosts:
        spec["tls"] = [{"hosts": list(tls_hosts), "secretName": f"{name}-tls"}]
    if class_name:
        spec["ingressClassName"] = class_name
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata,
            "spec": spec}


def apply(kubeconfig: Path | str, ingress: Mapping[str, Any], *, check: bool = True) -> Any:
    """`kubectl apply` the Ingress; returns kubectl's completed process."""
    ensure_namespace(kubeconfig, ingress["metadata"]["namespace"])
    return kubectl.run(kubeconfig, "apply", "-f", "-", input=json.dumps(ingress), check=check)


def assign(kubeconfig: Path | str, namespace: str, name: str, addresses: Sequence[str]) -> None:
    """Set `status.loadBalancer.ingress` as an ingress controller does."""
    patch = {"status": {"loadBalancer": {"ingress": ingress_entries(addresses)}}}
    kubectl.run(kubeconfig, "-n", namespace, "patch", "ingress", name,
                "--subresource=status", "--type=merge", "-p", json.dumps(patch))
