"""Many Services, fast: the kubernetes client with a thread pool, against the local apiserver.

`kubectl` per Service (what `devstack.metallb` does for a handful) costs a process
start each; 5,000 of them would take longer than the scenarios. The requests are the same:
a create, then a merge patch of `status.loadBalancer.ingress` through the status
subresource, as MetalLB writes it.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from devstack import metallb

ZONE = "goldentooth.net"
HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
TTL = "external-dns.alpha.kubernetes.io/ttl"
# 198.18.0.0/15 is reserved for benchmarking (RFC 2544): no real host answers there.
BENCH_NET = ipaddress.ip_network("198.18.0.0/15")
THREADS = 8


def hostname(namespace: str, name: str) -> str:
    return f"{name}.{namespace}.{ZONE}"


def address(index: int) -> str:
    return str(BENCH_NET.network_address + 1 + index)


def dns_annotations(namespace: str, name: str) -> dict[str, str]:
    # TTL set explicitly so that every controller writes the same record.
    return {HOSTNAME: hostname(namespace, name), TTL: "60"}


class Cluster:
    def __init__(self, kubeconfig: Path) -> None:
        from kubernetes import client, config

        api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig))
        api_client.configuration.connection_pool_maxsize = THREADS * 2
        # The client's typed models are not used: manifests go in as plain dicts.
        self.core: Any = client.CoreV1Api(api_client)
        self.kubeconfig = kubeconfig

    def create_namespace(self, name: str) -> None:
        self.core.create_namespace({"apiVersion": "v1", "kind": "Namespace",
                                    "metadata": {"name": name}})

    def create(self, namespace: str, name: str, annotations: dict[str, str] | None) -> None:
        manifest = metallb.service_manifest(namespace, name, annotations)
        # Every LoadBalancer Service would take a NodePort, and the default range
        # (30000-32767) holds 2,768: fewer than the scenarios create. MetalLB clusters
        # may turn the allocation off the same way.
        spec = manifest["spec"]
        assert isinstance(spec, dict)
        spec["allocateLoadBalancerNodePorts"] = False
        self.core.create_namespaced_service(namespace, manifest)

    def assign(self, namespace: str, name: str, addresses: Sequence[str]) -> None:
        body = {"status": {"loadBalancer": {"ingress": metallb.ingress_entries(addresses)}}}
        self.core.patch_namespaced_service_status(name, namespace, body)

    def create_many(
        self, namespace: str, count: int, *, with_ips: bool = True, start: int = 0,
        on_done: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Create `count` annotated Services (svc-<i>) and give each an IP; return names."""
        names = [f"svc-{i}" for i in range(start, start + count)]

        def one(index_name: tuple[int, str]) -> None:
            index, name = index_name
            self.create(namespace, name, dns_annotations(namespace, name))
            if with_ips:
                self.assign(namespace, name, [address(index)])
            if on_done is not None:
                on_done(index)

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, enumerate(names, start)))
        return names

    def count_services(self) -> int:
        """Services in every namespace (what the webhook's index holds)."""
        found, token = 0, None
        while True:
            page = self.core.list_service_for_all_namespaces(limit=500, _continue=token)
            found += len(page.items)
            token = page.metadata._continue
            if not token:
                return found

    def delete_all(self, namespace: str) -> None:
        names = [item.metadata.name for item in
                 self.core.list_namespaced_service(namespace).items]
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda n: self.core.delete_namespaced_service(n, namespace), names))
        deadline = time.monotonic() + 60
        while self.core.list_namespaced_service(namespace, limit=1).items:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Services in namespace {namespace} still there after 60s")
            time.sleep(0.2)
