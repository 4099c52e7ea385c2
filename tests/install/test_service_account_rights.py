"""What each of dnsgate's ServiceAccounts may do, proven with real requests against the real
apiserver after `kubectl apply -k manifests/` (docs/security.md):

- the webhook's account may create no Secret, read none, and write no webhook
  configuration: RBAC refuses it all;
- the certificate keeper's account may create Secrets as far as RBAC goes (RBAC cannot
  limit `create` to names), but the admission policy refuses every name but the webhook's
  two, so none of the Secrets the reconciler mounts if present (dnsgate-aws,
  dnsgate-txt-encryption) can be planted by any dnsgate account;
- the keeper may patch dnsgate's webhook configurations as far as RBAC goes (RBAC cannot
  limit a patch to a field), but the admission policy refuses every change except to
  clientConfig.caBundle, which it can still inject.

Requests are made as the account (`--as=system:serviceaccount:...`): RBAC and admission
policies see exactly that user. Secret creations are server-side dry runs, which go through
admission like real ones and leave nothing behind.
"""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.install.conftest import MANIFESTS, service_account_kubeconfig

pytestmark = pytest.mark.e2e

NAMESPACE = "dnsgate"
KEEPER, WEBHOOK, RECONCILER = "dnsgate-certs", "dnsgate-webhook", "dnsgate-reconciler"
POLICY_REFUSAL = "ValidatingAdmissionPolicy '{0}' with binding '{0}' denied request"


def user(account: str) -> str:
    return f"--as=system:serviceaccount:{NAMESPACE}:{account}"


def can_i(kubectl, account: str, *request: str) -> str:  # type: ignore[no-untyped-def]
    return str(kubectl("auth", "can-i", user(account), *request, check=False).stdout.strip())


def create_secret(kubectl, account: str, name: str) -> Any:  # type: ignore[no-untyped-def]
    return kubectl("-n", NAMESPACE, "create", "secret", "generic", name,
                   "--from-literal=credentials=[default]", "--dry-run=server", user(account),
                   check=False)


@pytest.fixture(scope="module", autouse=True)
def enforced(installed: str, kubectl) -> None:  # type: ignore[no-untyped-def]
    """kube-apiserver loads new admission policies asynchronously: wait until the keeper's
    Secret policy refuses, so no test sees the moment before."""
    deadline = time.monotonic() + 30
    refusal = POLICY_REFUSAL.format("dnsgate-certs-secrets")
    while refusal not in create_secret(kubectl, KEEPER, "probe").stderr:
        assert time.monotonic() < deadline, "the admission policies were not enforced in 30 s"
        time.sleep(0.2)


def test_only_the_keeper_may_create_secrets_in_the_namespace(installed: str, kubectl) -> None:
    """Every ServiceAccount in the namespace, as `kubectl auth can-i` answers for it
    (`default` too, which a cluster's controller manager creates in every namespace)."""
    accounts = {item["metadata"]["name"] for item in json.loads(kubectl(
        "-n", NAMESPACE, "get", "serviceaccounts", "-o", "json").stdout)["items"]}

    allowed = {account: can_i(kubectl, account, "create", "secrets", "-n", NAMESPACE)
               for account in sorted(accounts | {"default"})}

    assert allowed == {"default": "no", KEEPER: "yes", RECONCILER: "no", WEBHOOK: "no"}


@pytest.mark.parametrize("name", ["dnsgate-aws", "dnsgate-txt-encryption", "anything"])
def test_the_keeper_may_not_create_a_secret_of_another_name(
    installed: str, kubectl, name: str
) -> None:
    refused = create_secret(kubectl, KEEPER, name)

    assert refused.returncode != 0
    assert POLICY_REFUSAL.format("dnsgate-certs-secrets") in refused.stderr, refused.stderr
    assert ("the certificate keeper dnsgate/dnsgate-certs may write only the Secrets "
            "dnsgate/dnsgate-webhook-tls and dnsgate/dnsgate-webhook-tls-ca, not "
            f"dnsgate/{name}") in refused.stderr


@pytest.mark.parametrize("name", ["dnsgate-webhook-tls", "dnsgate-webhook-tls-ca"])
def test_the_keeper_may_create_the_webhooks_two_secrets(
    installed: str, kubectl, name: str
) -> None:
    created = create_secret(kubectl, KEEPER, name)

    assert created.returncode == 0, created.stderr


@pytest.mark.parametrize("account", [WEBHOOK, RECONCILER])
@pytest.mark.parametrize("name", ["dnsgate-aws", "dnsgate-txt-encryption",
                                  "dnsgate-webhook-tls"])
def test_no_other_account_may_create_a_secret(
    installed: str, kubectl, account: str, name: str
) -> None:
    refused = create_secret(kubectl, account, name)

    assert refused.returncode != 0
    assert (f'secrets is forbidden: User "system:serviceaccount:{NAMESPACE}:{account}" '
            'cannot create resource "secrets"') in refused.stderr, refused.stderr


@pytest.mark.parametrize("name", ["dnsgate-webhook-tls", "dnsgate-webhook-tls-ca"])
def test_the_webhook_may_read_no_secret(installed: str, kubectl, name: str) -> None:
    refused = kubectl("-n", NAMESPACE, "get", "secret", name, user(WEBHOOK), check=False)

    assert refused.returncode != 0
    assert f'User "system:serviceaccount:{NAMESPACE}:{WEBHOOK}" cannot get resource ' \
        '"secrets"' in refused.stderr, refused.stderr


@pytest.mark.parametrize("kind", ["mutating", "validating"])
def test_the_webhook_may_not_patch_its_configurations(
    installed: str, kubectl, kind: str, tmp_path: Path
) -> None:
    """A PATCH as the webhook's own token (kubectl would GET first, which is refused too)."""
    from kubernetes import client, config
    from kubernetes.client import ApiException

    token = service_account_kubeconfig(kubectl, NAMESPACE, WEBHOOK, tmp_path / "kubeconfig")
    api = client.AdmissionregistrationV1Api(
        config.new_client_from_config(str(token)))  # type: ignore[no-untyped-call]
    patch = getattr(api, f"patch_{kind}_webhook_configuration")

    with pytest.raises(ApiException) as refused:
        patch("dnsgate", [{"op": "add", "path": "/webhooks/0/clientConfig/caBundle",
                           "value": base64.b64encode(b"attacker's CA").decode()}])

    assert refused.value.status == 403
    assert (f'User \\"system:serviceaccount:{NAMESPACE}:{WEBHOOK}\\" cannot patch resource '
            f'\\"{kind}webhookconfigurations\\"') in str(refused.value.body)


def configuration(kubectl, kind: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    found: dict[str, Any] = json.loads(kubectl("get", kind, "dnsgate", "-o", "json").stdout)
    return found


def patch_as_keeper(kubectl, kind: str,  # type: ignore[no-untyped-def]
                    operations: list[dict[str, Any]]) -> Any:
    return kubectl("patch", kind, "dnsgate", "--type=json", "-p", json.dumps(operations),
                   "--dry-run=server", user(KEEPER), check=False)


HOOK = "/webhooks/0"
WIDENINGS = [
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "replace", "path": f"{HOOK}/rules/0/resources", "value": ["*"]}],
                 id="rules-every-resource"),
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "replace", "path": f"{HOOK}/rules/0/apiGroups", "value": ["*"]}],
                 id="rules-every-group"),
    pytest.param("mutatingwebhookconfiguration",
                 [{"op": "remove", "path": f"{HOOK}/matchConditions"}],
                 id="match-conditions-removed"),
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "replace", "path": f"{HOOK}/namespaceSelector", "value": {}}],
                 id="namespace-selector-emptied"),
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "add", "path": f"{HOOK}/objectSelector",
                   "value": {"matchLabels": {"never": "true"}}}],
                 id="object-selector-matching-nothing"),
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "replace", "path": f"{HOOK}/failurePolicy", "value": "Ignore"}],
                 id="failure-policy-ignore"),
    pytest.param("mutatingwebhookconfiguration",
                 [{"op": "replace", "path": f"{HOOK}/reinvocationPolicy",
                   "value": "IfNeeded"}],
                 id="reinvocation-policy"),
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "replace", "path": f"{HOOK}/clientConfig/service/namespace",
                   "value": "elsewhere"}],
                 id="service-elsewhere"),
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "replace", "path": f"{HOOK}/timeoutSeconds", "value": 1}],
                 id="timeout"),
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "remove", "path": HOOK}],
                 id="webhook-removed"),
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "replace", "path": f"{HOOK}/name", "value": "validate.example.org"}],
                 id="webhook-renamed"),
    pytest.param("validatingwebhookconfiguration",
                 [{"op": "add", "path": "/metadata/ownerReferences", "value": [{
                     "apiVersion": "v1", "kind": "ConfigMap", "name": "gone",
                     "uid": "00000000-0000-4000-8000-000000000000"}]}],
                 id="owner-reference-for-the-garbage-collector"),
    pytest.param("mutatingwebhookconfiguration",
                 [{"op": "add", "path": "/metadata/finalizers", "value": ["example.org/x"]}],
                 id="finalizer"),
    pytest.param("mutatingwebhookconfiguration",
                 [{"op": "add", "path": "/metadata/annotations",
                   "value": {"cert-manager.io/inject-ca-from": "elsewhere/certificate"}}],
                 id="annotation"),
]


@pytest.mark.parametrize(("kind", "operations"), WIDENINGS)
def test_the_keeper_may_not_change_what_the_webhook_sees(
    installed: str, kubectl, kind: str, operations: list[dict[str, Any]]
) -> None:
    before = configuration(kubectl, kind)

    refused = patch_as_keeper(kubectl, kind, operations)

    assert refused.returncode != 0
    assert POLICY_REFUSAL.format("dnsgate-certs-webhook-configurations") in refused.stderr, \
        refused.stderr
    assert configuration(kubectl, kind)["webhooks"] == before["webhooks"]


@pytest.mark.parametrize("kind", ["mutatingwebhookconfiguration",
                                  "validatingwebhookconfiguration"])
def test_the_keeper_may_inject_the_ca_bundle(installed: str, kubectl, kind: str) -> None:
    bundle = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n").decode()
    operations = [{"op": "test", "path": f"{HOOK}/name",
                   "value": configuration(kubectl, kind)["webhooks"][0]["name"]},
                  {"op": "add", "path": f"{HOOK}/clientConfig/caBundle", "value": bundle}]

    injected = kubectl("patch", kind, "dnsgate", "--type=json", "-p", json.dumps(operations),
                       "--dry-run=server", user(KEEPER), "-o", "json", check=False)

    assert injected.returncode == 0, injected.stderr
    assert json.loads(injected.stdout)["webhooks"][0]["clientConfig"]["caBundle"] == bundle


def compared_fields() -> set[str]:
    """The webhook fields the policy holds unchanged, read from its expression."""
    policy = next(doc for doc in yaml.safe_load_all(
        (MANIFESTS / "base" / "admission-policy-certs.yaml").read_text())
        if doc["metadata"]["name"] == "dnsgate-certs-webhook-configurations")
    expression = policy["spec"]["validations"][-1]["expression"]
    fields = set(re.findall(r"\bw\.\??(\w+) == o\.", expression))
    fields |= {f"clientConfig.{f}" for f in re.findall(r"w\.clientConfig\.\?(\w+)", expression)}
    if ".map(w, w.name) ==" in expression:  # same names, in the same order
        fields.add("name")
    return fields


def test_the_policy_compares_every_field_a_webhook_has(installed: str, kubectl) -> None:
    """A field a later Kubernetes adds to webhooks would otherwise be free for the keeper to
    change: the policy must name every field of the apiserver's own schema but the caBundle."""
    schemas = json.loads(kubectl("get", "--raw", "/openapi/v3/apis/admissionregistration.k8s.io"
                                 "/v1").stdout)["components"]["schemas"]
    prefix = "io.k8s.api.admissionregistration.v1."
    fields = set()
    for kind in ("MutatingWebhook", "ValidatingWebhook"):
        fields |= set(schemas[prefix + kind]["properties"])
    fields |= {f"clientConfig.{f}" for f in schemas[prefix + "WebhookClientConfig"]["properties"]}

    assert fields - {"clientConfig"} - compared_fields() == {"clientConfig.caBundle"}
