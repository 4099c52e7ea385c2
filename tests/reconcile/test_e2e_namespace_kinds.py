"""A Service in a namespace called `ingress` is a Service: its records name it
`service/ingress/<name>`, as ExternalDNS wrote them, and the reconciler adopts them without
rewriting their TXT, watching every namespace or `--namespace=ingress` alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import kubectl as kubectl_cli
from devstack import metallb
from reconciler import registry
from tests.reconcile.conftest import ALPHA, OWNER, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

NAME = "shop-kinds.goldentooth.net"
TXT = (f"a-{NAME}", "TXT", "")


@pytest.fixture
def namespace(kubeconfig: Path) -> Iterator[str]:
    """The namespace microk8s installs its ingress controller in (the reconciler fixture
    watches the test's namespace)."""
    metallb.ensure_namespace(kubeconfig, "ingress")
    yield "ingress"
    kubectl_cli.run(kubeconfig, "-n", "ingress", "delete", "services", "--all", "--wait=true",
                    check=False)


def upsert(route53, zone_id: str, name: str, kind: str, value: str) -> None:  # type: ignore[no-untyped-def]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {
            "Name": name, "Type": kind, "TTL": 300, "ResourceRecords": [{"Value": value}]}}]})


@pytest.mark.parametrize("all_namespaces", [True, False],
                         ids=["every-namespace", "namespace-ingress"])
def test_a_service_in_a_namespace_called_ingress_keeps_its_records_as_its_own(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        all_namespaces: bool) -> None:
    label = registry.encode({"owner": OWNER, "resource": "service/ingress/shop"})
    upsert(route53, zone_id, NAME, "A", "10.4.11.1")
    upsert(route53, zone_id, TXT[0], "TXT", label)
    metallb.create_service(kubeconfig, namespace, "shop", {ALPHA + "hostname": NAME,
                                                           ALPHA + "ttl": "300"})
    metallb.assign(kubeconfig, namespace, "shop", ["10.4.11.1"])
    running = reconciler(all_namespaces=all_namespaces)
    wait_for(lambda: running.controller.syncs >= 1, timeout=20)

    adopted = zone_records(route53, zone_id)
    metallb.assign(kubeconfig, namespace, "shop", ["10.4.11.9"])
    moved = wait_for(lambda: (r := zone_records(route53, zone_id)) and values(
        r[(NAME, "A", "")]) == ["10.4.11.9"] and r, timeout=20)

    assert running.client.calls["change_resource_record_sets"] == 1  # the move alone
    assert values(adopted[TXT]) == [label]  # adopted as it was: not rewritten
    assert registry.decode(values(moved[TXT])[0]) == {
        "owner": OWNER, "resource": "service/ingress/shop"}
