"""One webhook for this folder, configured as a settings ConfigMap configures both deployables:
the shared settings as DNSGATE_* variables, here `--namespace` and `--label-filter`, which
`dnsgate reconcile` then gets from the same variables.

Its WebhookConfigurations carry their own name, so they never replace another folder's; they
are deleted when this folder's tests end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

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

NAMESPACE = "scope-apps"
"""The one namespace the deployables read (--namespace)."""
SELECTOR = "dns=public"
PUBLIC = {"dns": "public"}
SETTINGS = {"DNSGATE_NAMESPACE": NAMESPACE, "DNSGATE_LABEL_FILTER": SELECTOR}
"""The settings ConfigMap both deployables read."""
CONFIGURATION = "dnsgate-scope"


@pytest.fixture(scope="package")
def scoped_webhook(stack, kubectl: Kubectl, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[RunningWebhook]:
    """`dnsgate webhook` with SETTINGS in its environment, registered and enforcing."""
    directory = tmp_path_factory.mktemp("scoped-webhook")
    certs = directory / "certs"
    dnsgate(*certs_args(certs))
    supervisor = Supervisor(directory / "logs")
    kubectl("create", "namespace", NAMESPACE, check=False)
    try:
        port = free_port()
        child = devstack_webhook.start(
            supervisor, port=port, cert_file=certs / "tls.crt", key_file=certs / "tls.key",
            ca_file=certs / "ca.crt", domain_filters=[DOMAIN], kubeconfig=stack.kubeconfig,
            environment=SETTINGS, name="scoped-webhook")
        running = RunningWebhook(port, certs, child)
        configurations = _named(devstack_webhook.local_configurations(port), CONFIGURATION)
        devstack_webhook.register(stack.kubeconfig, configurations)
        try:
            dnsgate(*certs_args(certs), "--webhook-config", CONFIGURATION)
            _wait_until_enforced(kubectl)
            yield running
        finally:
            devstack_webhook.unregister(stack.kubeconfig, configurations)
    finally:
        supervisor.stop_all()


@pytest.fixture
def scoped(scoped_webhook: RunningWebhook, kubectl: Kubectl) -> Iterator[str]:
    """The namespace the deployables read, emptied of Services after the test."""
    yield NAMESPACE
    kubectl("delete", "services", "--all", "-n", NAMESPACE, "--wait=true", check=False)


def _named(configurations: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    for configuration in configurations:
        configuration["metadata"]["name"] = name
    return configurations


def _wait_until_enforced(kubectl: Kubectl) -> None:
    """A probe the scoped webhook reads (its namespace, its label) shows when the
    configurations are enforced."""
    probe = metallb.service_manifest(NAMESPACE, "dnsgate-probe",
                                     {HOSTNAME: "probe.example.com"})
    probe["metadata"]["labels"] = PUBLIC  # type: ignore[index]
    wait_until_enforced(kubectl, probe)


def service(namespace: str, name: str, hostname: str, labels: dict[str, str] | None) -> str:
    manifest = metallb.service_manifest(namespace, name, {HOSTNAME: hostname})
    if labels is not None:
        manifest["metadata"]["labels"] = labels  # type: ignore[index]
    return json.dumps(manifest)


def reconcile_once(*flags: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`dnsgate reconcile --once` with `environment` as its only dnsgate settings."""
    return subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--once", *flags],
        capture_output=True, text=True, timeout=120, check=False,
        env={**{k: v for k, v in os.environ.items()
                if not k.startswith(("DNSGATE_", "EXTERNAL_DNS_"))}, **environment})

