"""Who may write the owners index: the installed RBAC (manifests/components/owners-index)
asked through `kubectl auth can-i` and tried with a real write, as each account. A tenant
who could write it would refuse anyone's names, or lift a refusal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

COMPONENT = Path(__file__).resolve().parents[2] / "manifests/components/owners-index"
RECONCILER = "--as=system:serviceaccount:dnsgate:dnsgate-reconciler"
WEBHOOK = "--as=system:serviceaccount:dnsgate:dnsgate-webhook"


@pytest.fixture
def installed(kubectl) -> Iterator[None]:  # type: ignore[no-untyped-def]
    kubectl("create", "namespace", "dnsgate", check=False)
    kubectl("apply", "-f", str(COMPONENT / "owners-index.yaml"))
    yield
    kubectl("delete", "-f", str(COMPONENT / "owners-index.yaml"), "--wait=false", check=False)


@pytest.fixture
def tenant(kubectl, namespace: str) -> str:  # type: ignore[no-untyped-def]
    """A ServiceAccount with the default `edit` role in its own namespace."""
    kubectl("-n", namespace, "create", "serviceaccount", "tenant")
    kubectl("-n", namespace, "create", "rolebinding", "tenant-edit", "--clusterrole=edit",
            f"--serviceaccount={namespace}:tenant")
    return f"--as=system:serviceaccount:{namespace}:tenant"


def can(kubectl, who: str, verb: str, what: str) -> str:  # type: ignore[no-untyped-def]
    return str(kubectl("auth", "can-i", who, "-n", "dnsgate", verb, what,
                       check=False).stdout.strip())


@pytest.mark.usefixtures("installed")
def test_only_the_reconciler_writes_the_index_and_the_webhook_reads_it_alone(
        kubectl, tenant: str) -> None:  # type: ignore[no-untyped-def]
    assert can(kubectl, RECONCILER, "patch", "configmaps/dnsgate-owners") == "yes"
    assert can(kubectl, RECONCILER, "patch", "configmaps/dnsgate-settings") == "no"
    assert can(kubectl, RECONCILER, "create", "configmaps") == "no"
    assert can(kubectl, WEBHOOK, "watch", "configmaps/dnsgate-owners") == "yes"
    assert can(kubectl, WEBHOOK, "patch", "configmaps/dnsgate-owners") == "no"
    assert can(kubectl, WEBHOOK, "get", "configmaps/dnsgate-settings") == "no"
    for verb in ("patch", "update", "delete", "create"):
        assert can(kubectl, tenant, verb, "configmaps/dnsgate-owners") == "no", verb


@pytest.mark.usefixtures("installed")
def test_a_tenant_cannot_forge_the_index(kubectl, tenant: str) -> None:  # type: ignore[no-untyped-def]
    forged = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "dnsgate-owners", "namespace": "dnsgate"},
              "data": {"records": '["www.goldentooth.net", "", "A", "x", "service/a/b"]'}}

    result = kubectl(tenant, "apply", "-f", "-", input=json.dumps(forged), check=False)

    assert result.returncode != 0
    assert "Forbidden" in result.stderr or "forbidden" in result.stderr
