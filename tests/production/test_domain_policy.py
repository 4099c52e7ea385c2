"""Domains per namespace in the reconciler (docs/namespace-domains.md): `dnsgate reconcile`
as a real process with --domain-policy, against the real apiserver and moto. No webhook is
registered here, so every Service below bypassed the door, as one created while the
webhook was down does: the reconciler publishes nothing for a name outside its namespace's
domains and reports it (Event, condition, log line, metric), follows a policy change
without a restart, and never deletes a record because the policy became malformed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import Kubectl
from tests.production.conftest import Reconciler, wait_for, zone

pytestmark = pytest.mark.e2e

HOME = "domain-policy-home"
CONFIG_MAP = "dnsgate-domain-policy"
WHERE = f"{HOME}/{CONFIG_MAP}"


def policy_text(namespace: str, *domains: str) -> str:
    return json.dumps({"rules": [{"name": "team", "namespaces": [namespace],
                                  "domains": list(domains)}]})


@pytest.fixture
def write_policy(kubectl: Kubectl) -> Iterator[Callable[[str], None]]:
    """Write the policy ConfigMap (its policy.yaml), as the cluster admin does."""
    kubectl("create", "namespace", HOME, check=False)

    def write(text: str) -> None:
        manifest = {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": CONFIG_MAP, "namespace": HOME},
                    "data": {"policy.yaml": text}}
        kubectl("apply", "-f", "-", input=json.dumps(manifest))

    yield write
    kubectl("delete", "configmap", CONFIG_MAP, "-n", HOME, "--ignore-not-found", check=False)


def events(kubectl: Kubectl, namespace: str, name: str) -> list[dict[str, str]]:
    found = json.loads(kubectl("get", "events", "-n", namespace, "-o", "json",
                               "--field-selector", f"involvedObject.name={name}").stdout)
    return [{"type": e.get("type", ""), "reason": e.get("reason", ""),
             "message": e.get("message", "")} for e in found["items"]]


def condition(kubectl: Kubectl, namespace: str, name: str) -> dict[str, str]:
    service = json.loads(kubectl("get", "service", name, "-n", namespace, "-o", "json").stdout)
    return next((c for c in (service.get("status") or {}).get("conditions") or ()
                 if c["type"] == "dnsgate.io/DNSReady"), {})


def test_bypassed_service_outside_its_domains_gets_no_record_and_a_report(
        namespace: str, write_policy, services, start_reconciler: Callable[..., Reconciler],
        route53, zone_id: str, kubectl: Kubectl) -> None:
    write_policy(policy_text(namespace, "shop.goldentooth.net"))
    services({"web": "www.shop.goldentooth.net", "stray": "www.blue.goldentooth.net"})

    reconciler = start_reconciler(f"--domain-policy={WHERE}")

    wait_for(lambda: ("www.shop.goldentooth.net", "A") in zone(route53, zone_id), 60,
             "the allowed name published")
    wait_for(lambda: reconciler.sample("dnsgate_reconciler_domain_policy_refused") == 1, 30,
             "the refusal counted")
    assert not any(name.endswith("blue.goldentooth.net") for name, _ in zone(route53, zone_id))
    warning = wait_for(lambda: [e for e in events(kubectl, namespace, "stray")
                                if e["reason"] == "DNSNameNotAllowed"], 30,
                       "a Warning Event on stray")
    assert warning[0]["type"] == "Warning"
    assert condition(kubectl, namespace, "stray")["reason"] == "DNSNameNotAllowed"
    for message in (warning[0]["message"], condition(kubectl, namespace, "stray")["message"]):
        assert "www.blue.goldentooth.net" in message
        assert f"namespace {namespace} may use (shop.goldentooth.net)" in message
        assert f"Service {namespace}/stray may not publish it" in message
        assert WHERE in message
    assert f"Service {namespace}/stray" in reconciler.log()
    assert reconciler.sample("dnsgate_reconciler_domain_policy_invalid") == 0


def test_policy_change_applies_without_restart(
        namespace: str, write_policy, services, start_reconciler: Callable[..., Reconciler],
        route53, zone_id: str) -> None:
    write_policy(policy_text(namespace, "shop.goldentooth.net"))
    services({"web": "www.blue.goldentooth.net"})
    reconciler = start_reconciler(f"--domain-policy={WHERE}")
    wait_for(lambda: reconciler.sample("dnsgate_reconciler_domain_policy_refused") == 1, 60,
             "the refusal counted")

    write_policy(policy_text(namespace, "shop.goldentooth.net", "blue.goldentooth.net"))

    wait_for(lambda: ("www.blue.goldentooth.net", "A") in zone(route53, zone_id), 30,
             "the name published once the policy allows it")
    # The gauge is set when the sync that wrote the record finishes, a moment after Route53
    # holds the record.
    wait_for(lambda: reconciler.sample("dnsgate_reconciler_domain_policy_refused") == 0, 30,
             "the refusal no longer counted")


def test_malformed_policy_keeps_the_last_valid_one_and_deletes_nothing(
        namespace: str, write_policy, services, start_reconciler: Callable[..., Reconciler],
        route53, zone_id: str) -> None:
    write_policy(policy_text(namespace, "shop.goldentooth.net"))
    services({"web": "www.shop.goldentooth.net", "stray": "www.blue.goldentooth.net"})
    reconciler = start_reconciler(f"--domain-policy={WHERE}", "--interval=2s")
    wait_for(lambda: ("www.shop.goldentooth.net", "A") in zone(route53, zone_id), 60,
             "the allowed name published")

    write_policy("rules: [")  # an admin's typo
    wait_for(lambda: reconciler.sample("dnsgate_reconciler_domain_policy_invalid") == 1, 30,
             "the malformed policy reported on the metric")
    broken_at = time.time()
    wait_for(lambda: reconciler.sample("dnsgate_reconciler_last_sync_timestamp_seconds")
             > broken_at + 1, 30, "a full resync under the malformed policy")

    status, body = reconciler.get("/readyz")
    assert status == 200 and "is not YAML" in body and "last valid policy" in body
    assert "domain policy is malformed" in reconciler.log()
    records = zone(route53, zone_id)
    assert ("www.shop.goldentooth.net", "A") in records  # nothing withdrawn
    assert not any(name.endswith("blue.goldentooth.net") for name, _ in records)  # nor opened


def test_malformed_policy_at_start_neither_publishes_nor_deletes(
        namespace: str, write_policy, services, start_reconciler: Callable[..., Reconciler],
        route53, zone_id: str) -> None:
    write_policy(policy_text(namespace, "shop.goldentooth.net"))
    services({"web": "www.shop.goldentooth.net"})
    first = start_reconciler(f"--domain-policy={WHERE}")
    wait_for(lambda: ("www.shop.goldentooth.net", "A") in zone(route53, zone_id), 60,
             "the allowed name published")
    first.child.stop()
    published = zone(route53, zone_id)
    write_policy("rules:\n  - namespaces: [x]\n")  # no domains
    services({"later": "www.shop.goldentooth.net"}, first_ip=20)

    second = start_reconciler(f"--domain-policy={WHERE}", "--interval=2s")

    wait_for(lambda: "domains must list at least one domain" in second.get("/readyz")[1],
             30, "/readyz saying why")
    time.sleep(5)  # more than two resync intervals, had it started syncing
    assert second.get("/readyz")[0] == 503
    assert zone(route53, zone_id) == published
    assert "no name is published or admitted until it is fixed" in second.log()


def test_once_with_a_malformed_policy_exits_2_saying_why(
        namespace: str, write_policy, services, route53, zone_id: str, stack) -> None:
    write_policy("rules:\n  - namespaces: [x]\n    domains: [x.goldentooth.net]\n    typo: 1\n")
    services({"web": "www.shop.goldentooth.net"})

    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--once", f"--namespace={namespace}",
         "--domain-filter=goldentooth.net", f"--domain-policy={WHERE}"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "KUBECONFIG": str(stack.kubeconfig)})

    assert result.returncode == 2, result.stderr
    assert (f"--domain-policy: domain policy is malformed: {WHERE}: rules[0]: unknown key "
            "typo; the keys are name, namespaces, namespaceSelector, domains") in result.stderr
    assert zone(route53, zone_id) == {}


def test_relabelled_namespace_is_followed_and_other_namespace_events_cost_no_resync(
        namespace: str, write_policy, services, start_reconciler: Callable[..., Reconciler],
        route53, zone_id: str, kubectl: Kubectl) -> None:
    """A rule selecting by label: the reconciler follows a namespace's new label at once,
    and Namespaces created or relabelled elsewhere in ways no rule cares about re-list no
    zone (each full resync lists every zone from Route53)."""
    write_policy(json.dumps({"unmatched": "deny", "rules": [{
        "name": "blue", "namespaceSelector": "tenant=blue",
        "domains": ["blue.goldentooth.net"]}]}))
    services({"web": "www.blue.goldentooth.net"})
    reconciler = start_reconciler(f"--domain-policy={WHERE}")
    wait_for(lambda: reconciler.sample("dnsgate_reconciler_domain_policy_refused") == 1, 60,
             "the refusal counted")
    full = reconciler.sample("dnsgate_reconciler_sync_duration_seconds_count", kind="full")

    other = f"{namespace}-ci"
    kubectl("create", "namespace", other)
    try:
        kubectl("label", "namespace", other, "istio-injection=enabled")
        kubectl("label", "namespace", namespace, "tenant=blue")
        wait_for(lambda: ("www.blue.goldentooth.net", "A") in zone(route53, zone_id), 30,
                 "the name published once the namespace carries the label")
    finally:
        kubectl("delete", "namespace", other, "--wait=false", check=False)
    assert reconciler.sample("dnsgate_reconciler_domain_policy_refused") == 0
    assert reconciler.sample("dnsgate_reconciler_sync_duration_seconds_count",
                             kind="full") == full
