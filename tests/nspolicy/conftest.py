"""One webhook for this folder with a domain policy (`--domain-policy`, as the settings
ConfigMap sets it for both deployables), reviewing Services and Ingresses; the policy is a
real ConfigMap the tests write as a cluster admin would.

Its WebhookConfigurations carry their own name, so they never replace another folder's; they
are deleted when this folder's tests end.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from devstack import metallb
from devstack import webhook as devstack_webhook
from devstack.controlplane import free_port
from devstack.processes import Supervisor
from tests.admission.conftest import (
    DOMAIN,
    HOSTNAME,
    RunningWebhook,
    certs_args,
    dnsgate,
    wait_until_enforced,
)
from tests.conftest import Kubectl

HOME = "policy-home"
"""Where the policy ConfigMap lives (dnsgate's namespace, in a cluster)."""
CONFIG_MAP = "dnsgate-domain-policy"
WHERE = f"{HOME}/{CONFIG_MAP}"
SHOP, BLUE = "np-shop", "np-team-b"
POLICY = f"""
rules:
  - name: shop
    namespaces: [{SHOP}]
    domains: [shop.goldentooth.net]
  - name: blue
    namespaceSelector: "tenant=blue"
    domains: [blue.goldentooth.net]
"""
CONFIGURATION = "dnsgate-domain-policy"


def write_policy(kubectl: Kubectl, text: str) -> None:
    manifest = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": CONFIG_MAP, "namespace": HOME},
                "data": {"policy.yaml": text}}
    kubectl("apply", "-f", "-", input=json.dumps(manifest))


@pytest.fixture(scope="package")
def policy_webhook(stack, kubectl: Kubectl, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[RunningWebhook]:
    """`dnsgate webhook --domain-policy`, registered and enforcing, with POLICY in force."""
    directory = tmp_path_factory.mktemp("policy-webhook")
    certs = directory / "certs"
    dnsgate(*certs_args(certs))
    supervisor = Supervisor(directory / "logs")
    for namespace in (HOME, SHOP):
        kubectl("create", "namespace", namespace, check=False)
    kubectl("create", "namespace", BLUE, check=False)
    kubectl("label", "namespace", BLUE, "tenant=blue", "--overwrite")
    write_policy(kubectl, POLICY)
    try:
        port = free_port()
        child = devstack_webhook.start(
            supervisor, port=port, cert_file=certs / "tls.crt", key_file=certs / "tls.key",
            ca_file=certs / "ca.crt", domain_filters=[DOMAIN], kubeconfig=stack.kubeconfig,
            extra_args=("--source=service", "--source=ingress"),
            environment={"DNSGATE_DOMAIN_POLICY": WHERE}, name="policy-webhook")
        running = RunningWebhook(port, certs, child)
        configurations = devstack_webhook.local_configurations(port, ingresses=True)
        for configuration in configurations:
            configuration["metadata"]["name"] = CONFIGURATION
        devstack_webhook.register(stack.kubeconfig, configurations)
        try:
            dnsgate(*certs_args(certs), "--webhook-config", CONFIGURATION)
            wait_until_enforced(kubectl, metallb.service_manifest(
                SHOP, "dnsgate-probe", {HOSTNAME: "probe.example.com"}))
            yield running
        finally:
            devstack_webhook.unregister(stack.kubeconfig, configurations)
    finally:
        supervisor.stop_all()
        write_policy(kubectl, POLICY)


@pytest.fixture
def policy(policy_webhook: RunningWebhook, kubectl: Kubectl
           ) -> Iterator[Callable[[str], None]]:
    """Rewrite the policy; POLICY is back in force after the test, and the namespaces'
    Services and Ingresses are gone."""
    yield lambda text: write_policy(kubectl, text)
    write_policy(kubectl, POLICY)
    for namespace in (SHOP, BLUE):
        kubectl("delete", "services,ingresses", "--all", "-n", namespace, "--wait=true",
                check=False)
