"""Fixtures for the reconciler's tests.

Unit tests use table fixtures and the small fakes of our own seams. End-to-end tests run a
real `Controller` in a thread against the session's kube-apiserver and moto Route53 server,
through the same `watch.ServiceStore` and `route53.Provider` that `dnsgate reconcile` uses,
scoped to the test's namespace; a counting wrapper around the real boto3 client records
every Route53 call so tests can assert how many were made.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from dnsgate import ingress, routewatch
from dnsgate.corev1 import CoreV1
from dnsgate.domains import DomainFilter
from dnsgate.gateway import GatewaySettings
from dnsgate.ingress import IngressSettings
from dnsgate.watch import Combined, KubernetesIngresses, KubernetesServices, ServiceStore
from reconciler import settings as settings_module
from reconciler.alias import AliasSettings
from reconciler.controller import Controller
from reconciler.report import LogReporter
from reconciler.route53 import Provider
from reconciler.status import KubernetesReporter, Reporters

OWNER = "external-dns-external-dns"
ALPHA = "external-dns.alpha.kubernetes.io/"
SEED_ARGS = ("--source=service", "--domain-filter=goldentooth.net", "--provider=aws",
             "--aws-zone-type=public", "--registry=txt",
             "--txt-owner-id=external-dns-external-dns", "--log-level=debug",
             "--aws-region=us-east-1")
"""The seed's ExternalDNS v0.14.2 Deployment args, exactly."""


class CountingClient:
    """The real boto3 Route53 client, with every call counted by operation."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: Counter[str] = Counter()
        self.changes: list[tuple[float, list[dict[str, Any]]]] = []
        self._lock = threading.Lock()

    def _count(self, name: str) -> None:
        with self._lock:
            self.calls[name] += 1

    def list_hosted_zones(self, **kwargs: Any) -> Any:
        self._count("list_hosted_zones")
        return self.client.list_hosted_zones(**kwargs)

    def list_resource_record_sets(self, **kwargs: Any) -> Any:
        self._count("list_resource_record_sets")
        return self.client.list_resource_record_sets(**kwargs)

    def change_resource_record_sets(self, **kwargs: Any) -> Any:
        self._count("change_resource_record_sets")
        answer = self.client.change_resource_record_sets(**kwargs)
        with self._lock:  # what landed, in order: tests replay the zone's history from it
            self.changes.append((time.monotonic(), kwargs["ChangeBatch"]["Changes"]))
        return answer


def wait_for(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = check()
    assert value, f"not true within {timeout}s: {check}"
    return value


def zone_records(route53: Any, zone_id: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every record set in the zone except NS/SOA, keyed (name, type, set identifier)."""
    found = {}
    for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        for record in page["ResourceRecordSets"]:
            if record["Type"] in ("NS", "SOA"):
                continue
            key = (record["Name"].rstrip("."), record["Type"], record.get("SetIdentifier", ""))
            found[key] = record
    return found


def values(record: dict[str, Any]) -> list[str]:
    return sorted(r["Value"] for r in record.get("ResourceRecords", []))


@dataclass
class Running:
    controller: Controller
    client: CountingClient
    reporter: LogReporter
    store: ServiceStore
    thread: threading.Thread
    result: list[bool] = field(default_factory=list)

    def outcome(self, service: str) -> Any:
        return self.reporter.latest.get(service)


@pytest.fixture
def reconciler(stack, route53, zone_id, namespace) -> Iterator[Callable[..., Running]]:  # type: ignore[no-untyped-def]
    """Start a Controller thread watching the test's namespace; stopped after the test."""
    from kubernetes import client, config

    started: list[Running] = []

    def start(*, owner: str = OWNER, policy: str = "sync", interval: float = 60.0,
              coalesce: float = 0.1, client_: Any = None, zone_type: str = "",
              zone_ids: tuple[str, ...] = (), all_namespaces: bool = False,
              report_status: bool = False, publish_internal: bool = False,
              aliases: AliasSettings | None = None, ingresses: IngressSettings | None = None,
              routes: tuple[str, ...] = (), gateways: GatewaySettings | None = None,
              **registry: Any) -> Running:
        """`all_namespaces`: watch every namespace, as an installed reconciler does.
        `report_status`: also write Events and conditions on the Services.
        `ingresses`: watch Ingresses too (--source=ingress), with these settings.
        `routes`: the gateway-* sources to watch too ("gateway-httproute", ...), their
        Gateways chosen by `gateways` (default: every Gateway)."""
        config.load_kube_config(config_file=os.environ["KUBECONFIG"])  # as the stack set it
        watched = "" if all_namespaces else namespace
        settings = settings_module.Settings(
            source=settings_module.SourceSettings(DomainFilter.of(["goldentooth.net"]),
                                                  watched, publish_internal=publish_internal,
                                                  aliases=aliases or AliasSettings(),
                                                  ingress=ingresses or IngressSettings(),
                                                  gateway=gateways or GatewaySettings(),
                                                  sources=("service", *(
                                                      ("ingress",) if ingresses is not None
                                                      else ()), *routes)),
            registry=settings_module.RegistrySettings(owner_id=owner, **registry),
            route53=settings_module.Route53Settings(DomainFilter.of(["goldentooth.net"]),
                                                    zone_type=zone_type, zone_ids=zone_ids),
            controller=settings_module.ControllerSettings(
                policy=policy, interval=interval, coalesce=coalesce),  # type: ignore[arg-type]
        )
        counting = CountingClient(client_ or route53)
        reporter = LogReporter()
        controller: Controller
        store = ServiceStore(KubernetesServices(CoreV1(), watched),
                             lambda keys: controller.notify(keys))
        stores = [store]
        if ingresses is not None:
            stores.append(ServiceStore(KubernetesIngresses(client.NetworkingV1Api(), watched),
                                       lambda keys: controller.notify(keys),
                                       kept=ingress.slim))
        readable: list[Any] = list(stores)
        if routes:
            found = routewatch.kubernetes(
                CoreV1(), settings.source.route_kinds,
                namespace=watched, label_filter="", settings=settings.source.gateway,
                on_change=lambda keys: controller.notify(keys),
                on_deleted=lambda keys: controller.deleted(keys))
            readable.append(found)
            stores += found.stores
        watched_objects = Combined(*readable)
        reporting: Any = reporter
        if report_status:
            reporting = Reporters(reporter, KubernetesReporter(CoreV1(),
                                                               watched_objects.get))
        controller = Controller(settings.controller, settings.source, settings.registry,
                                Provider(counting, settings.route53), watched_objects,
                                reporting)
        for each in stores:
            each.relist()
            threading.Thread(target=each.run, args=(controller.stop,), daemon=True).start()
        running = Running(controller, counting, reporter, store, threading.Thread())
        running.thread = threading.Thread(
            target=lambda: running.result.append(controller.run()), daemon=True)
        running.thread.start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.controller.shutdown()
        running.thread.join(timeout=10)


@pytest.fixture
def strict_route53(stack, zone_id) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """moto behind the Route53 proxy in `strict` mode, which refuses a CREATE of an existing
    set and a DELETE that does not match, as Route53 does and moto does not.
    `.client` and `.env()` reach Route53 through it."""
    from devstack import route53 as route53_server
    from devstack.r53proxy import Route53Proxy

    with Route53Proxy(stack.route53.url, strict=True) as proxy:
        proxy.client = route53_server.client(proxy.url)  # type: ignore[attr-defined]
        proxy.env = lambda: {  # type: ignore[method-assign]
            "AWS_ENDPOINT_URL_ROUTE_53": proxy.url, **route53_server.CREDENTIALS,
            "AWS_DEFAULT_REGION": route53_server.REGION}
        yield proxy


@pytest.fixture
def create_services(namespace: str) -> Iterator[Callable[[dict[str, dict[str, str]]], None]]:
    """Create many LoadBalancer Services quickly, one API call each, and delete them all in
    one call afterwards (kubectl takes minutes for the 500-Service tests)."""
    from kubernetes import client, config

    from devstack import metallb

    config.load_kube_config(config_file=os.environ["KUBECONFIG"])  # as the stack set it
    core = client.CoreV1Api()

    def create(annotations_by_name: dict[str, dict[str, str]]) -> None:
        for name, wanted in annotations_by_name.items():
            core.create_namespaced_service(
                namespace, metallb.service_manifest(namespace, name, wanted))

    yield create
    core.delete_collection_namespaced_service(namespace)
