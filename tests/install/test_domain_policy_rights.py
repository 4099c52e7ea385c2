"""Who may change the domain policy and the labels it selects namespaces by, proven with
real ServiceAccount tokens against the real apiserver after `kubectl apply -k manifests/`
(docs/namespace-domains.md, "Who can change what"):

- a tenant holding what the built-in `admin` role grants a namespace owner (every right on
  its workloads, Services, Ingresses and ConfigMaps; only read on its Namespace; written out
  here, since this apiserver runs no controller-manager to fill the aggregated role) can
  publish Services there, but can neither change, replace nor delete the policy ConfigMap
  in dnsgate's namespace, nor label its own Namespace;
- a tenant given `*` on `*` in its namespace CAN label its own Namespace: kube-apiserver
  authorizes a request on the Namespace object `ns` as one inside namespace `ns`, so such a
  Role reaches it. A label-selected rule is then the tenant's to join; the docs say so;
- the webhook's and the reconciler's accounts read the policy by its name (get, and list and
  watch selecting that name, as `dnsgate.policywatch` does) and every Namespace's labels, and
  write neither; no other ConfigMap of dnsgate's namespace is theirs to read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Kubectl
from tests.install.conftest import service_account_kubeconfig

pytestmark = pytest.mark.e2e

NAMESPACE, POLICY = "dnsgate", "dnsgate-domain-policy"
TENANT_NAMESPACE, TENANT, OWNER = "tenant-a", "tenant", "owner"
TENANT_RULES = [  # the built-in admin role's shape: everything inside, the Namespace read-only
    {"apiGroups": ["", "apps", "networking.k8s.io"],
     "resources": ["services", "configmaps", "pods", "deployments", "ingresses"],
     "verbs": ["*"]},
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]},
]
POLICY_TEXT = "rules:\n  - namespaces: [tenant-a]\n    domains: [a.goldentooth.net]\n"
FORBIDDEN = "is forbidden: User"


@pytest.fixture(scope="module")
def as_account(installed: str, kubectl: Kubectl, tmp_path_factory: pytest.TempPathFactory
               ) -> Callable[..., Kubectl]:
    """kubectl authenticating with a ServiceAccount's own token; the policy ConfigMap and a
    tenant's namespace with two accounts (TENANT_RULES; everything) exist."""
    manifest = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": POLICY, "namespace": NAMESPACE},
                "data": {"policy.yaml": POLICY_TEXT}}
    kubectl("apply", "-f", "-", input=json.dumps(manifest))
    kubectl("create", "namespace", TENANT_NAMESPACE, check=False)
    for account, rules in ((TENANT, TENANT_RULES),
                           (OWNER, [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])):
        kubectl("-n", TENANT_NAMESPACE, "create", "serviceaccount", account, check=False)
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": account, "namespace": TENANT_NAMESPACE}, "rules": rules}
        kubectl("apply", "-f", "-", input=json.dumps(role))
        kubectl("-n", TENANT_NAMESPACE, "create", "rolebinding", account, f"--role={account}",
                f"--serviceaccount={TENANT_NAMESPACE}:{account}", check=False)
    directory = tmp_path_factory.mktemp("accounts")

    def make(namespace: str, account: str) -> Kubectl:
        config = service_account_kubeconfig(kubectl, namespace, account,
                                            directory / f"{account}.json")

        def run(*args: str, **kwargs):  # type: ignore[no-untyped-def]
            return kubectl(f"--kubeconfig={config}", *args, check=False, **kwargs)

        run.config = config  # type: ignore[attr-defined]
        return run

    return make


def test_tenant_publishes_in_its_namespace_but_cannot_touch_the_policy(
        as_account) -> None:  # type: ignore[no-untyped-def]
    tenant = as_account(TENANT_NAMESPACE, TENANT)
    assert tenant("auth", "can-i", "create", "services", "-n", TENANT_NAMESPACE
                  ).stdout.strip() == "yes"

    changed = tenant("-n", NAMESPACE, "patch", "configmap", POLICY, "--type=merge", "-p",
                     json.dumps({"data": {"policy.yaml": "rules: []"}}))
    deleted = tenant("-n", NAMESPACE, "delete", "configmap", POLICY)
    replaced = tenant("-n", NAMESPACE, "create", "configmap", "other-policy",
                      "--from-literal=policy.yaml=rules: []")
    read = tenant("-n", NAMESPACE, "get", "configmap", POLICY)

    for attempt in (changed, deleted, replaced, read):
        assert attempt.returncode != 0 and FORBIDDEN in attempt.stderr, attempt.stderr


def test_tenant_cannot_label_its_own_namespace(as_account) -> None:  # type: ignore[no-untyped-def]
    tenant = as_account(TENANT_NAMESPACE, TENANT)

    labelled = tenant("label", "namespace", TENANT_NAMESPACE, "tenant=blue")
    edited = tenant("patch", "namespace", TENANT_NAMESPACE, "--type=merge", "-p",
                    json.dumps({"metadata": {"labels": {"tenant": "blue"}}}))

    for attempt in (labelled, edited):
        assert attempt.returncode != 0 and FORBIDDEN in attempt.stderr, attempt.stderr


def test_a_wildcard_role_in_the_namespace_reaches_its_namespace_labels(
        as_account, kubectl: Kubectl) -> None:  # type: ignore[no-untyped-def]
    """Why docs/namespace-domains.md warns against `*` Roles where rules select by label."""
    owner = as_account(TENANT_NAMESPACE, OWNER)
    try:
        labelled = owner("label", "namespace", TENANT_NAMESPACE, "tenant=blue")
        assert labelled.returncode == 0, labelled.stderr
        other = owner("label", "namespace", "default", "tenant=blue")
        assert other.returncode != 0 and FORBIDDEN in other.stderr
    finally:
        kubectl("label", "namespace", TENANT_NAMESPACE, "tenant-", check=False)


@pytest.mark.parametrize("account", ["dnsgate-webhook", "dnsgate-reconciler"])
def test_deployables_read_the_policy_and_labels_and_write_neither(
        as_account, account: str) -> None:  # type: ignore[no-untyped-def]
    own = as_account(NAMESPACE, account)

    got = own("-n", NAMESPACE, "get", "configmap", POLICY, "-o", "json")
    listed = own("-n", NAMESPACE, "get", "configmaps", "--field-selector",
                 f"metadata.name={POLICY}", "-o", "name")
    namespaces = own("get", "namespaces", "-o", "name")
    assert got.returncode == 0, got.stderr
    assert listed.stdout.split() == [f"configmap/{POLICY}"], listed.stderr
    assert f"namespace/{TENANT_NAMESPACE}" in namespaces.stdout.split()

    for attempt in (
            own("-n", NAMESPACE, "get", "configmaps"),  # not every ConfigMap
            own("-n", NAMESPACE, "patch", "configmap", POLICY, "--type=merge", "-p",
                json.dumps({"data": {"policy.yaml": "rules: []"}})),
            own("label", "namespace", TENANT_NAMESPACE, "tenant=blue")):
        assert attempt.returncode != 0 and FORBIDDEN in attempt.stderr, attempt.stderr


def test_policy_watch_runs_with_the_shipped_rights(as_account) -> None:  # type: ignore[no-untyped-def]
    """`dnsgate.policywatch` itself, authenticated as the webhook: list and watch by name and
    the namespaces' labels, under exactly the rights the manifests grant."""
    from kubernetes import config

    from dnsgate import policywatch

    webhook = as_account(NAMESPACE, "dnsgate-webhook")
    client = config.new_client_from_config(str(Path(webhook.config)))
    watch = policywatch.kubernetes(f"{NAMESPACE}/{POLICY}", client)
    stop = threading.Event()
    try:
        watch.start(stop)
        assert watch.loaded.wait(30), watch.error
        assert not watch.current().permits(f"service/{TENANT_NAMESPACE}/web",
                                           "www.b.goldentooth.net")
        assert watch.current().permits(f"service/{TENANT_NAMESPACE}/web",
                                       "www.a.goldentooth.net")
    finally:
        stop.set()
