"""What each of dnsgate's ServiceAccounts may do, proven with real requests against the real
apiserver after `kubectl apply -k manifests/` (docs/security.md):

- the webhook's account may create no Secret, read none, and write no webhook
  configuration: RBAC refuses it all;
- the certificate keeper's account may create Secrets as far as RBAC goes (RBAC cannot
  limit `create` to names), but the admission policy refuses every name but the webhook's
  two, so none of the Secrets the reconciler mounts if present (dnsgate-aws,
  dnsgate-txt-encryption) can be planted by any dnsgate account;
- the keeper may write those two only as it does itself: of its types, with no annotation,
  no label but its own, no ownerReferences, finalizers or immutable; so it can neither have
  kube-controller-manager fill one with another account's token, nor have the garbage
  collector delete one, nor freeze one against renewal; its own issue and renewal, with its
  own token and code, are admitted;
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from certs import pki, rotation
from certs.stores import SecretStore
from tests.install.certificates import forget_certificates
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


# The keeper's two Secrets, as certs/stores.py writes them, and what it must not do to them.
TLS, CA = "dnsgate-webhook-tls", "dnsgate-webhook-tls-ca"
TYPES = {TLS: "kubernetes.io/tls", CA: "Opaque"}
KEEPERS_LABELS = {"app.kubernetes.io/managed-by": "dnsgate-certs"}
PEM = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n").decode()
MISSING_OWNER = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "gone",
                  "uid": "00000000-0000-4000-8000-000000000000"}]
TOKEN_FOR_THE_RECONCILER = {"kubernetes.io/service-account.name": RECONCILER}


def keeper_secret(name: str, **changes: Any) -> dict[str, Any]:
    """One of the keeper's Secrets as certs/stores.py writes it, with `changes`: `type`,
    `immutable`, or metadata fields."""
    secret_type = changes.get("type", TYPES[name])
    keys = ("tls.crt", "tls.key", "ca.crt") if secret_type == TYPES[TLS] else ("ca.crt", "ca.key")
    metadata = {"name": name, "namespace": NAMESPACE, "labels": KEEPERS_LABELS}
    metadata.update({k: v for k, v in changes.items() if k not in ("type", "immutable")})
    body = {"apiVersion": "v1", "kind": "Secret", "type": secret_type, "metadata": metadata,
            "data": dict.fromkeys(keys, PEM)}
    if "immutable" in changes:
        body["immutable"] = changes["immutable"]
    return body


SECRET_ABUSES = [
    pytest.param(TLS, {"type": "kubernetes.io/service-account-token",
                       "annotations": TOKEN_FOR_THE_RECONCILER},
                 "only of type kubernetes.io/tls", id="tls-as-a-token-for-the-reconciler"),
    pytest.param(CA, {"type": "kubernetes.io/service-account-token",
                      "annotations": TOKEN_FOR_THE_RECONCILER},
                 "only of type Opaque", id="ca-as-a-token-for-the-reconciler"),
    pytest.param(CA, {"type": "kubernetes.io/tls"}, "only of type Opaque",
                 id="ca-of-another-type"),
    pytest.param(TLS, {"annotations": TOKEN_FOR_THE_RECONCILER}, "no annotation",
                 id="service-account-annotation"),
    pytest.param(TLS, {"annotations": {"replicator.v1.mittwald.de/replicate-from":
                                       "kube-system/anything"}}, "no annotation",
                 id="another-controllers-annotation"),
    pytest.param(CA, {"labels": {**KEEPERS_LABELS, "example.org/sync": "true"}}, "no label",
                 id="another-label"),
    pytest.param(CA, {"labels": {"app.kubernetes.io/managed-by": "Helm"}}, "no label",
                 id="another-managed-by"),
    pytest.param(CA, {"ownerReferences": MISSING_OWNER, "finalizers": ["example.org/x"]},
                 "no ownerReferences", id="owner-reference-for-the-garbage-collector"),
    pytest.param(TLS, {"finalizers": ["example.org/never"]}, "no finalizers",
                 id="finalizer"),
    pytest.param(TLS, {"immutable": True}, "no immutable", id="immutable"),
]
# The apiserver itself refuses a Secret's type change on update (the field is immutable).
REWRITE_ABUSES = [abuse for abuse in SECRET_ABUSES if "type" not in abuse.values[1]]


@pytest.fixture
def keepers_core(installed: str, kubectl, tmp_path: Path) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A CoreV1Api holding the keeper's own token alone; no certificates before or after."""
    from kubernetes import client, config

    forget_certificates(kubectl)
    token = service_account_kubeconfig(kubectl, NAMESPACE, KEEPER, tmp_path / "kubeconfig")
    yield client.CoreV1Api(config.new_client_from_config(str(token)))  # type: ignore[no-untyped-call]
    forget_certificates(kubectl)


def refusal(attempt: Callable[[], Any]) -> str:
    from kubernetes.client import ApiException

    with pytest.raises(ApiException) as refused:
        attempt()
    assert refused.value.status == 403, refused.value.body
    return str(json.loads(refused.value.body)["message"])


def issue(core: Any) -> rotation.Bundle:
    """The keeper's own first pass, through its own store: both Secrets created."""
    bundle = rotation.ensure(rotation.Stored(), rotation.Wanted("dnsgate-webhook", NAMESPACE),
                             pki.now()).bundle
    SecretStore(core, NAMESPACE, TLS).save(bundle)
    return bundle


@pytest.mark.parametrize(("name", "changes", "message"), SECRET_ABUSES)
def test_the_keeper_may_not_create_its_secrets_unlike_it_writes_them(
    keepers_core: Any, name: str, changes: dict[str, Any], message: str
) -> None:
    said = refusal(lambda: keepers_core.create_namespaced_secret(
        NAMESPACE, keeper_secret(name, **changes), dry_run="All"))

    assert POLICY_REFUSAL.format("dnsgate-certs-secrets") in said, said
    assert message in said


@pytest.mark.parametrize(("name", "changes", "message"), REWRITE_ABUSES)
def test_the_keeper_may_not_rewrite_its_secrets_unlike_it_writes_them(
    keepers_core: Any, name: str, changes: dict[str, Any], message: str
) -> None:
    """As `kubectl replace` would, at the stored version."""
    issue(keepers_core)
    stored = keepers_core.read_namespaced_secret(name, NAMESPACE)
    body = keeper_secret(name, resourceVersion=stored.metadata.resource_version, **changes)

    said = refusal(lambda: keepers_core.replace_namespaced_secret(
        name, NAMESPACE, body, dry_run="All"))

    assert POLICY_REFUSAL.format("dnsgate-certs-secrets") in said, said
    assert message in said


@pytest.mark.parametrize("name", [TLS, CA])
def test_the_keeper_may_create_the_webhooks_two_secrets(keepers_core: Any, name: str) -> None:
    created = keepers_core.create_namespaced_secret(NAMESPACE, keeper_secret(name),
                                                    dry_run="All")

    assert (created.metadata.name, created.type) == (name, TYPES[name])


def test_the_keeper_may_issue_and_renew_its_secrets(keepers_core: Any) -> None:
    """Its own code with its own token: both Secrets created, then replaced at the version
    read, as a renewal replaces them."""
    issued = issue(keepers_core)
    store = SecretStore(keepers_core, NAMESPACE, TLS)
    renewed = rotation.ensure(rotation.Stored(issued.ca, None),
                              rotation.Wanted("dnsgate-webhook", NAMESPACE), pki.now()).bundle

    assert store.load() == rotation.Stored(issued.ca, issued.serving)
    store.save(renewed)

    assert store.load() == rotation.Stored(renewed.ca, renewed.serving)
    assert renewed.serving != issued.serving
