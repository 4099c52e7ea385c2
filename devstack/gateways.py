"""Gateway API objects for tests and the demo: a GatewayClass, Gateways and the five route
kinds, applied with kubectl; and the gateway controller's part, which no process plays here.

A gateway controller writes two things dnsgate reads, each through the status subresource
(so a `kubectl apply` of the object never changes them): a Gateway's `status.addresses`
(`assign`) and, on each route, one `status.parents[]` entry per Gateway that accepted it, with
the controller's name and an `Accepted` condition for the route's current generation
(`accept`). These helpers write both the way a controller does, as `devstack.metallb` plays
MetalLB's part for Services. The CRDs must be installed first (`devstack.gatewayapi.install`).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack import kubectl
from devstack.metallb import ensure_namespace

GROUP = "gateway.networking.k8s.io"
CONTROLLER = "dnsgate.io/devstack-gateway"
"""The controllerName of the GatewayClass these helpers act for (a domain-prefixed path, as
the CRD requires)."""
CLASS = "dnsgate-devstack"


@dataclass(frozen=True)
class RouteKind:
    kind: str
    api_version: str
    """The version ExternalDNS v0.23.0 watches this kind at (docs/gateway-api.md)."""
    resource: str
    hostnames: bool
    """Whether the kind has spec.hostnames (TCPRoute and UDPRoute have none)."""


ROUTES: Mapping[str, RouteKind] = {route.kind: route for route in (
    RouteKind("HTTPRoute", f"{GROUP}/v1", "httproutes", True),
    RouteKind("GRPCRoute", f"{GROUP}/v1", "grpcroutes", True),
    RouteKind("TLSRoute", f"{GROUP}/v1", "tlsroutes", True),
    RouteKind("TCPRoute", f"{GROUP}/v1alpha2", "tcproutes", False),
    RouteKind("UDPRoute", f"{GROUP}/v1alpha2", "udproutes", False),
)}


@dataclass(frozen=True)
class Listener:
    name: str
    protocol: str = "HTTP"
    port: int = 80
    hostname: str = ""
    namespaces: str = "Same"
    """allowedRoutes.namespaces.from: Same, All or Selector."""
    selector: tuple[tuple[str, str], ...] = ()
    """With "Selector": the namespace labels routes' namespaces must carry."""

    def manifest(self) -> dict[str, Any]:
        allowed: dict[str, Any] = {"from": self.namespaces}
        if self.namespaces == "Selector":
            allowed["selector"] = {"matchLabels": dict(self.selector)}
        found: dict[str, Any] = {"name": self.name, "protocol": self.protocol,
                                 "port": self.port, "allowedRoutes": {"namespaces": allowed}}
        if self.hostname:
            found["hostname"] = self.hostname
        return found


@dataclass(frozen=True)
class Parent:
    """A route's parentRef to a Gateway; namespace "" leaves it to the route's own."""

    name: str
    namespace: str = ""
    section: str = ""
    port: int | None = None

    def ref(self) -> dict[str, Any]:
        found: dict[str, Any] = {"group": GROUP, "kind": "Gateway", "name": self.name}
        if self.namespace:
            found["namespace"] = self.namespace
        if self.section:
            found["sectionName"] = self.section
        if self.port is not None:
            found["port"] = self.port
        return found


def gateway_class(name: str = CLASS, controller: str = CONTROLLER) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "GatewayClass", "metadata": {"name": name},
            "spec": {"controllerName": controller}}


def gateway(namespace: str, name: str, listeners: Sequence[Listener] = (Listener("http"),), *,
            class_name: str = CLASS, labels: Mapping[str, str] | None = None,
            annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Gateway",
            "metadata": _metadata(namespace, name, labels, annotations),
            "spec": {"gatewayClassName": class_name,
                     "listeners": [listener.manifest() for listener in listeners]}}


def route(kind: str, namespace: str, name: str, parents: Sequence[Parent], *,
          hostnames: Sequence[str] = (), labels: Mapping[str, str] | None = None,
          annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A route of `kind` ("HTTPRoute", ...) sending to Service `web` port 80."""
    shape = ROUTES[kind]
    if hostnames and not shape.hostnames:
        raise ValueError(f"{kind} has no spec.hostnames; got {list(hostnames)}")
    spec: dict[str, Any] = {"parentRefs": [parent.ref() for parent in parents],
                            "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {"apiVersion": shape.api_version, "kind": kind,
            "metadata": _metadata(namespace, name, labels, annotations), "spec": spec}


def apply(kubeconfig: Path | str, manifest: Mapping[str, Any], *, check: bool = True) -> Any:
    """`kubectl apply` one object (its namespace created first); kubectl's completed process."""
    namespace = manifest["metadata"].get("namespace")
    if namespace:
        ensure_namespace(kubeconfig, namespace)
    return kubectl.run(kubeconfig, "apply", "-f", "-", input=json.dumps(manifest), check=check)


def address_entries(addresses: Sequence[str]) -> list[dict[str, str]]:
    """IPs become type IPAddress, anything else type Hostname (as a cloud load balancer)."""
    return [{"type": "IPAddress" if _is_ip(address) else "Hostname", "value": address}
            for address in addresses]


def assign(kubeconfig: Path | str, namespace: str, name: str, addresses: Sequence[str]) -> None:
    """Set the Gateway's `status.addresses` as its controller does (empty clears them)."""
    patch = {"status": {"addresses": address_entries(addresses)}}
    kubectl.run(kubeconfig, "-n", namespace, "patch", f"gateways.{GROUP}", name,
                "--subresource=status", "--type=merge", "-p", json.dumps(patch))


def accept(kubeconfig: Path | str, kind: str, namespace: str, name: str,
           parents: Sequence[Parent], *, accepted: bool = True,
           controller: str = CONTROLLER) -> None:
    """Write the route's `status.parents` for these Gateways as `controller` does: one entry
    per parent with an Accepted condition for the route's current generation. Entries of
    other controllers are kept; this controller's others are replaced. The patch carries the
    resourceVersion read, so a concurrent writer makes it fail instead of being overwritten."""
    resource = f"{ROUTES[kind].resource}.{GROUP}"
    current = json.loads(kubectl.run(kubeconfig, "-n", namespace, "get", resource, name,
                                     "-o", "json").stdout)
    entries = (current.get("status") or {}).get("parents") or ()
    others = [entry for entry in entries if entry.get("controllerName") != controller]
    before = {json.dumps(entry["parentRef"], sort_keys=True): entry for entry in entries
              if entry.get("controllerName") == controller}
    ours = [{"parentRef": parent.ref(), "controllerName": controller,
             "conditions": [_accepted(accepted, current["metadata"]["generation"],
                                      before.get(json.dumps(parent.ref(), sort_keys=True)))]}
            for parent in parents]
    patch = {"metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
             "status": {"parents": others + ours}}
    kubectl.run(kubeconfig, "-n", namespace, "patch", resource, name,
                "--subresource=status", "--type=merge", "-p", json.dumps(patch))


def _accepted(accepted: bool, generation: int, before: Mapping[str, Any] | None
              ) -> dict[str, Any]:
    """The Accepted condition; its lastTransitionTime moves only when its status changes, as
    the Kubernetes API conventions ask of every condition."""
    status = "True" if accepted else "False"
    earlier = [c for c in (before or {}).get("conditions", ()) if c.get("type") == "Accepted"]
    transition = (earlier[0]["lastTransitionTime"] if earlier and earlier[0]["status"] == status
                  else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return {"type": "Accepted", "status": status,
            "reason": "Accepted" if accepted else "NotAllowedByListeners",
            "message": "Route is accepted" if accepted
            else "No listener of the Gateway allows this route",
            "observedGeneration": generation, "lastTransitionTime": transition}


def _metadata(namespace: str, name: str, labels: Mapping[str, str] | None,
              annotations: Mapping[str, str] | None) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        found["labels"] = dict(labels)
    if annotations is not None:
        found["annotations"] = dict(annotations)
    return found


def _is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
