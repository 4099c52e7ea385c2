"""`kubectl apply -k manifests/` against the real apiserver, and what the install grants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.install.conftest import MANIFESTS

pytestmark = pytest.mark.e2e

EXPECTED = {
    ("Namespace", "dnsgate"), ("ServiceAccount", "dnsgate-webhook"),
    ("ServiceAccount", "dnsgate-reconciler"),
    ("Deployment", "dnsgate-webhook"), ("Deployment", "dnsgate-reconciler"),
    ("Service", "dnsgate-webhook"), ("PodDisruptionBudget", "dnsgate-webhook"),
    ("ServiceAccount", "dnsgate-certs"), ("Deployment", "dnsgate-certs"),
    ("Role", "dnsgate-certs"), ("ClusterRole", "dnsgate-certs"),
    ("ValidatingAdmissionPolicy", "dnsgate-certs-secrets"),
    ("ValidatingAdmissionPolicyBinding", "dnsgate-certs-secrets"),
    ("ValidatingAdmissionPolicy", "dnsgate-certs-webhook-configurations"),
    ("ValidatingAdmissionPolicyBinding", "dnsgate-certs-webhook-configurations"),
    ("MutatingWebhookConfiguration", "dnsgate"), ("ValidatingWebhookConfiguration", "dnsgate"),
}


def test_server_side_dry_run_accepts_every_object(kubectl) -> None:
    # A server-side dry run validates namespaced objects against an existing namespace, so
    # the namespace goes first, as in the README's install steps (it holds the AWS Secret).
    kubectl("apply", "-f", str(MANIFESTS / "base" / "namespace.yaml"))
    result = kubectl("apply", "-k", str(MANIFESTS), "--dry-run=server", "-o", "json")

    items = json.loads(result.stdout)["items"]
    assert {(item["kind"], item["metadata"]["name"]) for item in items} >= EXPECTED
    assert "Warning" not in result.stderr, result.stderr


def test_real_apply_creates_every_object_without_pod_security_warnings(
    installed: str, kubectl
) -> None:
    assert "would violate PodSecurity" not in installed, installed
    for kind, name in EXPECTED:
        namespaced = kind not in ("Namespace", "ClusterRole", "MutatingWebhookConfiguration",
                                  "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
                                  "ValidatingAdmissionPolicyBinding")
        args = ["get", kind.lower(), name, "-o", "name"]
        kubectl(*(["-n", "dnsgate", *args] if namespaced else args))


def test_seed_settings_are_the_defaults(installed: str, kubectl) -> None:
    configmaps = json.loads(kubectl("-n", "dnsgate", "get", "configmaps", "-o", "json").stdout)
    settings = next(c["data"] for c in configmaps["items"]
                    if c["metadata"]["name"].startswith("dnsgate-settings"))

    assert settings["DNSGATE_DOMAIN_FILTER"] == "goldentooth.net"
    assert settings["DNSGATE_TXT_OWNER_ID"] == "external-dns-external-dns"
    assert settings["DNSGATE_AWS_ZONE_TYPE"] == "public"
    assert settings["AWS_REGION"] == "us-east-1"
    assert settings["DNSGATE_DEFAULT_TTL"] == "60"


def _pod_specs(kubectl) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    items = json.loads(kubectl("-n", "dnsgate", "get", "deployment", "-o", "json").stdout)
    return {item["metadata"]["name"]: item["spec"]["template"]["spec"]
            for item in items["items"]}


def test_every_pod_is_locked_down(installed: str, kubectl) -> None:
    for name, spec in _pod_specs(kubectl).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["requests"] and container["resources"]["limits"], name
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name


def _can(kubectl, account: str, *request: str) -> bool:  # type: ignore[no-untyped-def]
    result = kubectl("auth", "can-i", f"--as=system:serviceaccount:dnsgate:{account}",
                     *request, check=False)
    return result.stdout.strip() == "yes"


@pytest.mark.parametrize(("account", "request_", "allowed"), [
    ("dnsgate-reconciler", ("watch", "services", "--all-namespaces"), True),
    ("dnsgate-reconciler", ("list", "services", "--all-namespaces"), True),
    ("dnsgate-reconciler", ("create", "events", "-n", "httpbin"), True),
    ("dnsgate-reconciler", ("patch", "services", "--subresource=status", "-n", "httpbin"), True),
    ("dnsgate-reconciler", ("create", "leases", "-n", "dnsgate"), True),
    ("dnsgate-reconciler", ("update", "leases", "-n", "dnsgate"), True),
    ("dnsgate-reconciler", ("create", "leases", "-n", "default"), False),
    ("dnsgate-reconciler", ("get", "secrets", "-n", "dnsgate"), False),
    ("dnsgate-reconciler", ("list", "secrets", "--all-namespaces"), False),
    ("dnsgate-reconciler", ("list", "ingresses.networking.k8s.io", "--all-namespaces"), True),
    ("dnsgate-reconciler", ("patch", "ingresses.networking.k8s.io", "-n", "httpbin"), False),
    ("dnsgate-reconciler", ("update", "services", "-n", "httpbin"), False),
    ("dnsgate-reconciler", ("patch", "services", "-n", "httpbin"), False),
    ("dnsgate-reconciler", ("delete", "services", "-n", "httpbin"), False),
    ("dnsgate-webhook", ("watch", "services", "--all-namespaces"), True),
    ("dnsgate-webhook", ("watch", "ingresses.networking.k8s.io", "--all-namespaces"), True),
    ("dnsgate-webhook", ("update", "ingresses.networking.k8s.io", "-n", "httpbin"), False),
    ("dnsgate-webhook", ("get", "services", "-n", "httpbin"), True),
    ("dnsgate-webhook", ("update", "services", "-n", "httpbin"), False),
    ("dnsgate-webhook", ("create", "events", "-n", "httpbin"), False),
    ("dnsgate-webhook", ("get", "secrets", "-n", "dnsgate"), False),
    ("dnsgate-webhook", ("list", "secrets", "-n", "dnsgate"), False),
    ("dnsgate-webhook", ("get", "configmaps", "-n", "dnsgate"), False),
    # No certificate rights at all: the keeper holds them (tests/install/test_rights.py).
    ("dnsgate-webhook", ("create", "secrets", "-n", "dnsgate"), False),
    ("dnsgate-webhook", ("update", "secrets/dnsgate-webhook-tls", "-n", "dnsgate"), False),
    ("dnsgate-webhook", ("get", "secrets/dnsgate-webhook-tls", "-n", "dnsgate"), False),
    ("dnsgate-webhook", ("get", "secrets/dnsgate-webhook-tls-ca", "-n", "dnsgate"), False),
    ("dnsgate-webhook", ("patch", "validatingwebhookconfigurations/dnsgate"), False),
    ("dnsgate-webhook", ("patch", "mutatingwebhookconfigurations/dnsgate"), False),
    ("dnsgate-webhook", ("update", "mutatingwebhookconfigurations/dnsgate"), False),
    # The keeper: its two Secrets (a create of any other name is refused by the admission
    # policy, which `can-i` does not see) and the two configurations, nothing else.
    ("dnsgate-certs", ("create", "secrets", "-n", "dnsgate"), True),
    ("dnsgate-certs", ("create", "secrets", "-n", "httpbin"), False),
    ("dnsgate-certs", ("update", "secrets/dnsgate-webhook-tls", "-n", "dnsgate"), True),
    ("dnsgate-certs", ("get", "secrets/dnsgate-webhook-tls-ca", "-n", "dnsgate"), True),
    ("dnsgate-certs", ("get", "secrets/dnsgate-aws", "-n", "dnsgate"), False),
    ("dnsgate-certs", ("update", "secrets/dnsgate-txt-encryption", "-n", "dnsgate"), False),
    ("dnsgate-certs", ("list", "secrets", "-n", "dnsgate"), False),
    ("dnsgate-certs", ("delete", "secrets/dnsgate-webhook-tls", "-n", "dnsgate"), False),
    ("dnsgate-certs", ("patch", "validatingwebhookconfigurations/dnsgate"), True),
    ("dnsgate-certs", ("patch", "mutatingwebhookconfigurations/dnsgate"), True),
    ("dnsgate-certs", ("update", "mutatingwebhookconfigurations/dnsgate"), False),
    ("dnsgate-certs", ("patch", "validatingwebhookconfigurations/someone-else"), False),
    ("dnsgate-certs", ("delete", "validatingwebhookconfigurations/dnsgate"), False),
    ("dnsgate-certs", ("create", "validatingadmissionpolicybindings"), False),
    ("dnsgate-certs", ("list", "services", "--all-namespaces"), False),
], ids=lambda value: "-".join(value) if isinstance(value, tuple) else str(value))
def test_service_account_permissions(
    installed: str, kubectl, account: str, request_: tuple[str, ...], allowed: bool
) -> None:
    assert _can(kubectl, account, *request_) is allowed


def test_txt_encryption_key_reaches_the_reconciler_alone_from_a_secret(kubectl) -> None:
    rendered = [doc for doc in yaml.safe_load_all(kubectl("kustomize", str(MANIFESTS)).stdout)
                if doc]
    webhook = yaml.safe_dump([doc for doc in rendered
                              if doc["metadata"]["name"] == "dnsgate-webhook"])
    configmap = next(doc for doc in rendered if doc["kind"] == "ConfigMap")
    reconciler = next(doc for doc in rendered if doc["metadata"]["name"] == "dnsgate-reconciler"
                      and doc["kind"] == "Deployment")
    (container,) = reconciler["spec"]["template"]["spec"]["containers"]
    key = next(e for e in container["env"] if e["name"] == "DNSGATE_TXT_ENCRYPT_AES_KEY")

    assert not any("AES" in name for name in configmap["data"])
    assert key["valueFrom"]["secretKeyRef"] == {
        "name": "dnsgate-txt-encryption", "key": "aes-key", "optional": True}
    assert "Deployment" in webhook
    assert "dnsgate-txt-encryption" not in webhook
    assert "DNSGATE_TXT_ENCRYPT_AES_KEY" not in webhook


def test_cert_manager_component_takes_over_the_certificate(kubectl) -> None:
    overlay = Path(__file__).parent / "overlays" / "cert-manager"
    rendered = [doc for doc in yaml.safe_load_all(kubectl("kustomize", str(overlay)).stdout)
                if doc]
    kinds = {(doc["kind"], doc["metadata"]["name"]) for doc in rendered}
    webhook = next(doc for doc in rendered if (doc["kind"], doc["metadata"]["name"]) ==
                   ("Deployment", "dnsgate-webhook"))["spec"]["template"]["spec"]

    assert ("Certificate", "dnsgate-webhook") in kinds
    # The webhook serves cert-manager's Secret; dnsgate's own keeper, its account, rights
    # and policies are gone.
    assert {"name": "tls", "secret": {"secretName": "dnsgate-webhook-tls"}} in webhook["volumes"]
    assert not {kind for kind in kinds if kind[1].startswith("dnsgate-certs")}
    for doc in rendered:
        if doc["kind"].endswith("WebhookConfiguration"):
            annotations = doc["metadata"]["annotations"]
            assert annotations["cert-manager.io/inject-ca-from"] == "dnsgate/dnsgate-webhook"
