"""Domains per namespace at the door: `kubectl apply` against the real kube-apiserver, which
sends the review to `dnsgate webhook --domain-policy` over TLS (docs/namespace-domains.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
import requests

from devstack import metallb
from tests.admission.conftest import HOSTNAME, RunningWebhook
from tests.conftest import Kubectl
from tests.nspolicy.conftest import BLUE, CONFIG_MAP, HOME, POLICY, SHOP, WHERE

pytestmark = pytest.mark.e2e


def service(namespace: str, hostname: str, name: str = "web") -> str:
    return json.dumps(metallb.service_manifest(namespace, name, {HOSTNAME: hostname}))


def ingress(namespace: str, host: str, name: str = "web") -> str:
    return json.dumps({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"rules": [{"host": host, "http": {"paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})


def apply(kubectl: Kubectl, manifest: str, *flags: str):  # type: ignore[no-untyped-def]
    return kubectl("apply", *flags, "-f", "-", input=manifest, check=False)


def eventually_accepted(kubectl: Kubectl, manifest: str, timeout: float = 30) -> None:
    """A policy change reaches the webhook through its watch: within seconds, no restart."""
    deadline = time.monotonic() + timeout
    while True:
        result = apply(kubectl, manifest, "--dry-run=server")
        if result.returncode == 0:
            return
        assert time.monotonic() < deadline, result.stderr
        time.sleep(0.2)


def test_name_outside_the_namespace_domains_is_refused_naming_what_is_allowed(
        policy, kubectl: Kubectl) -> None:
    result = apply(kubectl, service(SHOP, "www.blue.goldentooth.net"))

    assert result.returncode != 0
    assert 'admission webhook "validate.dnsgate.io" denied the request' in result.stderr
    assert (f'{HOSTNAME}: "www.blue.goldentooth.net" is outside the domains namespace {SHOP} '
            f"may use (shop.goldentooth.net), so Service {SHOP}/web may not publish it (the "
            f'domain policy {WHERE}, rule "shop")') in result.stderr
    assert kubectl("get", "service", "web", "-n", SHOP, check=False).returncode != 0


def test_name_inside_the_namespace_domains_is_accepted(policy, kubectl: Kubectl) -> None:
    result = apply(kubectl, service(SHOP, "www.shop.goldentooth.net"))

    assert result.returncode == 0, result.stderr


def test_label_selected_namespace_gets_the_rule_domains(policy, kubectl: Kubectl) -> None:
    assert apply(kubectl, service(BLUE, "api.blue.goldentooth.net")).returncode == 0

    refused = apply(kubectl, service(BLUE, "api.shop.goldentooth.net", "other"))

    assert refused.returncode != 0
    assert (f"outside the domains namespace {BLUE} may use (blue.goldentooth.net)"
            in refused.stderr)
    assert 'rule "blue"' in refused.stderr


def test_ingress_host_outside_the_namespace_domains_is_refused(
        policy, kubectl: Kubectl) -> None:
    result = apply(kubectl, ingress(SHOP, "www.blue.goldentooth.net"))

    assert result.returncode != 0
    assert (f'spec.rules[].host, spec.tls[].hosts: "www.blue.goldentooth.net" is outside the '
            f"domains namespace {SHOP} may use (shop.goldentooth.net), so Ingress {SHOP}/web "
            "may not publish it") in result.stderr
    assert apply(kubectl, ingress(SHOP, "www.shop.goldentooth.net")).returncode == 0


def test_namespace_no_rule_matches_is_unrestricted_unless_unmatched_is_deny(
        policy: Callable[[str], None], kubectl: Kubectl, namespace: str) -> None:
    assert apply(kubectl, service(namespace, "free.goldentooth.net"),
                 "--dry-run=server").returncode == 0

    policy(POLICY + "unmatched: deny\n")

    deadline = time.monotonic() + 30
    while (result := apply(kubectl, service(namespace, "free.goldentooth.net"),
                           "--dry-run=server")).returncode == 0:
        assert time.monotonic() < deadline, "unmatched: deny not applied in 30 s"
        time.sleep(0.2)
    assert f"gives namespace {namespace} no domain" in result.stderr


def test_policy_change_applies_without_restart(policy, kubectl: Kubectl) -> None:
    manifest = service(SHOP, "www.extra.goldentooth.net")
    assert apply(kubectl, manifest, "--dry-run=server").returncode != 0

    policy(POLICY.replace("domains: [shop.goldentooth.net]",
                          "domains: [shop.goldentooth.net, extra.goldentooth.net]"))

    eventually_accepted(kubectl, manifest)


def test_relabelled_namespace_gets_the_new_rule_at_once(policy, kubectl: Kubectl,
                                                        namespace: str) -> None:
    """Labels are the namespace's, which only those who may update Namespaces change
    (tests/install/test_domain_policy_rights.py); a new label is followed live."""
    manifest = service(namespace, "www.shop.goldentooth.net")
    assert apply(kubectl, manifest, "--dry-run=server").returncode == 0

    kubectl("label", "namespace", namespace, "tenant=blue")

    deadline = time.monotonic() + 30
    while (result := apply(kubectl, manifest, "--dry-run=server")).returncode == 0:
        assert time.monotonic() < deadline, "the new label not followed in 30 s"
        time.sleep(0.2)
    assert f"namespace {namespace} may use (blue.goldentooth.net)" in result.stderr


def policy_invalid(webhook: RunningWebhook) -> float | None:
    """`dnsgate_webhook_domain_policy_invalid`: the worst of the live workers."""
    text = requests.get(webhook.url("/metrics"), verify=str(webhook.ca_file), timeout=5).text
    return next((float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                 if line.startswith("dnsgate_webhook_domain_policy_invalid")), None)


def wait_until_invalid(webhook: RunningWebhook) -> None:
    deadline = time.monotonic() + 30
    while policy_invalid(webhook) != 1:
        assert time.monotonic() < deadline, "no worker reported the policy invalid in 30 s"
        time.sleep(0.2)


def test_malformed_policy_keeps_the_last_valid_one(policy, kubectl: Kubectl,
                                                   policy_webhook: RunningWebhook) -> None:
    assert policy_invalid(policy_webhook) == 0

    policy("rules:\n  - namespaces: [np-shop]\n    domains: [not a domain]\n")
    wait_until_invalid(policy_webhook)

    refused = apply(kubectl, service(SHOP, "www.blue.goldentooth.net"), "--dry-run=server")
    assert refused.returncode != 0 and "(shop.goldentooth.net)" in refused.stderr
    accepted = apply(kubectl, service(SHOP, "www.shop.goldentooth.net"), "--dry-run=server")
    assert accepted.returncode == 0, accepted.stderr
    assert "domain policy is malformed" in policy_webhook.child.log.read_text()


def test_deleted_policy_keeps_the_last_valid_one(policy, kubectl: Kubectl,
                                                 policy_webhook: RunningWebhook) -> None:
    kubectl("delete", "configmap", CONFIG_MAP, "-n", HOME)
    wait_until_invalid(policy_webhook)

    refused = apply(kubectl, service(SHOP, "www.blue.goldentooth.net"), "--dry-run=server")
    assert refused.returncode != 0 and "(shop.goldentooth.net)" in refused.stderr
    accepted = apply(kubectl, service(SHOP, "www.shop.goldentooth.net"), "--dry-run=server")
    assert accepted.returncode == 0, accepted.stderr


def test_object_past_the_door_with_one_forbidden_name_holds_none_of_its_names(
        policy, kubectl: Kubectl) -> None:
    """A Service admitted while the policy gave its namespace another domain too, one of
    whose names the narrowed policy refuses: the reconciler publishes nothing for it, so
    its name inside shop's domains is free to another Service of shop at the door."""
    policy(POLICY.replace("domains: [shop.goldentooth.net]",
                          "domains: [shop.goldentooth.net, extra.goldentooth.net]"))
    stray = service(SHOP, "www.shop.goldentooth.net,www.extra.goldentooth.net", "stray")
    eventually_accepted(kubectl, stray)
    assert apply(kubectl, stray).returncode == 0
    policy(POLICY)
    extra = service(SHOP, "www.extra.goldentooth.net", "probe")
    deadline = time.monotonic() + 30
    while apply(kubectl, extra, "--dry-run=server").returncode == 0:
        assert time.monotonic() < deadline, "the narrowed policy not in force in 30 s"
        time.sleep(0.2)

    result = apply(kubectl, service(SHOP, "www.shop.goldentooth.net"))

    assert result.returncode == 0, result.stderr


def test_generated_name_gets_no_way_around_the_policy(policy, kubectl: Kubectl) -> None:
    """`generateName`: the request carries no name, the object a generated one; the review
    still knows the object and its namespace, and refuses."""
    manifest = json.loads(service(SHOP, "www.blue.goldentooth.net"))
    manifest["metadata"].pop("name")
    manifest["metadata"]["generateName"] = "web-"

    result = kubectl("create", "-f", "-", input=json.dumps(manifest), check=False)

    assert result.returncode != 0
    assert f"outside the domains namespace {SHOP} may use" in result.stderr
    assert "Service np-shop/web-" in result.stderr
