"""Many Gateway API routes, fast: Gateways and HTTPRoutes created with the kubernetes client
from a thread pool, with the statuses a gateway controller writes.

A gateway controller writes two things through the status subresource: a Gateway's
`status.addresses` and, on each route, a `status.parents` entry with `Accepted=True` for the
Gateway that attached it (docs/gateway-api.md). No controller runs here, so the bench writes
both, the same merge patches a controller sends; a route's hostnames change by a merge patch
of its spec, as `kubectl apply` of an edited manifest would.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import cluster
from devstack import kubectl

GROUP = "gateway.networking.k8s.io"
VERSION = "v1"
CONTROLLER = "dnsgate.io/bench-gateway"
CLASS = "bench"
CRDS = Path("/root/go/pkg/mod/sigs.k8s.io/gateway-api@v1.6.2/config/crd/experimental")
CRD_RESOURCES = ("gatewayclasses", "gateways", "httproutes")
THREADS = cluster.THREADS


def route_host(namespace: str, name: str, revision: int = 0) -> str:
    """The route's hostname; each rename gives it a new revision."""
    first = name if revision == 0 else f"{name}-v{revision}"
    return f"{first}.{namespace}.{cluster.ZONE}"


def gateway_of(index: int, gateways: int) -> str:
    """Routes are dealt out to the Gateways in turn: route i is attached to gw-(i mod G)."""
    return f"gw-{index % gateways}"


def install_crds(kubeconfig: Path) -> None:
    """The Gateway API v1.6.2 CRDs ExternalDNS v0.23.0 reads, and the bench's GatewayClass."""
    files = [arg for name in CRD_RESOURCES for arg in ("-f", str(CRDS / f"{GROUP}_{name}.yaml"))]
    kubectl.run(kubeconfig, "apply", "--server-side", "--force-conflicts", *files, timeout=300)
    kubectl.run(kubeconfig, "wait", "--for=condition=Established", "--timeout=300s",
                *(f"crd/{name}.{GROUP}" for name in CRD_RESOURCES), timeout=330)


class Routes:
    def __init__(self, kubeconfig: Path) -> None:
        from kubernetes import client, config

        api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig))
        api_client.configuration.connection_pool_maxsize = THREADS * 2
        self.custom: Any = client.CustomObjectsApi(api_client)
        self.kubeconfig = kubeconfig

    def setup(self) -> None:
        install_crds(self.kubeconfig)
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "GatewayClass",
                "metadata": {"name": CLASS}, "spec": {"controllerName": CONTROLLER}}
        from kubernetes.client.exceptions import ApiException

        try:
            self.custom.create_cluster_custom_object(GROUP, VERSION, "gatewayclasses", body)
        except ApiException as exc:
            if exc.status != 409:  # a second scale in the same run finds it there
                raise

    def create_gateways(self, namespace: str, addresses: Sequence[str]) -> list[str]:
        """One Gateway per address (gw-<i>), an HTTP listener for its namespace's routes."""
        names = [f"gw-{i}" for i in range(len(addresses))]
        for name, address in zip(names, addresses, strict=True):
            listener = {"name": "http", "protocol": "HTTP", "port": 80,
                        "allowedRoutes": {"namespaces": {"from": "Same"}}}
            self.custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, "gateways",
                {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Gateway",
                 "metadata": {"name": name, "namespace": namespace},
                 "spec": {"gatewayClassName": CLASS, "listeners": [listener]}})
            self.assign(namespace, name, address)
        return names

    def assign(self, namespace: str, gateway: str, address: str) -> None:
        """The Gateway's address, as its controller reports it."""
        self.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, namespace, "gateways", gateway,
            {"status": {"addresses": [{"type": "IPAddress", "value": address}]}})

    def create_routes(self, namespace: str, count: int, gateways: int) -> list[str]:
        """`count` HTTPRoutes (route-<i>), each attached to and accepted by one Gateway."""
        names = [f"route-{i}" for i in range(count)]

        def one(index: int) -> None:
            name = names[index]
            ref = {"group": GROUP, "kind": "Gateway", "name": gateway_of(index, gateways)}
            self.custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, "httproutes",
                {"apiVersion": f"{GROUP}/{VERSION}", "kind": "HTTPRoute",
                 "metadata": {"name": name, "namespace": namespace,
                              # TTL set explicitly so that every controller writes the same.
                              "annotations": {cluster.TTL: "60"}},
                 "spec": {"parentRefs": [ref], "hostnames": [route_host(namespace, name)],
                          "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}})
            accepted = {"type": "Accepted", "status": "True", "reason": "Accepted",
                        "message": "Route is accepted", "observedGeneration": 1,
                        "lastTransitionTime": "2026-01-01T00:00:00Z"}
            self.custom.patch_namespaced_custom_object_status(
                GROUP, VERSION, namespace, "httproutes", name,
                {"status": {"parents": [{"parentRef": ref, "controllerName": CONTROLLER,
                                         "conditions": [accepted]}]}})

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, range(count)))
        return names

    def rename(self, namespace: str, route: str, hostname: str) -> None:
        """The route's one hostname becomes `hostname` (its Accepted status stays)."""
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, namespace, "httproutes", route, {"spec": {"hostnames": [hostname]}})
