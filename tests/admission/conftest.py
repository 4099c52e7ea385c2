"""Admission tests: the pure review through Flask's test client, and the real thing.

The real thing is one `dnsgate webhook` process (gunicorn over TLS, certificate from
`dnsgate certs`) for this folder, and the shipped WebhookConfigurations registered with the
real kube-apiserver, pointing at it. Both are package-scoped: the configurations are deleted
when this folder's tests end, so Services that other folders create are never sent here.
"""

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack import metallb
from devstack import webhook as devstack_webhook
from devstack.controlplane import free_port
from devstack.processes import Child, Supervisor
from dnsgate.claims import Claim
from dnsgate.domains import DomainFilter
from webhook.settings import AdmissionSettings

DOMAIN = "goldentooth.net"
HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
SETTINGS = AdmissionSettings(domains=DomainFilter.of([DOMAIN]), sync_wait=0.0)
SOURCES = ("--source=service", "--source=ingress", "--source=gateway-httproute")
"""The webhook runs with the Ingress and HTTPRoute sources on, and is registered with the
ingress and gateway-api components' webhooks: Services, Ingresses and HTTPRoutes share its
claim index. The other route kinds are sent to it too, without their source: it must leave
them alone. The stack has the Gateway API CRDs (`devstack.gatewayapi`)."""
TXT_NAMING = ("--txt-wildcard-replacement=wild",)
"""`*.<zone>` and `wild.<zone>` then share their ownership TXT names: one claim refuses the
other (tests/admission/test_kubectl_txt_names.py)."""


class FakeLookup:
    """The claim index seam, filled by hand."""

    def __init__(self, claims: tuple[Claim, ...] = (), synced: bool = True) -> None:
        self.claims = claims
        self.synced = synced

    def claims_on(self, hostname: str) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if c.hostname == hostname)

    def wait_synced(self, timeout: float) -> bool:
        return self.synced


def admission_review(
    annotations: Mapping[str, str] | None = None,
    *,
    operation: str = "CREATE",
    namespace: str = "apps",
    name: str = "httpbin",
    kind: str = "Service",
    service_type: str = "LoadBalancer",
    old_annotations: Mapping[str, str] | None = None,
    uid: str = "0f1e2d3c-0000-4000-8000-000000000001",
    dry_run: bool = False,
) -> dict[str, Any]:
    """An AdmissionReview as kube-apiserver sends it for a Service write."""
    def service(notes: Mapping[str, str] | None) -> dict[str, Any]:
        manifest = metallb.service_manifest(namespace, name, notes, service_type=service_type)
        manifest["kind"] = kind
        return manifest

    request: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": kind},
        "resource": {"group": "", "version": "v1", "resource": kind.lower() + "s"},
        "namespace": namespace, "name": name, "operation": operation,
        "object": None if operation == "DELETE" else service(annotations),
        "oldObject": service(old_annotations) if operation in ("UPDATE", "DELETE") else None,
        "dryRun": dry_run,
        "userInfo": {"username": "tester"},
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


@dataclass(frozen=True)
class RunningWebhook:
    port: int
    cert_dir: Path
    child: Child

    @property
    def ca_file(self) -> Path:
        return self.cert_dir / "ca.crt"

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"


def dnsgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dnsgate", *args], capture_output=True,
                          text=True, timeout=60, check=True)


def certs_args(cert_dir: Path) -> list[str]:
    return ["certs", "--out-dir", str(cert_dir), "--ip", "127.0.0.1"]


def start_webhook(stack, directory: Path, supervisor: Supervisor,  # type: ignore[no-untyped-def]
                  environment: dict[str, str] | None = None) -> RunningWebhook:
    port = free_port()
    child = devstack_webhook.start(
        supervisor, port=port, cert_file=directory / "tls.crt", key_file=directory / "tls.key",
        ca_file=directory / "ca.crt", domain_filters=[DOMAIN], kubeconfig=stack.kubeconfig,
        extra_args=(*SOURCES, *TXT_NAMING), environment=environment,
    )
    return RunningWebhook(port, directory, child)


@contextlib.contextmanager
def running_webhook(stack, directory: Path,  # type: ignore[no-untyped-def]
                    environment: dict[str, str] | None = None) -> Iterator[RunningWebhook]:
    """`dnsgate webhook` serving a certificate that `dnsgate certs` wrote into `directory`."""
    dnsgate(*certs_args(directory / "certs"))
    supervisor = Supervisor(directory / "logs")
    try:
        yield start_webhook(stack, directory / "certs", supervisor, environment)
    finally:
        supervisor.stop_all()


@pytest.fixture(scope="package")
def webhook(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWebhook]:
    """The admission tests' shared webhook."""
    with running_webhook(stack, tmp_path_factory.mktemp("webhook")) as running:
        yield running


@pytest.fixture(scope="package")
def registered(webhook: RunningWebhook, stack, kubectl) -> Iterator[list[dict[str, Any]]]:
    """The shipped configurations, pointed at the local webhook; caBundle from dnsgate certs."""
    configurations = devstack_webhook.local_configurations(webhook.port, ingresses=True,
                                                           routes=True)
    devstack_webhook.register(stack.kubeconfig, configurations)
    try:
        dnsgate(*certs_args(webhook.cert_dir), "--webhook-config", "dnsgate")
        wait_until_enforced(kubectl)
        yield configurations
    finally:
        devstack_webhook.unregister(stack.kubeconfig, configurations)


def wait_until_enforced(kubectl: Callable[..., subprocess.CompletedProcess[str]],
                        probe: dict[str, Any] | None = None) -> None:
    """kube-apiserver picks up new WebhookConfigurations asynchronously: a `probe` Service
    the webhook refuses (by default one in `default` outside the domain filter) shows when
    they are enforced."""
    probe = probe or metallb.service_manifest("default", "dnsgate-probe",
                                              {HOSTNAME: "probe.example.com"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        result = kubectl("apply", "--dry-run=server", "-f", "-", input=json.dumps(probe),
                         check=False)
        if "denied the request" in result.stderr:
            return
        time.sleep(0.2)
    raise AssertionError(f"webhook not enforced after 30s: {result.stderr or result.stdout}")


@pytest.fixture
def session(webhook: RunningWebhook) -> Iterator[requests.Session]:
    """HTTPS client trusting the webhook's CA, with keep-alive like kube-apiserver's."""
    with requests.Session() as client:
        client.trust_env = False  # REQUESTS_CA_BUNDLE would override session.verify
        client.verify = str(webhook.ca_file)
        yield client
