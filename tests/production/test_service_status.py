"""The DNSReady condition and Events on a real Service: written on change, never in a steady
state, never touching the load balancer's part of the status, and written again on a Service
deleted and created anew."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devstack import metallb
from dnsgate.corev1 import CoreV1
from reconciler.report import Outcome
from reconciler.status import COMPONENT, CONDITION_TYPE, KubernetesReporter
from tests.production.conftest import wait_for, zone

pytestmark = pytest.mark.e2e


@pytest.fixture
def service(kubeconfig: Path, namespace: str) -> str:
    metallb.create_service(kubeconfig, namespace, "httpbin",
                           {"external-dns.alpha.kubernetes.io/hostname": "httpbin.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.1"])
    return f"service/{namespace}/httpbin"


@pytest.fixture
def reporter(stack, kubectl) -> KubernetesReporter:  # type: ignore[no-untyped-def]
    from kubernetes import config

    core = CoreV1(config.new_client_from_config(str(stack.kubeconfig)))

    def lookup(key: str) -> dict[str, Any] | None:
        _, namespace, name = key.split("/")
        found = kubectl("-n", namespace, "get", "service", name, "-o", "json", check=False)
        return json.loads(found.stdout) if found.returncode == 0 else None

    return KubernetesReporter(core, lookup)


def _get(kubectl, key: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    _, namespace, name = key.split("/")
    return json.loads(kubectl("-n", namespace, "get", "service", name, "-o", "json").stdout)


def _events(kubectl, namespace: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """dnsgate's Events only: kube-apiserver's own repair loop may add a Warning
    ClusterIPNotAllocated to a Service it has not seen allocated yet."""
    listed = json.loads(kubectl("-n", namespace, "get", "events", "-o", "json").stdout)
    ours = [e for e in listed["items"] if e.get("reportingComponent") == COMPONENT]
    # Timestamps have one-second resolution; etcd's revision orders events within a second.
    return sorted(ours, key=lambda e: int(e["metadata"]["resourceVersion"]))


def test_synced_outcome_sets_condition_and_event_and_keeps_load_balancer_status(
    reporter: KubernetesReporter, service: str, kubectl, namespace: str
) -> None:
    reporter.report(Outcome(service, "synced", "A httpbin.goldentooth.net -> 10.4.11.1"))

    obj = _get(kubectl, service)
    conditions = {c["type"]: c for c in obj["status"]["conditions"]}
    assert conditions[CONDITION_TYPE]["status"] == "True"
    assert conditions[CONDITION_TYPE]["reason"] == "DNSSynced"
    # Services carry no metadata.generation in Kubernetes 1.36 (their strategy never sets
    # it); observedGeneration mirrors it exactly, so it is absent too.
    assert conditions[CONDITION_TYPE].get("observedGeneration") == obj["metadata"].get(
        "generation")
    assert [i["ip"] for i in obj["status"]["loadBalancer"]["ingress"]] == ["10.4.11.1"]
    events = _events(kubectl, namespace)
    assert [(e["type"], e["reason"]) for e in events] == [("Normal", "DNSSynced")]
    assert "10.4.11.1" in events[0]["message"]


def test_steady_state_writes_nothing_even_for_a_new_reporter(
    reporter: KubernetesReporter, service: str, kubectl, namespace: str
) -> None:
    outcome = Outcome(service, "synced", "A httpbin.goldentooth.net -> 10.4.11.1")
    reporter.report(outcome)
    writes = reporter.writes
    reporter.report(outcome)
    restarted = KubernetesReporter(reporter.core, reporter.lookup)
    restarted.report(outcome)

    assert reporter.writes == writes == 2  # one condition apply, one event
    assert restarted.writes == 0
    assert len(_events(kubectl, namespace)) == 1


def test_failure_then_recovery_flips_condition_with_warning_event(
    reporter: KubernetesReporter, service: str, kubectl, namespace: str
) -> None:
    reporter.report(Outcome(service, "synced", "A httpbin.goldentooth.net -> 10.4.11.1"))
    reporter.report(Outcome(service, "failed", "Route53 InvalidChangeBatch: bad value"))
    failed = {c["type"]: c for c in _get(kubectl, service)["status"]["conditions"]}
    reporter.report(Outcome(service, "synced", "A httpbin.goldentooth.net -> 10.4.11.1"))
    recovered = {c["type"]: c for c in _get(kubectl, service)["status"]["conditions"]}

    assert failed[CONDITION_TYPE]["status"] == "False"
    assert failed[CONDITION_TYPE]["reason"] == "DNSSyncFailed"
    assert "InvalidChangeBatch" in failed[CONDITION_TYPE]["message"]
    assert recovered[CONDITION_TYPE]["status"] == "True"
    assert [(e["type"], e["reason"]) for e in _events(kubectl, namespace)] == [
        ("Normal", "DNSSynced"), ("Warning", "DNSSyncFailed"), ("Normal", "DNSSynced")]


def test_load_balancer_update_after_condition_is_not_undone(
    reporter: KubernetesReporter, service: str, kubectl, kubeconfig: Path, namespace: str
) -> None:
    reporter.report(Outcome(service, "conflict", "owned by external-dns/owner=other"))
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.7"])
    reporter.report(Outcome(service, "synced", "A httpbin.goldentooth.net -> 10.4.11.7"))

    obj = _get(kubectl, service)
    assert [i["ip"] for i in obj["status"]["loadBalancer"]["ingress"]] == ["10.4.11.7"]
    assert {c["type"] for c in obj["status"]["conditions"]} == {CONDITION_TYPE}


def test_service_deleted_and_created_again_gets_its_condition_again(
    start_reconciler, services, route53, zone_id: str, namespace: str, kubectl
) -> None:
    """The reporter remembers what it wrote, to write nothing in a steady state; a deleted
    Service must be forgotten, or its successor of the same name is never told."""
    start_reconciler()

    def condition() -> dict[str, Any] | None:
        found = kubectl("-n", namespace, "get", "service", "web", "-o", "json", check=False)
        if found.returncode != 0:
            return None
        conditions = json.loads(found.stdout).get("status", {}).get("conditions", [])
        return next((c for c in conditions if c["type"] == CONDITION_TYPE), None)

    services({"web": "web.goldentooth.net"})
    wait_for(condition, 30, "DNSReady on the first web")
    kubectl("-n", namespace, "delete", "service", "web")
    wait_for(lambda: ("web.goldentooth.net", "A") not in zone(route53, zone_id), 30,
             "the first web's records deleted")
    services({"web": "web.goldentooth.net"})

    assert wait_for(condition, 30, "DNSReady on the second web")["status"] == "True"
