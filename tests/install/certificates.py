"""The webhook's certificate as the install tests look at it: the keeper's Secrets, the
injected caBundles, the certificate a webhook serves, and an aged certificate to renew."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import ssl

from cryptography import x509

from certs import pki, rotation

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


def served_certificate(port: int, ca_pem: bytes, host: str = "127.0.0.1") -> x509.Certificate:
    """The certificate served on `host`:`port`, verified as the apiserver verifies it:
    against the CA, for the Service's DNS name."""
    context = ssl.create_default_context(cadata=ca_pem.decode())
    with socket.create_connection((host, port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=SERVER_NAME) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def age_serving_certificate(kubectl) -> pki.KeyPair:  # type: ignore[no-untyped-def]
    """Replace the stored serving certificate with one from the same CA that has a sixth
    of its life left (five minutes backdated, one to go), as if months had passed."""
    ca = secret_data(kubectl, f"{SECRET}-ca")
    aged = pki.issue(pki.KeyPair(ca["ca.crt"], ca["ca.key"]), SERVER_NAME,
                     valid_for=dt.timedelta(minutes=6),
                     dns_names=rotation.Wanted("dnsgate-webhook", NAMESPACE).dns_names)
    kubectl("-n", NAMESPACE, "patch", "secret", SECRET, "--type=merge", "-p", json.dumps(
        {"data": {"tls.crt": base64.b64encode(aged.cert_pem).decode(),
                  "tls.key": base64.b64encode(aged.key_pem).decode()}}))
    return aged
