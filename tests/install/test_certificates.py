"""The certificate keeper (`dnsgate certs --keep`, the dnsgate-certs Deployment) keeps the
webhook's serving certificate, so the install has no Job and the webhook no right to any
Secret: re-applying it, with a new image or after anything was deleted, just works.

Against the real apiserver, each process with its own ServiceAccount's token as its only
credential: the keeper started as its Deployment says issues the certificate, stores it and
injects the CA; the webhook started as its Deployment says serves it from the Secret's files
(kept as the kubelet keeps a mounted Secret); two keepers starting together agree on one CA;
the running keeper renews and repairs, and the running webhook serves the renewal without a
restart. And the Argo CD / GitOps story: apply, apply again with a new image, and nothing
drifts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certs import keep, keeper, pki, rotation
from certs.stores import SecretStore, StoreConflict
from devstack.controlplane import free_port
from devstack.kubectl import KubectlError
from devstack.processes import Child, Supervisor, tail
from devstack.secretvolume import SecretVolume
from tests.install.certificates import (
    NAMESPACE,
    SECRET,
    age_serving_certificate,
    ca_bundles,
    forget_certificates,
    secret_data,
    served_certificate,
)
from tests.install.conftest import CHART, MANIFESTS, OVERLAYS, service_account_kubeconfig
from tests.install.rendering import helm_template, kustomize, pod_spec

pytestmark = pytest.mark.e2e

def container_args(deployment: str) -> list[str]:
    args: list[str] = pod_spec(kustomize(MANIFESTS), deployment)["containers"][0]["args"]
    return args


def keeper_command(health_port: int, *extra: str) -> list[str]:
    """`dnsgate certs` with the args of the base's dnsgate-certs Deployment; only the
    health port is this machine's."""
    args = [a for a in container_args("dnsgate-certs") if not a.startswith("--health-port")]
    return [sys.executable, "-m", "dnsgate", *args, f"--health-port={health_port}", *extra]


def webhook_command(tls_dir: Path, port: int) -> tuple[list[str], dict[str, str]]:
    """`dnsgate webhook` with the args and env of the base's Deployment; only the listening
    address and the Secret volume's path are this machine's."""
    objects = kustomize(MANIFESTS)
    container = pod_spec(objects, "dnsgate-webhook")["containers"][0]
    settings = next(o for o in objects if o["kind"] == "ConfigMap")["data"]
    args = [arg.replace("/etc/dnsgate/tls", str(tls_dir)) for arg in container["args"]]
    args = [arg for arg in args if not arg.startswith("--port=")]
    env = dict(settings)
    for variable in container["env"]:
        env[variable["name"]] = variable["value"].replace("/tmp", str(tls_dir.parent))
    argv = [sys.executable, "-m", "dnsgate", *args, "--host=127.0.0.1", f"--port={port}",
            "--workers=2"]
    return argv, env


def clean_environment(kubeconfig: Path) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("DNSGATE_")},
            "KUBECONFIG": str(kubeconfig)}


@dataclass(frozen=True)
class Accounts:
    keeper: Path
    webhook: Path
    admin: Path


@pytest.fixture
def accounts(installed: str, kubectl, kubeconfig: Path, tmp_path: Path) -> Iterator[Accounts]:  # type: ignore[no-untyped-def]
    """Kubeconfigs holding only the keeper's and the webhook's ServiceAccount tokens (and the
    admin's, for the kubelet's part); no certificates yet."""
    forget_certificates(kubectl)
    yield Accounts(
        service_account_kubeconfig(kubectl, NAMESPACE, "dnsgate-certs",
                                   tmp_path / "certs.kubeconfig"),
        service_account_kubeconfig(kubectl, NAMESPACE, "dnsgate-webhook",
                                   tmp_path / "webhook.kubeconfig"),
        kubeconfig)
    forget_certificates(kubectl)


@dataclass(frozen=True)
class Keeper:
    child: Child
    health_port: int

    def ready(self) -> bool:
        """The pod's readiness probe: /readyz answers 200 once a pass has succeeded."""
        url = f"http://127.0.0.1:{self.health_port}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return bool(answer.status == 200)
        except urllib.error.HTTPError:
            return False

    def wait_ready(self) -> None:
        wait_for(self.ready, self.child, "ready")


def start_keeper(supervisor: Supervisor, kubeconfig: Path, name: str, *extra: str) -> Keeper:
    port = free_port()
    child = supervisor.start(name, keeper_command(port, *extra),
                             env=clean_environment(kubeconfig))
    return Keeper(child, port)


@dataclass(frozen=True)
class Webhook:
    child: Child
    port: int
    volume: SecretVolume


def start_webhook(supervisor: Supervisor, accounts: Accounts, directory: Path) -> Webhook:
    """One webhook replica as its pod starts: first its Secret volume (the kubelet's part,
    waiting as ContainerCreating does until the keeper has written the Secret), then
    `dnsgate webhook` with the webhook's token alone."""
    volume = SecretVolume(accounts.admin, NAMESPACE, SECRET, directory / "tls", period=0.5)
    volume.wait_present()
    port = free_port()
    argv, env = webhook_command(directory / "tls", port)
    child = supervisor.start("webhook", argv, env={**clean_environment(accounts.webhook), **env})
    return Webhook(child, port, volume.start())


def wait_for(check: Callable[[], Any], child: Child, what: str, timeout: float = 60) -> Any:
    """Until `check()` returns something true (errors count as not yet); fails early if
    `child` exits."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise AssertionError(f"{child.name} exited before {what}: {tail(child.log)}")
        try:
            result = check()
        except (OSError, KubectlError, KeyError, AssertionError) as exc:
            last = exc
        else:
            if result:
                return result
            last = result
        time.sleep(0.3)
    raise AssertionError(f"not {what} after {timeout:.0f} s ({last}): {tail(child.log)}")


def test_keeper_issues_and_injects_and_the_webhook_serves_from_the_secrets_files(
    accounts: Accounts, kubectl, tmp_path: Path
) -> None:
    supervisor = Supervisor(tmp_path / "logs")
    try:
        keeper_ = start_keeper(supervisor, accounts.keeper, "keeper")
        webhook = start_webhook(supervisor, accounts, tmp_path / "replica")
        keeper_.wait_ready()
        ca = secret_data(kubectl, f"{SECRET}-ca")
        served = wait_for(lambda: served_certificate(webhook.port, ca["ca.crt"]),
                          webhook.child, "serving")
    finally:
        supervisor.stop_all()

    stored = secret_data(kubectl, SECRET)
    assert ca_bundles(kubectl) == [ca["ca.crt"]] * 2
    assert served.public_bytes(serialization.Encoding.PEM) == stored["tls.crt"]
    assert pki.issued_by(served, x509.load_pem_x509_certificate(ca["ca.crt"]))
    # The webhook's volume holds the serving pair and the CA certificate, not the CA's key.
    assert sorted(p.name for p in (tmp_path / "replica" / "tls").iterdir()
                  if not p.name.startswith(".")) == ["ca.crt", "tls.crt", "tls.key"]


def test_keeper_is_ready_before_the_configurations_exist_and_injects_when_they_come(
    accounts: Accounts, kubectl, tmp_path: Path
) -> None:
    """Argo CD's wave order: the keeper (wave 0) must be ready with no webhook configuration
    yet, or the wave that applies them (1) would never come; once applied, the CA goes in
    within seconds, not at the next minute's pass."""
    configurations = str(MANIFESTS / "base" / "webhook-configurations.yaml")
    kubectl("delete", "-f", configurations)
    supervisor = Supervisor(tmp_path / "logs")
    try:
        keeper_ = start_keeper(supervisor, accounts.keeper, "keeper")
        keeper_.wait_ready()
        ca = secret_data(kubectl, f"{SECRET}-ca")["ca.crt"]
        kubectl("apply", "-f", configurations)
        applied = time.monotonic()
        wait_for(lambda: ca_bundles(kubectl) == [ca] * 2, keeper_.child, "injected", 30)
        injected = time.monotonic() - applied
    finally:
        supervisor.stop_all()
        kubectl("apply", "-f", configurations)

    log = keeper_.child.log.read_text()
    assert "MutatingWebhookConfiguration dnsgate does not exist (yet)" in log
    assert "injected the CA bundle into 1 webhook(s) of ValidatingWebhookConfiguration" in log
    # One retry interval, plus a pass on a busy machine.
    assert injected < keep.RETRY_AFTER + 5


def test_two_keepers_starting_together_share_one_ca(
    accounts: Accounts, kubectl, tmp_path: Path
) -> None:
    """The old and the new keeper pod of a rollout, or a keeper and a `dnsgate certs` run
    by hand: whichever writes second adopts the first one's CA."""
    supervisor = Supervisor(tmp_path / "logs")
    try:
        keepers = [start_keeper(supervisor, accounts.keeper, f"keeper-{n}") for n in range(2)]
        for each in keepers:
            each.wait_ready()
    finally:
        supervisor.stop_all()

    ca = x509.load_pem_x509_certificate(secret_data(kubectl, f"{SECRET}-ca")["ca.crt"])
    serving = x509.load_pem_x509_certificate(secret_data(kubectl, SECRET)["tls.crt"])
    assert pki.issued_by(serving, ca)
    assert ca_bundles(kubectl) == [ca.public_bytes(serialization.Encoding.PEM)] * 2


def test_running_keeper_renews_and_repairs_and_the_webhook_serves_the_renewal_unrestarted(
    accounts: Accounts, kubectl, tmp_path: Path
) -> None:
    """Months on: the certificate has a sixth of its life left, and someone's `kubectl
    replace` blanked a caBundle. The running keeper renews and puts the bundle back; the
    running webhook serves the renewal from its Secret volume, on new connections, with no
    restart of either."""
    supervisor = Supervisor(tmp_path / "logs")
    try:
        keeper_ = start_keeper(supervisor, accounts.keeper, "keeper", "--check-interval=1")
        keeper_child = keeper_.child
        webhook = start_webhook(supervisor, accounts, tmp_path / "replica")
        keeper_.wait_ready()
        ca = secret_data(kubectl, f"{SECRET}-ca")["ca.crt"]
        first = wait_for(lambda: served_certificate(webhook.port, ca), webhook.child, "serving")
        assert ca_bundles(kubectl) == [ca] * 2
        pids = (keeper_child.process.pid, webhook.child.process.pid)

        aged = age_serving_certificate(kubectl)
        kubectl("patch", "validatingwebhookconfiguration", "dnsgate", "--type=json", "-p",
                json.dumps([{"op": "remove", "path": "/webhooks/0/clientConfig/caBundle"}]))

        def renewed_and_served() -> x509.Certificate | None:
            stored = secret_data(kubectl, SECRET)["tls.crt"]
            served = served_certificate(webhook.port, ca)
            fresh = served.public_bytes(serialization.Encoding.PEM) == stored != aged.cert_pem
            return served if fresh else None

        renewed = wait_for(renewed_and_served, keeper_child, "renewed and served")
        wait_for(lambda: ca_bundles(kubectl) == [ca] * 2, keeper_child, "bundle put back")
        alive = keeper_child.alive() and webhook.child.alive()
        webhook.child.process.send_signal(signal.SIGTERM)
        keeper_child.process.send_signal(signal.SIGTERM)
        codes = (keeper_child.process.wait(15), webhook.child.process.wait(15))
    finally:
        supervisor.stop_all()

    log = keeper_child.log.read_text()
    assert renewed.serial_number != first.serial_number
    assert pki.remaining_fraction(renewed) > 0.99
    assert alive and (keeper_child.process.pid, webhook.child.process.pid) == pids
    assert webhook.child.log.read_text().count("Starting gunicorn") == 1
    assert "the serving certificate has 1" in log  # 16-17% of its life left
    assert "injected the CA bundle into 1 webhook(s) of ValidatingWebhookConfiguration" in log
    assert codes == (0, 0)


def test_keeper_without_the_rights_exits_saying_which(
    accounts: Accounts, tmp_path: Path
) -> None:
    """The webhook's account may not touch Secrets: a keeper started with it refuses to
    start, naming what was refused and where the rights are granted."""
    supervisor = Supervisor(tmp_path / "logs")
    try:
        child = start_keeper(supervisor, accounts.webhook, "keeper").child
        code = child.process.wait(timeout=60)
    finally:
        supervisor.stop_all()

    log = child.log.read_text()
    assert code == 2  # a configuration error, as every command reports one
    assert "dnsgate certs: error: cannot keep the webhook's certificate: 403 Forbidden: " \
        'secrets "dnsgate-webhook-tls-ca" is forbidden: User ' \
        '"system:serviceaccount:dnsgate:dnsgate-webhook" cannot get resource "secrets"' in log
    assert "(the ServiceAccount needs the rights in manifests/base/rbac-certs.yaml)" in log


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
        def load(self) -> rotation.Stored:
            return rotation.Stored()

        def save(self, bundle: rotation.Bundle) -> None:
            raise StoreConflict("Secret dnsgate/x was written by another process since it "
                                "was read")

        def describe(self) -> str:
            return "nowhere"

    with pytest.raises(StoreConflict):
        keeper.ensure([AlwaysLosing()], WANTED)


def test_reapplying_with_a_new_image_succeeds_and_leaves_nothing_to_sync(
    accounts: Accounts, kubectl, tmp_path: Path
) -> None:
    """What Argo CD with selfHeal does all day: apply the same manifests again, and after an
    image bump apply changed ones. With a Job among them the second apply failed (a Job's
    pod template is immutable) and a Job deleted by its TTL came back at every sync."""
    def overlay(tag: str) -> Path:
        directory = tmp_path / f"overlay-{tag}"
        shutil.copytree(MANIFESTS, directory / "manifests")
        (directory / "kustomization.yaml").write_text(
            "resources:\n  - manifests\nimages:\n"
            f"  - name: dnsgate\n    newName: registry.example.org/dnsgate\n    newTag: {tag}\n")
        return directory

    first, second = overlay("0.1.0"), overlay("0.2.0")
    kubectl("apply", "-k", str(first))
    supervisor = Supervisor(tmp_path / "logs")  # what the keeper's pod does at start
    try:
        start_keeper(supervisor, accounts.keeper, "keeper").wait_ready()
    finally:
        supervisor.stop_all()
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
