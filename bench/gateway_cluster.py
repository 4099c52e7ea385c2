"""Many Gateway API routes, fast: Gateways and HTTPRoutes created with the kubernetes client
from a thread pool, with the statuses a gateway controller writes.

A gateway controller writes two things through the status subresource: a Gateway's
`status.addresses` and, on each route, a `status.parents` entry with `Accepted=True` for the
Gateway that attached it (docs/gateway-api.md). No controller runs here, so the bench writes
both, as `devstack.gateways` does for the tests (the manifests are its own), one API call
each instead of a kubectl process; a route's hostnames change by a merge patch of its spec,
as `kubectl apply` of an edited manifest would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import cluster
from devstack import gatewayapi, gateways

GROUP = gateways.GROUP
VERSION = "v1"
THREADS = cluster.THREADS


def route_host(namespace: str, name: str, revision: int = 0) -> str:
    """The route's hostname; each rename gives it a new revision."""
    first = name if revision == 0 else f"{name}-v{revision}"
    return f"{first}.{namespace}.{cluster.ZONE}"


def gateway_of(index: int, count: int) -> str:
    """Routes are dealt out to the `count` Gateways in turn: route i to gw-(i mod count)."""
    return f"gw-{index % count}"


class Routes:
    def __init__(self, kubeconfig: Path) -> None:
        from kubernetes import client, config

        api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig))
        api_client.configuration.connection_pool_maxsize = THREADS * 2
        self.custom: Any = client.CustomObjectsApi(api_client)
        self.kubeconfig = kubeconfig

    def setup(self, progress: Callable[[str], None]) -> None:
        """The Gateway API CRDs (v1.6.2, what ExternalDNS v0.23.0 reads) and the class."""
        gatewayapi.install(self.kubeconfig, progress)
        gateways.apply(self.kubeconfig, gateways.gateway_class())

    def create_gateways(self, namespace: str, addresses: Sequence[str]) -> list[str]:
        """One Gateway per address (gw-<i>), an HTTP listener for its namespace's routes."""
        names = [f"gw-{i}" for i in range(len(addresses))]
        for name, address in zip(names, addresses, strict=True):
            self.custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, "gateways", gateways.gateway(namespace, name))
            self.assign(namespace, name, address)
        return names

    def assign(self, namespace: str, gateway: str, address: str) -> None:
        """The Gateway's address, as its controller reports it."""
        self.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, namespace, "gateways", gateway,
            {"status": {"addresses": gateways.address_entries([address])}})

    def create_routes(self, namespace: str, count: int, count_gateways: int) -> list[str]:
        """`count` HTTPRoutes (route-<i>), each attached to and accepted by one Gateway."""
        names = [f"route-{i}" for i in range(count)]

        def one(index: int) -> None:
            name = names[index]
            parent = gateways.Parent(gateway_of(index, count_gateways))
            # TTL set explicitly so that every controller writes the same record.
            self.custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, "httproutes",
                gateways.route("HTTPRoute", namespace, name, [parent],
                               hostnames=[route_host(namespace, name)],
                               annotations={cluster.TTL: "60"}))
            accepted = {"type": "Accepted", "status": "True", "reason": "Accepted",
                        "message": "Route is accepted", "observedGeneration": 1,
                        "lastTransitionTime": "2026-01-01T00:00:00Z"}
            self.custom.patch_namespaced_custom_object_status(
                GROUP, VERSION, namespace, "httproutes", name,
                {"status": {"parents": [{"parentRef": parent.ref(),
                                         "controllerName": gateways.CONTROLLER,
                                         "conditions": [accepted]}]}})

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, range(count)))
        return names

    def rename(self, namespace: str, route: str, hostname: str) -> None:
        """The route's one hostname becomes `hostname` (its Accepted status stays)."""
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, namespace, "httproutes", route, {"spec": {"hostnames": [hostname]}})
