"""The Ingress source end to end: Ingresses applied with kubectl to the real apiserver, their
load-balancer status written the way an ingress controller writes it, records read back from
the Route53 server (moto). Services and Ingresses contest names under one claim rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devstack import ingresses, metallb
from devstack import kubectl as kubectl_cli
from dnsgate.ingress import IngressSettings
from tests.reconcile.conftest import ALPHA, OWNER, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

APP = "app.goldentooth.net"
SECURE = "secure.goldentooth.net"
ALL_INGRESSES = IngressSettings()


def owner_value(resource: str) -> str:
    return (f'"heritage=external-dns,external-dns/owner={OWNER},'
            f'external-dns/resource={resource}"')


def landed(route53: Any, zone_id: str, *keys: tuple[str, str, str]) -> dict[Any, Any]:
    def check() -> dict[Any, Any] | None:
        records = zone_records(route53, zone_id)
        return records if all(key in records for key in keys) else None
    found: dict[Any, Any] = wait_for(check)
    return found


def test_rule_and_tls_hosts_get_records_owned_by_the_ingress(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler(ingresses=ALL_INGRESSES)
    ingresses.apply(kubeconfig, ingresses.manifest(
        namespace, "web", hosts=[APP, "app.example.com"], tls_hosts=[APP, SECURE],
        annotations={ALPHA + "ttl": "120"}))
    ingresses.assign(kubeconfig, namespace, "web", ["10.4.11.20"])

    records = landed(route53, zone_id, (APP, "A", ""), (SECURE, "A", ""),
                     ("a-" + APP, "TXT", ""), ("a-" + SECURE, "TXT", ""))

    for name in (APP, SECURE):
        assert values(records[(name, "A", "")]) == ["10.4.11.20"]
        assert records[(name, "A", "")]["TTL"] == 120
        assert values(records[("a-" + name, "TXT", "")]) == [
            owner_value(f"ingress/{namespace}/web")]
    # A host outside --domain-filter is left out, as ExternalDNS's domain filter leaves it.
    assert not any("example.com" in key[0] for key in records)

    ingresses.assign(kubeconfig, namespace, "web", ["10.4.11.21"])
    wait_for(lambda: values(zone_records(route53, zone_id)[(APP, "A", "")]) == ["10.4.11.21"])

    kubectl_cli.run(kubeconfig, "-n", namespace, "delete", "ingress", "web")
    wait_for(lambda: not any(key[0].endswith(APP) or key[0].endswith(SECURE)
                             for key in zone_records(route53, zone_id)))


def test_hostname_and_target_annotations_apply_to_an_ingress(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler(ingresses=ALL_INGRESSES)
    ingresses.apply(kubeconfig, ingresses.manifest(namespace, "web", hosts=[APP], annotations={
        ALPHA + "hostname": "extra.goldentooth.net", ALPHA + "target": "203.0.113.7",
        ALPHA + "ttl": "60"}))
    ingresses.assign(kubeconfig, namespace, "web", ["10.4.11.20"])

    records = landed(route53, zone_id, (APP, "A", ""), ("extra.goldentooth.net", "A", ""))

    assert values(records[(APP, "A", "")]) == ["203.0.113.7"]
    assert values(records[("extra.goldentooth.net", "A", "")]) == ["203.0.113.7"]


def test_only_selected_classes_and_our_controller_are_published(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler(ingresses=IngressSettings(classes=("public",)))
    wanted = {"by-field": ("public", {}), "by-annotation": ("", {
        "kubernetes.io/ingress.class": "public"}), "other-class": ("internal", {}),
        "other-controller": ("public", {ALPHA + "controller": "someone-else"})}
    for name, (class_name, notes) in wanted.items():
        ingresses.apply(kubeconfig, ingresses.manifest(
            namespace, name, hosts=[f"{name}.goldentooth.net"], annotations=notes,
            class_name=class_name))
        ingresses.assign(kubeconfig, namespace, name, ["10.4.11.30"])

    landed(route53, zone_id, ("by-field.goldentooth.net", "A", ""),
           ("by-annotation.goldentooth.net", "A", ""))
    wait_for(lambda: running.controller.syncs >= 2)
    names = {key[0] for key in zone_records(route53, zone_id)}
    assert "other-class.goldentooth.net" not in names
    assert "other-controller.goldentooth.net" not in names


@pytest.mark.parametrize("first", ["service", "ingress"])
def test_a_name_held_by_one_kind_is_not_taken_by_the_other(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler, first: str
        ) -> None:
    running = reconciler(ingresses=ALL_INGRESSES)

    def service() -> None:
        metallb.create_service(kubeconfig, namespace, "svc",
                               {ALPHA + "hostname": APP, ALPHA + "ttl": "60"})
        metallb.assign(kubeconfig, namespace, "svc", ["10.4.11.40"])

    def ingress() -> None:
        ingresses.apply(kubeconfig, ingresses.manifest(namespace, "web", hosts=[APP]))
        ingresses.assign(kubeconfig, namespace, "web", ["10.4.11.41"])

    steps = {"service": (service, "10.4.11.40", f"service/{namespace}/svc"),
             "ingress": (ingress, "10.4.11.41", f"ingress/{namespace}/web")}
    create, address, resource = steps[first]
    create()
    landed(route53, zone_id, (APP, "A", ""))
    later, _, _ = steps["ingress" if first == "service" else "service"]
    later()
    loser = f"ingress/{namespace}/web" if first == "service" else f"service/{namespace}/svc"
    holder = f"Service {namespace}/svc" if first == "service" else f"Ingress {namespace}/web"

    outcome = wait_for(lambda: (o := running.outcome(loser)) is not None
                       and o.status == "conflict" and o)
    assert outcome.message == f"{APP} is held by {holder}: its ownership record names it"
    records = zone_records(route53, zone_id)
    assert values(records[(APP, "A", "")]) == [address]
    assert values(records[("a-" + APP, "TXT", "")]) == [owner_value(resource)]


def test_an_ingress_gets_events_and_no_status_write(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler(ingresses=ALL_INGRESSES, report_status=True)
    ingresses.apply(kubeconfig, ingresses.manifest(namespace, "web", hosts=[APP], annotations={
        ALPHA + "ttl": "nope"}))

    def events() -> list[dict[str, Any]]:
        out = kubectl_cli.run(kubeconfig, "-n", namespace, "get", "events", "-o", "json",
                              "--field-selector", "involvedObject.kind=Ingress").stdout
        return list(json.loads(out)["items"])

    found = wait_for(lambda: [e for e in events() if e["reason"] == "DNSInvalidAnnotations"])
    assert found[0]["involvedObject"]["name"] == "web"
    assert 'ttl: "nope"' in found[0]["message"]

    ingresses.apply(kubeconfig, ingresses.manifest(namespace, "web", hosts=[APP], annotations={
        ALPHA + "ttl": "60"}))
    ingresses.assign(kubeconfig, namespace, "web", ["10.4.11.50"])
    wait_for(lambda: [e for e in events() if e["reason"] == "DNSSynced"])
    stored = json.loads(kubectl_cli.run(kubeconfig, "-n", namespace, "get", "ingress", "web",
                                        "-o", "json").stdout)
    assert stored["status"] == {"loadBalancer": {"ingress": [{"ip": "10.4.11.50"}]}}
