"""Production-behaviour fixtures: `dnsgate reconcile` as real processes (so they can be
SIGKILLed), Route53 behind the fault-injecting proxy, and Services made quickly through the
API with their load-balancer IPs set on the status subresource, as MetalLB sets them."""

from __future__ import annotations

import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from devstack import metallb
from devstack.controlplane import free_port
from devstack.processes import Child, Supervisor
from devstack.r53proxy import Route53Proxy

OWNER = "external-dns-external-dns"
DOMAIN = "goldentooth.net"
HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not reached within {timeout:.0f}s: {what}")


@dataclass
class Reconciler:
    child: Child
    health_port: int

    def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.health_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())

    def sample(self, name: str, **labels: str) -> float:
        total = 0.0
        for line in self.metrics().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
                if all(found.get(k) == v for k, v in labels.items()):
                    total += float(line.rsplit(" ", 1)[1])
        return total

    def log(self) -> str:
        return self.child.log.read_text(errors="replace")

    def get(self, path: str) -> tuple[int, str]:
        """Status and body of GET `path` on the health port; (0, "") if nothing answers."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}{path}",
                                        timeout=5) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode()
        except OSError:
            return 0, ""


@pytest.fixture
def proxy(stack, zone_id: str) -> Iterator[Route53Proxy]:  # type: ignore[no-untyped-def]
    with Route53Proxy(stack.route53.url) as running:
        yield running


@pytest.fixture
def start_reconciler(
    stack, supervisor: Supervisor, proxy: Route53Proxy, namespace: str  # type: ignore[no-untyped-def]
) -> Callable[..., Reconciler]:
    """`dnsgate reconcile` for the test's namespace, reaching Route53 through the proxy."""
    started = [0]

    def start(*extra: str, name: str | None = None, wait_ready: bool = True) -> Reconciler:
        started[0] += 1
        port = free_port()
        env = {**os.environ, "AWS_ENDPOINT_URL_ROUTE_53": proxy.url,
               "KUBECONFIG": str(stack.kubeconfig)}
        child = supervisor.start(name or f"reconciler-{started[0]}", [
            sys.executable, "-m", "dnsgate", "reconcile", f"--domain-filter={DOMAIN}",
            f"--txt-owner-id={OWNER}", f"--namespace={namespace}", "--interval=1m",
            f"--health-port={port}", *extra,
        ], env=env)
        running = Reconciler(child, port)
        if wait_ready:
            wait_for(lambda: _answers(port), 30, "reconciler /healthz")
        return running

    return start


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def services(stack, namespace: str) -> Iterator[Callable[..., None]]:  # type: ignore[no-untyped-def]
    """`services({"web-1": "web-1.goldentooth.net", ...}, ip_base="10.4.11.")`: create
    annotated LoadBalancer Services through the API, then set each one's ingress IP."""
    from kubernetes import client, config

    core = client.CoreV1Api(config.new_client_from_config(str(stack.kubeconfig)))

    def create(hostnames: dict[str, str], *, first_ip: int = 1) -> None:
        for number, (name, hostname) in enumerate(hostnames.items()):
            manifest = metallb.service_manifest(namespace, name, {HOSTNAME: hostname})
            core.create_namespaced_service(namespace, manifest)
            ip = f"10.4.{11 + (first_ip + number) // 250}.{1 + (first_ip + number) % 250}"
            patch = {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}
            core.patch_namespaced_service_status(name, namespace, patch)

    yield create


def zone(route53, zone_id: str) -> dict[tuple[str, str], dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The zone straight from the Route53 server (not through the proxy), by (name, type)."""
    found = {}
    for page in route53.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zone_id):
        for record in page["ResourceRecordSets"]:
            if record["Type"] not in ("NS", "SOA"):
                found[(record["Name"].rstrip("."), record["Type"])] = record
    return found
