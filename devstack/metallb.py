"""Play MetalLB's part: create LoadBalancer Services and assign their ingress IPs.

MetalLB writes `status.loadBalancer.ingress` through the Service's status subresource; so do
these helpers (`kubectl patch --subresource=status`), so the reconciler sees exactly the
watch events it would see in the seed's cluster.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from devstack import kubectl


def service_manifest(
    namespace: str,
    name: str,
    annotations: Mapping[str, str] | None = None,
    *,
    service_type: str = "LoadBalancer",
    port: int = 80,
    spec: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """A Service manifest; `spec` adds fields (`clusterIP: None`, `externalName`, ...)."""
    metadata: dict[str, object] = {"name": name, "namespace": namespace}
    if annotations is not None:
        metadata["annotations"] = dict(annotations)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            "type": service_type,
            "selector": {"app": name},
            "ports": [{"name": "http", "port": port, "targetPort": 8080, "protocol": "TCP"}],
            **(spec or {}),
        },
    }


def ensure_namespace(kubeconfig: Path | str, namespace: str) -> None:
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    kubectl.run(kubeconfig, "apply", "-f", "-", input=json.dumps(manifest))


def create_service(
    kubeconfig: Path | str,
    namespace: str,
    name: str,
    annotations: Mapping[str, str] | None = None,
    *,
    service_type: str = "LoadBalancer",
    spec: Mapping[str, object] | None = None,
) -> None:
    ensure_namespace(kubeconfig, namespace)
    manifest = service_manifest(namespace, name, annotations, service_type=service_type,
                                spec=spec)
    kubectl.run(kubeconfig, "apply", "-f", "-", input=json.dumps(manifest))


def ingress_entries(addresses: Sequence[str]) -> list[dict[str, str]]:
    """IPs become `{"ip": ...}`, anything else `{"hostname": ...}` (as cloud LBs report)."""
    entries = []
    for address in addresses:
        key = "ip" if _is_ip(address) else "hostname"
        entries.append({key: address})
    return entries


def assign(kubeconfig: Path | str, namespace: str, name: str, addresses: Sequence[str]) -> None:
    """Set `status.loadBalancer.ingress` as MetalLB would (an empty list clears it)."""
    patch = {"status": {"loadBalancer": {"ingress": ingress_entries(addresses)}}}
    kubectl.run(
        kubeconfig, "-n", namespace, "patch", "service", name,
        "--subresource=status", "--type=merge", "-p", json.dumps(patch),
    )


def _is_ip(address: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
