"""`dnsgate certs` against the real apiserver, and certificate rotation in the running
webhook: a renewed certificate is served to new connections without a restart."""

import base64
import contextlib
import datetime as dt
import json
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from certs import pki
from devstack import webhook as devstack_webhook
from devstack.processes import Supervisor
from tests.admission.conftest import certs_args, dnsgate, start_webhook
from webhook import server

pytestmark = pytest.mark.e2e


def served_certificate(port: int, ca_file: Path) -> x509.Certificate:
    context = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def get_over(tls: ssl.SSLSocket, path: str) -> bytes:
    """One HTTP/1.1 keep-alive request on an open connection; returns the status line."""
    tls.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += tls.recv(4096)
    head, _, body = reply.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += tls.recv(4096)
    return head.split(b"\r\n")[0]


def age(directory: Path) -> x509.Certificate:
    """Replace the serving certificate with one from the same CA that has 1/6 of its life
    left (5 minutes backdated, 1 minute to go), as if it had been running for months."""
    ca = pki.KeyPair((directory / "ca.crt").read_bytes(), (directory / "ca.key").read_bytes())
    old = pki.issue(ca, "dnsgate-webhook.dnsgate.svc", valid_for=dt.timedelta(minutes=6),
                    dns_names=devstack_names(), ip_addresses=("127.0.0.1",))
    pki.write_atomic(directory / "tls.key", old.key_pem)
    pki.write_atomic(directory / "tls.crt", old.cert_pem)
    return old.cert


def devstack_names() -> tuple[str, ...]:
    base = "dnsgate-webhook.dnsgate"
    return ("dnsgate-webhook", base, f"{base}.svc", f"{base}.svc.cluster.local")


def test_renewed_certificate_is_served_without_a_restart(stack, tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    dnsgate(*certs_args(certs))
    aged = age(certs)
    supervisor = Supervisor(tmp_path / "logs")
    try:
        running = start_webhook(stack, certs, supervisor)
        pid = running.child.process.pid
        context = ssl.create_default_context(cafile=str(running.ca_file))
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as kept:
            assert get_over(kept, "/healthz") == b"HTTP/1.1 200 OK"
            before = served_certificate(running.port, running.ca_file)

            renewal = dnsgate(*certs_args(certs))

            after = served_certificate(running.port, running.ca_file)
            assert get_over(kept, "/healthz") == b"HTTP/1.1 200 OK"  # still open
        assert before.serial_number == aged.serial_number
        assert "issued a serving certificate" in renewal.stdout
        assert "the serving certificate has 1" in renewal.stdout  # 16-17% left
        assert after.serial_number != before.serial_number
        assert after == x509.load_pem_x509_certificate((certs / "tls.crt").read_bytes())
        assert pki.remaining_fraction(after) > 0.99
        assert running.child.alive() and running.child.process.pid == pid
    finally:
        supervisor.stop_all()


OLD_VERSIONS = [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1]
pytestmark_tls = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1.* is deprecated")


def client_speaking(version: ssl.TLSVersion, ca_file: Path) -> ssl.SSLContext:
    """A client that offers exactly `version`; OpenSSL's security level 0 lets it offer TLS
    1.0 and 1.1 at all (level 1 and up refuse them on the client side already)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(str(ca_file))
    context.minimum_version = context.maximum_version = version
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def permissive_server_context(cert_dir: Path) -> ssl.SSLContext:
    """A server context that accepts TLS 1.0 and up: what the webhook must not be."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_dir / "tls.crt"), str(cert_dir / "tls.key"))
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


@contextlib.contextmanager
def tls_server(context: ssl.SSLContext) -> Iterator[tuple[str, int]]:
    """A loopback server that completes TLS handshakes with `context`, then hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            with contextlib.suppress(OSError), context.wrap_socket(raw, server_side=True):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def handshake(context: ssl.SSLContext, address: tuple[str, int]) -> str | None:
    with socket.create_connection(address, timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        return tls.version()


@pytestmark_tls
@pytest.mark.parametrize("version", OLD_VERSIONS, ids=["tls1.0", "tls1.1"])
def test_tls_below_1_2_is_refused_though_the_client_can_speak_it(
    webhook, version: ssl.TLSVersion
) -> None:
    client = client_speaking(version, webhook.ca_file)
    with tls_server(permissive_server_context(webhook.cert_dir)) as permissive:
        spoken = handshake(client, permissive)

    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):
        handshake(client, ("127.0.0.1", webhook.port))
    assert spoken == version.name.replace("v1_", "v1.")  # the client can; the webhook not


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3],
                         ids=["tls1.2", "tls1.3"])
def test_tls_1_2_and_later_are_served(webhook, version: ssl.TLSVersion) -> None:
    client = client_speaking(version, webhook.ca_file)

    assert handshake(client, ("127.0.0.1", webhook.port)) == version.name.replace("v1_", "v1.")


@pytestmark_tls
@pytest.mark.parametrize("version", OLD_VERSIONS, ids=["tls1.0", "tls1.1"])
def test_tls_context_hook_raises_the_minimum_whatever_the_factory_allows(
    webhook, version: ssl.TLSVersion
) -> None:
    served = server.tls_context(None, lambda: permissive_server_context(webhook.cert_dir))

    with tls_server(served) as address, pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):
        handshake(client_speaking(version, webhook.ca_file), address)
    assert served.minimum_version == ssl.TLSVersion.TLSv1_2


@pytest.fixture
def configurations(stack, namespace: str) -> Iterator[list[dict[str, Any]]]:
    """A private copy of the shipped configurations that matches no namespace, so rewriting
    its caBundle cannot disturb the webhook other tests use."""
    copies = devstack_webhook.local_configurations(1)
    for configuration in copies:
        configuration["metadata"]["name"] = f"certs-{namespace}"[:63]
        for hook in configuration["webhooks"]:
            hook["namespaceSelector"] = {"matchLabels": {"dnsgate.io/never": "true"}}
    devstack_webhook.register(stack.kubeconfig, copies)
    yield copies
    devstack_webhook.unregister(stack.kubeconfig, copies)


def versions(kubectl, namespace: str, name: str) -> dict[str, str]:
    def version(*target: str) -> str:
        obj = json.loads(kubectl("get", *target, "-o", "json").stdout)
        return str(obj["metadata"]["resourceVersion"])

    return {
        "secret": version("-n", namespace, "secret", "webhook-tls"),
        "ca-secret": version("-n", namespace, "secret", "webhook-tls-ca"),
        "mutating": version("mutatingwebhookconfiguration", name),
        "validating": version("validatingwebhookconfiguration", name),
    }


def ca_bundles(kubectl, name: str) -> list[str]:
    return [hook["clientConfig"].get("caBundle", "")
            for kind in ("mutatingwebhookconfiguration", "validatingwebhookconfiguration")
            for hook in json.loads(kubectl("get", kind, name, "-o", "json").stdout)["webhooks"]]


def test_certs_writes_secrets_injects_bundle_then_changes_nothing(
    kubectl, namespace: str, configurations: list[dict[str, Any]]
) -> None:
    name = configurations[0]["metadata"]["name"]
    args = ("certs", "--namespace", namespace, "--secret", "webhook-tls",
            "--webhook-config", name)

    first = dnsgate(*args)
    state = versions(kubectl, namespace, name)
    second = dnsgate(*args)

    secret = json.loads(kubectl("-n", namespace, "get", "secret", "webhook-tls", "-o",
                                "json").stdout)
    ca_secret = json.loads(kubectl("-n", namespace, "get", "secret", "webhook-tls-ca", "-o",
                                   "json").stdout)
    assert f"wrote Secrets {namespace}/webhook-tls and {namespace}/webhook-tls-ca" \
        in first.stdout
    assert f"injected the CA bundle into 1 webhook(s) of ValidatingWebhookConfiguration " \
        f"{name}" in first.stdout
    assert secret["type"] == "kubernetes.io/tls"
    assert set(secret["data"]) == {"tls.crt", "tls.key", "ca.crt"}
    assert set(ca_secret["data"]) == {"ca.crt", "ca.key"}
    assert ca_bundles(kubectl, name) == [secret["data"]["ca.crt"]] * 2
    assert "nothing to do" in second.stdout and "wrote" not in second.stdout
    assert versions(kubectl, namespace, name) == state


def test_certs_reinjects_an_overwritten_bundle_and_renews_under_the_same_ca(
    kubectl, namespace: str, configurations: list[dict[str, Any]]
) -> None:
    name = configurations[0]["metadata"]["name"]
    args = ("certs", "--namespace", namespace, "--secret", "webhook-tls",
            "--webhook-config", name)
    dnsgate(*args)
    bundle = ca_bundles(kubectl, name)[0]
    kubectl("patch", "validatingwebhookconfiguration", name, "--type=json", "-p", json.dumps(
        [{"op": "replace", "path": "/webhooks/0/clientConfig/caBundle",
          "value": base64.b64encode(b"overwritten").decode()}]))

    repaired = dnsgate(*args)

    assert "injected the CA bundle into 1 webhook(s) of ValidatingWebhookConfiguration" \
        in repaired.stdout
    assert "MutatingWebhookConfiguration" not in repaired.stdout
    assert "wrote" not in repaired.stdout
    assert ca_bundles(kubectl, name) == [bundle] * 2

    secret = json.loads(kubectl("-n", namespace, "get", "secret", "webhook-tls", "-o",
                                "json").stdout)
    ca = pki.KeyPair(base64.b64decode(secret["data"]["ca.crt"]),
                     base64.b64decode(json.loads(kubectl(
                         "-n", namespace, "get", "secret", "webhook-tls-ca", "-o", "json"
                     ).stdout)["data"]["ca.key"]))
    old = pki.issue(ca, "old", valid_for=dt.timedelta(minutes=6),
                    dns_names=(f"dnsgate-webhook.{namespace}",))
    kubectl("-n", namespace, "patch", "secret", "webhook-tls", "--type=merge", "-p",
            json.dumps({"data": {"tls.crt": base64.b64encode(old.cert_pem).decode(),
                                 "tls.key": base64.b64encode(old.key_pem).decode()}}))

    renewed = dnsgate(*args)

    assert "issued a serving certificate" in renewed.stdout
    assert f"wrote Secrets {namespace}/webhook-tls" in renewed.stdout
    assert "injected" not in renewed.stdout
    assert ca_bundles(kubectl, name) == [bundle] * 2


def test_certs_names_a_missing_configuration(stack, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", *certs_args(tmp_path), "--webhook-config", "nope"],
        capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "dnsgate certs: error: MutatingWebhookConfiguration nope does not exist; apply "
        "manifests/base/webhook-configurations.yaml first"]
