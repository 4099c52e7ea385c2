"""The webhook keeps its own serving certificate (`--certificate-secret`), so the install has
no Job: re-applying it, with a new image or after anything was deleted, just works.

Against the real apiserver, with the webhook's ServiceAccount token as its only credential:
the webhook started as the Deployment says issues the certificate, stores it, serves it and
injects the CA; two replicas starting together agree on one CA; a later pass renews and
repairs. And the Argo CD / GitOps story: apply, apply again with a new image, and nothing
drifts.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import os
import shutil
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certs import keeper, pki, rotation
from certs.stores import SecretStore, StoreConflict
from devstack.controlplane import free_port
from devstack.kubectl import KubectlError
from devstack.processes import Child, Supervisor, tail
from tests.install.conftest import CHART, MANIFESTS, OVERLAYS, service_account_kubeconfig
from tests.install.rendering import helm_template, kustomize, pod_spec
from webhook import certificate

pytestmark = pytest.mark.e2e

NAMESPACE = "dnsgate"
SECRET = "dnsgate-webhook-tls"
SERVER_NAME = "dnsgate-webhook.dnsgate.svc"  # the name the apiserver connects to
CONFIGURATIONS = ("mutatingwebhookconfiguration", "validatingwebhookconfiguration")


def secret_data(kubectl, name: str, namespace: str = NAMESPACE) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    secret = json.loads(kubectl("-n", namespace, "get", "secret", name, "-o", "json").stdout)
    return {key: base64.b64decode(value) for key, value in secret["data"].items()}


def ca_bundles(kubectl, name: str = "dnsgate") -> list[bytes]:  # type: ignore[no-untyped-def]
    return [base64.b64decode(hook["clientConfig"].get("caBundle", ""))
            for kind in CONFIGURATIONS
            for hook in json.loads(kubectl("get", kind, name, "-o", "json").stdout)["webhooks"]]


def forget_certificates(kubectl) -> None:  # type: ignore[no-untyped-def]
    kubectl("-n", NAMESPACE, "delete", "secret", SECRET, f"{SECRET}-ca", "--ignore-not-found")


def tls_get(port: int, ca_pem: bytes, path: str) -> tuple[str, x509.Certificate]:
    """GET `path` over TLS, verifying the server as the apiserver would: against the CA,
    for the Service's DNS name. Returns the status line and the served certificate."""
    context = ssl.create_default_context(cadata=ca_pem.decode())
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=SERVER_NAME) as tls:
        der = tls.getpeercert(binary_form=True)
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {SERVER_NAME}\r\nConnection: close"
                    "\r\n\r\n".encode())
        reply = b""
        while chunk := tls.recv(4096):
            reply += chunk
    assert der is not None
    return reply.split(b"\r\n")[0].decode(), x509.load_der_x509_certificate(der)


def webhook_command(tls_dir: Path, port: int) -> tuple[list[str], dict[str, str]]:
    """`dnsgate webhook` with the args and env of the base's Deployment; only the listening
    address and the emptyDir's path are this machine's."""
    objects = kustomize(MANIFESTS)
    container = pod_spec(objects, "dnsgate-webhook")["containers"][0]
    settings = next(o for o in objects if o["kind"] == "ConfigMap")["data"]
    args = [arg.replace("/etc/dnsgate/tls", str(tls_dir)) for arg in container["args"]]
    args = [arg for arg in args if not arg.startswith("--port=")]
    env = dict(settings)
    for variable in container["env"]:
        if variable.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == \
                "metadata.namespace":
            env[variable["name"]] = NAMESPACE
        elif "value" in variable:
            env[variable["name"]] = variable["value"].replace("/tmp", str(tls_dir.parent))
    argv = [sys.executable, "-m", "dnsgate", *args, "--host=127.0.0.1", f"--port={port}",
            "--workers=2"]
    return argv, env


@pytest.fixture
def as_webhook(installed: str, kubectl, tmp_path: Path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """A kubeconfig holding only the webhook ServiceAccount's token; fresh certificates."""
    forget_certificates(kubectl)
    yield service_account_kubeconfig(kubectl, NAMESPACE, "dnsgate-webhook",
                                     tmp_path / "webhook.kubeconfig")
    forget_certificates(kubectl)


@dataclass(frozen=True)
class Replica:
    child: Child
    port: int
    tls_dir: Path


def start_webhook(supervisor: Supervisor, kubeconfig: Path, directory: Path, *extra: str
                  ) -> Replica:
    """One replica, with its own emptyDir, started as the Deployment starts it."""
    tls_dir = directory / "tls"
    directory.mkdir(parents=True)
    port = free_port()
    argv, env = webhook_command(tls_dir, port)
    argv += extra
    child = supervisor.start(directory.name, argv, env={
        **{k: v for k, v in os.environ.items() if not k.startswith("DNSGATE_")},
        **env, "KUBECONFIG": str(kubeconfig)})
    return Replica(child, port, tls_dir)


def wait_serving(kubectl, replica: Replica) -> tuple[str, x509.Certificate]:  # type: ignore[no-untyped-def]
    """Until /readyz answers 200 over TLS verified against the CA in the Secret."""
    deadline = time.monotonic() + 60
    last: object = None
    while time.monotonic() < deadline:
        if replica.child.process.poll() is not None:
            raise AssertionError(f"webhook exited: {tail(replica.child.log)}")
        try:
            ca = secret_data(kubectl, f"{SECRET}-ca")["ca.crt"]
            status, served = tls_get(replica.port, ca, "/readyz")
        except (OSError, KubectlError) as exc:  # not listening yet; Secret not there yet
            last = exc
        else:
            if status.endswith("200 OK"):
                return status, served
            last = status
        time.sleep(0.3)
    raise AssertionError(f"webhook not serving after 60 s ({last}): {tail(replica.child.log)}")


def test_webhook_issues_serves_and_injects_its_certificate_as_its_service_account(
    as_webhook: Path, kubectl, tmp_path: Path
) -> None:
    supervisor = Supervisor(tmp_path / "logs")
    try:
        replica = start_webhook(supervisor, as_webhook, tmp_path / "replica")
        status, served = wait_serving(kubectl, replica)
    finally:
        supervisor.stop_all()

    stored = secret_data(kubectl, SECRET)
    ca = secret_data(kubectl, f"{SECRET}-ca")
    assert status == "HTTP/1.1 200 OK"
    assert served.public_bytes(serialization.Encoding.PEM) == stored["tls.crt"]
    assert pki.issued_by(served, x509.load_pem_x509_certificate(ca["ca.crt"]))
    assert ca_bundles(kubectl) == [ca["ca.crt"]] * 2
    # The serving pair reached the pod's emptyDir; the CA's key did not.
    assert sorted(p.name for p in replica.tls_dir.iterdir() if not p.name.startswith(".")) == [
        "ca.crt", "tls.crt", "tls.key"]


def test_two_replicas_starting_together_share_one_ca(
    as_webhook: Path, kubectl, tmp_path: Path
) -> None:
    supervisor = Supervisor(tmp_path / "logs")
    try:
        replicas = [start_webhook(supervisor, as_webhook, tmp_path / f"replica-{n}")
                    for n in range(2)]
        served = [wait_serving(kubectl, replica)[1] for replica in replicas]
    finally:
        supervisor.stop_all()

    ca = x509.load_pem_x509_certificate(secret_data(kubectl, f"{SECRET}-ca")["ca.crt"])
    assert all(pki.issued_by(cert, ca) for cert in served)
    assert ca_bundles(kubectl) == [ca.public_bytes(serialization.Encoding.PEM)] * 2


def test_running_webhook_puts_back_a_blanked_ca_bundle(
    as_webhook: Path, kubectl, tmp_path: Path
) -> None:
    """The check after start runs in the serving workers: blank the caBundle (as a
    `kubectl replace` of the configuration would) and it comes back without a restart."""
    supervisor = Supervisor(tmp_path / "logs")
    try:
        replica = start_webhook(supervisor, as_webhook, tmp_path / "replica",
                                "--certificate-check-interval=1")
        wait_serving(kubectl, replica)
        injected = ca_bundles(kubectl)
        kubectl("patch", "mutatingwebhookconfiguration", "dnsgate", "--type=json", "-p",
                json.dumps([{"op": "remove", "path": "/webhooks/0/clientConfig/caBundle"}]))
        deadline = time.monotonic() + 30
        while ca_bundles(kubectl) != injected and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        supervisor.stop_all()

    log = replica.child.log.read_text()
    assert injected[0] and ca_bundles(kubectl) == injected
    assert log.count("Starting gunicorn") == 1  # put back by the running server
    assert "injected the CA bundle into 1 webhook(s) of MutatingWebhookConfiguration" in \
        log.split("Booting worker", 1)[1]


class InMemorySecrets:
    """The Secret calls of CoreV1Api, with the apiserver's two refusals: create of an
    existing name (AlreadyExists) and replace at a stale resourceVersion (Conflict).
    `interloper` runs once, at the first call after the two reads of a load: another
    replica's whole pass landing after this one read the Secrets, before it writes."""

    def __init__(self) -> None:
        self.secrets: dict[str, SimpleNamespace] = {}
        self.versions = itertools.count(1)
        self.interloper: Callable[[], None] | None = None
        self.calls = 0

    def read_namespaced_secret(self, name: str, namespace: str) -> SimpleNamespace:
        from kubernetes.client import ApiException

        self._interfere()
        if name not in self.secrets:
            raise ApiException(status=404, reason="NotFound")
        return self.secrets[name]

    def create_namespaced_secret(self, namespace: str, body: dict[str, Any]) -> SimpleNamespace:
        from kubernetes.client import ApiException

        self._interfere()
        if body["metadata"]["name"] in self.secrets:
            raise ApiException(status=409, reason="AlreadyExists")
        return self._store(body)

    def replace_namespaced_secret(self, name: str, namespace: str, body: dict[str, Any]
                                  ) -> SimpleNamespace:
        from kubernetes.client import ApiException

        self._interfere()
        if self.secrets[name].metadata.resource_version != body["metadata"]["resourceVersion"]:
            raise ApiException(status=409, reason="Conflict")
        return self._store(body)

    def _interfere(self) -> None:
        self.calls += 1
        if self.calls == 3 and self.interloper is not None:
            interloper, self.interloper = self.interloper, None
            interloper()

    def _store(self, body: dict[str, Any]) -> SimpleNamespace:
        secret = SimpleNamespace(
            data=body["data"], metadata=SimpleNamespace(resource_version=str(next(self.versions))))
        self.secrets[body["metadata"]["name"]] = secret
        return secret


WANTED = rotation.Wanted(service="dnsgate-webhook", namespace=NAMESPACE)


@pytest.mark.parametrize("start", ["no Secrets yet", "an expired certificate"])
def test_a_pass_that_loses_a_race_adopts_the_winners_ca(start: str) -> None:
    """Two replicas starting together (or renewing together): whichever writes second
    must not overwrite the first one's CA, or each would inject and serve its own."""
    secrets = InMemorySecrets()
    if start == "an expired certificate":
        expired = rotation.ensure(rotation.Stored(), rotation.Wanted(
            "dnsgate-webhook", NAMESPACE, ca_validity=dt.timedelta(seconds=1)), pki.now())
        SecretStore(secrets, NAMESPACE, SECRET).save(expired.bundle)
        time.sleep(1.1)
    winner: list[rotation.Bundle] = []

    def other_replica() -> None:
        store = SecretStore(secrets, NAMESPACE, SECRET)
        outcome = rotation.ensure(store.load(), WANTED, pki.now())
        store.save(outcome.bundle)
        winner.append(outcome.bundle)

    secrets.interloper, secrets.calls = other_replica, 0

    report = keeper.ensure([SecretStore(secrets, NAMESPACE, SECRET)], WANTED)
    stored = SecretStore(secrets, NAMESPACE, SECRET).load()

    assert stored == rotation.Stored(winner[0].ca, winner[0].serving)
    assert not report.wrote  # the winner's bundle was good: nothing left to write


def test_a_pass_gives_up_when_the_store_keeps_changing_under_it() -> None:
    class AlwaysLosing:
        keeps_ca = True

        def load(self) -> rotation.Stored:
            return rotation.Stored()

        def save(self, bundle: rotation.Bundle) -> None:
            raise StoreConflict("Secret dnsgate/x was written by another process since it "
                                "was read")

        def describe(self) -> str:
            return "nowhere"

    with pytest.raises(StoreConflict):
        keeper.ensure([AlwaysLosing()], WANTED)


def renewal_settings(tmp_path: Path) -> certificate.CertificateSettings:
    return certificate.CertificateSettings(
        secret=SECRET, service="dnsgate-webhook", namespace=NAMESPACE,
        webhook_configs=("dnsgate",), cert_file=tmp_path / "tls" / "tls.crt",
        key_file=tmp_path / "tls" / "tls.key")


def test_a_later_pass_renews_an_aging_certificate_and_puts_back_a_blanked_bundle(
    as_webhook: Path, kubectl, tmp_path: Path
) -> None:
    from kubernetes import config

    settings = renewal_settings(tmp_path)
    client = config.new_client_from_config(str(as_webhook))  # type: ignore[no-untyped-call]
    renewer = certificate.CertificateRenewer(settings, lambda: client)
    certificate.ensure(settings, client)  # the pass before serving
    ca = secret_data(kubectl, f"{SECRET}-ca")
    aged = pki.issue(pki.KeyPair(ca["ca.crt"], ca["ca.key"]), SERVER_NAME,
                     valid_for=dt.timedelta(minutes=6), dns_names=WANTED.dns_names)
    kubectl("-n", NAMESPACE, "patch", "secret", SECRET, "--type=merge", "-p", json.dumps(
        {"data": {"tls.crt": base64.b64encode(aged.cert_pem).decode(),
                  "tls.key": base64.b64encode(aged.key_pem).decode()}}))
    kubectl("patch", "validatingwebhookconfiguration", "dnsgate", "--type=json", "-p",
            json.dumps([{"op": "remove", "path": "/webhooks/0/clientConfig/caBundle"}]))

    renewer.run_once(client)

    renewed = secret_data(kubectl, SECRET)["tls.crt"]
    assert renewed != aged.cert_pem
    assert settings.cert_file.read_bytes() == renewed
    assert pki.remaining_fraction(x509.load_pem_x509_certificate(renewed)) > 0.99
    assert ca_bundles(kubectl) == [ca["ca.crt"]] * 2


def test_reapplying_with_a_new_image_succeeds_and_leaves_nothing_to_sync(
    as_webhook: Path, kubectl, tmp_path: Path
) -> None:
    """What Argo CD with selfHeal does all day: apply the same manifests again, and after an
    image bump apply changed ones. With a Job among them the second apply failed (a Job's
    pod template is immutable) and a Job deleted by its TTL came back at every sync."""
    from kubernetes import config

    def overlay(tag: str) -> Path:
        directory = tmp_path / f"overlay-{tag}"
        shutil.copytree(MANIFESTS, directory / "manifests")
        (directory / "kustomization.yaml").write_text(
            "resources:\n  - manifests\nimages:\n"
            f"  - name: dnsgate\n    newName: registry.example.org/dnsgate\n    newTag: {tag}\n")
        return directory

    first, second = overlay("0.1.0"), overlay("0.2.0")
    kubectl("apply", "-k", str(first))
    client = config.new_client_from_config(str(as_webhook))  # type: ignore[no-untyped-call]
    certificate.ensure(renewal_settings(tmp_path), client)  # what a webhook pod does at start
    bundle = ca_bundles(kubectl)

    again = kubectl("apply", "-k", str(second), check=False)
    drift = kubectl("diff", "-k", str(second), check=False)

    assert again.returncode == 0, again.stderr
    images = {container["image"] for item in json.loads(
        kubectl("-n", NAMESPACE, "get", "deployments", "-o", "json").stdout)["items"]
        for container in item["spec"]["template"]["spec"]["containers"]}
    assert images == {"registry.example.org/dnsgate:0.2.0"}
    assert drift.returncode == 0, drift.stdout  # 0: the live objects equal the manifests
    assert ca_bundles(kubectl) == bundle  # re-applying never blanks the injected CA
    kubectl("apply", "-k", str(MANIFESTS))


RENDERINGS = [
    pytest.param(lambda helm: kustomize(MANIFESTS), id="kustomize-base"),
    pytest.param(lambda helm: kustomize(OVERLAYS / "cert-manager"), id="kustomize-cert-manager"),
    pytest.param(lambda helm: kustomize(OVERLAYS / "service-monitor"),
                 id="kustomize-service-monitor"),
    pytest.param(lambda helm: helm_template(helm, CHART), id="chart-defaults"),
    pytest.param(lambda helm: helm_template(helm, CHART, "--set", "certManager.enabled=true"),
                 id="chart-cert-manager"),
]


@pytest.mark.parametrize("render", RENDERINGS)
def test_nothing_rendered_is_a_job_or_a_hook(helm, render) -> None:  # type: ignore[no-untyped-def]
    """What Argo CD compares and re-applies is every rendered object: none may be one that
    runs once and goes away (Job, Pod), nor a hook that only some tools would run."""
    objects = render(helm)

    assert not [o["metadata"]["name"] for o in objects if o["kind"] in ("Job", "CronJob", "Pod")]
    assert not [o["metadata"]["name"] for o in objects
                if any(k.startswith(("helm.sh/hook", "argocd.argoproj.io/hook"))
                       for k in (o["metadata"].get("annotations") or {}))]


def test_webhook_without_rights_to_its_secret_exits_saying_which(
    installed: str, kubectl, tmp_path: Path
) -> None:
    """The reconciler's account may not touch Secrets: a webhook started with it refuses to
    start, naming the Secret and where the rights are granted, instead of serving nothing."""
    kubeconfig = service_account_kubeconfig(kubectl, NAMESPACE, "dnsgate-reconciler",
                                            tmp_path / "reconciler.kubeconfig")
    supervisor = Supervisor(tmp_path / "logs")
    try:
        replica = start_webhook(supervisor, kubeconfig, tmp_path / "replica")
        code = replica.child.process.wait(timeout=60)
    finally:
        supervisor.stop_all()

    log = replica.child.log.read_text()
    assert code == 2  # a configuration error, as every command reports one
    assert ("dnsgate webhook: error: --certificate-secret: cannot keep the serving "
            "certificate in Secret "
            "dnsgate/dnsgate-webhook-tls: 403 Forbidden (the webhook's ServiceAccount needs "
            "the rights in manifests/base/rbac-webhook.yaml)") in log
