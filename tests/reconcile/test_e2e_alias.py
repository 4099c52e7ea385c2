"""ALIAS records, the routing family and every Service type, end to end: Services applied
with kubectl to the real apiserver, load-balancer status written the way a cloud controller
(or MetalLB) writes it, records read back from the Route53 server (moto)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devstack import kubectl as kubectl_cli
from devstack import metallb
from reconciler.alias import AliasSettings
from tests.reconcile.conftest import ALPHA, OWNER, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

ELB = "k8s-web-0123456789.us-east-1.elb.amazonaws.com"
NLB = "web-0123456789abcdef.elb.eu-central-1.amazonaws.com"
UUID = "12345678-1234-1234-1234-123456789abc"
WEB = "web.goldentooth.net"
Key = tuple[str, str, str]


def owner_value(namespace: str, name: str) -> str:
    return (f'"heritage=external-dns,external-dns/owner={OWNER},'
            f'external-dns/resource=service/{namespace}/{name}"')


def landed(route53: Any, zone_id: str, *keys: Key) -> dict[Key, dict[str, Any]]:
    """The zone once every key is in it."""
    def check() -> dict[Key, dict[str, Any]] | None:
        records = zone_records(route53, zone_id)
        return records if all(key in records for key in keys) else None
    found: dict[Key, dict[str, Any]] = wait_for(check)
    return found


def gone(route53: Any, zone_id: str, name: str) -> None:
    wait_for(lambda: not any(name in key[0] for key in zone_records(route53, zone_id)))


@pytest.mark.parametrize(("annotations", "status", "aliases", "target", "zone", "evaluate"), [
    ({}, ELB, None, ELB, "Z35SXDOTRQ7X7K", True),
    ({}, NLB, None, NLB, "Z3F0SRJ5LGBH90", True),
    ({ALPHA + "aws-evaluate-target-health": "false"}, ELB, None, ELB, "Z35SXDOTRQ7X7K", False),
    ({}, ELB, AliasSettings(evaluate_target_health=False), ELB, "Z35SXDOTRQ7X7K", False),
    ({ALPHA + "alias": "true", ALPHA + "target": "origin.goldentooth.net"}, "10.4.11.9", None,
     "origin.goldentooth.net", None, True),
], ids=["alb", "nlb", "evaluate-target-health-annotation", "evaluate-target-health-flag",
        "alias-annotation-same-zone"])
def test_load_balancer_hostname_becomes_a_and_aaaa_alias(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        annotations, status, aliases, target, zone, evaluate) -> None:
    reconciler(aliases=aliases)
    metallb.create_service(kubeconfig, namespace, "web", {
        ALPHA + "hostname": WEB, ALPHA + "ttl": "60", **annotations})
    metallb.assign(kubeconfig, namespace, "web", [status])

    records = landed(route53, zone_id, (WEB, "A", ""), (WEB, "AAAA", ""),
                     ("cname-" + WEB, "TXT", ""), ("aaaa-" + WEB, "TXT", ""))

    for kind in ("A", "AAAA"):
        assert records[(WEB, kind, "")] == {"Name": WEB + ".", "Type": kind, "AliasTarget": {
            "HostedZoneId": zone or zone_id, "DNSName": target,
            "EvaluateTargetHealth": evaluate}}
    assert values(records[("cname-" + WEB, "TXT", "")]) == [owner_value(namespace, "web")]
    assert not any(kind == "CNAME" for _, kind, _ in records)

    kubectl_cli.run(kubeconfig, "-n", namespace, "delete", "service", "web")
    gone(route53, zone_id, WEB)


def test_prefer_cname_keeps_the_load_balancer_a_cname(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler(aliases=AliasSettings(prefer_cname=True))
    metallb.create_service(kubeconfig, namespace, "web",
                           {ALPHA + "hostname": WEB, ALPHA + "ttl": "60"})
    metallb.assign(kubeconfig, namespace, "web", [ELB])

    records = landed(route53, zone_id, (WEB, "CNAME", ""), ("cname-" + WEB, "TXT", ""))

    assert (records[(WEB, "CNAME", "")]["TTL"], values(records[(WEB, "CNAME", "")])) == (
        60, [ELB])
    assert (WEB, "A", "") not in records


@pytest.mark.parametrize(("first", "then", "expected"), [
    ("10.4.11.30", ELB, [("aaaa-" + WEB, "TXT", ""), ("cname-" + WEB, "TXT", ""),
                         (WEB, "A", ""), (WEB, "AAAA", "")]),
    (ELB, "10.4.11.31", [("a-" + WEB, "TXT", ""), (WEB, "A", "")]),
], ids=["address-to-load-balancer", "load-balancer-to-address"])
def test_a_record_and_alias_replace_each_other(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler, strict_route53,
        first, then, expected) -> None:
    """Each direction in its own zone: moto refuses to re-create a set identical to one it
    created and deleted before (docs/route53-alias.md), which Route53 allows."""
    running = reconciler(client_=strict_route53.client)
    metallb.create_service(kubeconfig, namespace, "web",
                           {ALPHA + "hostname": WEB, ALPHA + "ttl": "60"})
    metallb.assign(kubeconfig, namespace, "web", [first])
    landed(route53, zone_id, (WEB, "A", ""))

    metallb.assign(kubeconfig, namespace, "web", [then])

    def replaced() -> dict[Key, dict[str, Any]] | None:
        records = zone_records(route53, zone_id)
        return records if sorted(records) == expected and (
            "AliasTarget" in records[(WEB, "A", "")]) == (then == ELB) else None
    records = wait_for(replaced)
    assert strict_route53.refused == []
    assert running.outcome(f"service/{namespace}/web").status == "synced"
    if then != ELB:
        assert values(records[(WEB, "A", "")]) == [then]


def test_cname_dnsgate_made_for_a_load_balancer_becomes_an_alias(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        strict_route53) -> None:
    """What an earlier dnsgate (or --aws-prefer-cname) wrote: a CNAME and its cname- TXT."""
    value = owner_value(namespace, "web")
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": WEB + ".", "Type": kind, "TTL": ttl,
                                                   "ResourceRecords": [{"Value": v}]}}
        for kind, ttl, v, in (("CNAME", 60, ELB), ("TXT", 300, value))] + [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "cname-" + WEB + ".", "Type": "TXT", "TTL": 300,
            "ResourceRecords": [{"Value": value}]}}]})
    metallb.create_service(kubeconfig, namespace, "web",
                           {ALPHA + "hostname": WEB, ALPHA + "ttl": "60"})
    metallb.assign(kubeconfig, namespace, "web", [ELB])

    reconciler(client_=strict_route53.client)
    records = landed(route53, zone_id, (WEB, "A", ""), (WEB, "AAAA", ""))

    assert sorted(records) == [("aaaa-" + WEB, "TXT", ""), ("cname-" + WEB, "TXT", ""),
                               (WEB, "A", ""), (WEB, "AAAA", "")]
    assert values(records[("cname-" + WEB, "TXT", "")]) == [value]
    assert strict_route53.refused == []


def test_external_dns_v0142_alias_is_adopted_untouched(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    """ExternalDNS v0.14.2 wrote an A alias with a `cname-` TXT and an old-format TXT. It is
    adopted as it is; the AAAA alias newer ExternalDNS releases add is created beside it."""
    value = owner_value(namespace, "web")
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": WEB + ".", "Type": "A", "AliasTarget": {
            "HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": ELB + ".",
            "EvaluateTargetHealth": True}}},
        *({"Action": "CREATE", "ResourceRecordSet": {"Name": name + ".", "Type": "TXT",
                                                     "TTL": 300,
                                                     "ResourceRecords": [{"Value": value}]}}
          for name in (WEB, "cname-" + WEB))]})
    before = zone_records(route53, zone_id)
    metallb.create_service(kubeconfig, namespace, "web", {ALPHA + "hostname": WEB})
    metallb.assign(kubeconfig, namespace, "web", [ELB])

    running = reconciler()
    records = landed(route53, zone_id, (WEB, "AAAA", ""), ("aaaa-" + WEB, "TXT", ""))

    assert {key: records[key] for key in before} == before
    assert running.client.calls["change_resource_record_sets"] == 1
    assert records[(WEB, "AAAA", "")]["AliasTarget"]["DNSName"] == ELB


@pytest.mark.parametrize(("annotations", "expected"), [
    ({ALPHA + "aws-health-check-id": UUID}, {"HealthCheckId": UUID}),
    ({ALPHA + "set-identifier": "eu", ALPHA + "aws-region": "eu-west-1"},
     {"SetIdentifier": "eu", "Region": "eu-west-1"}),
    ({ALPHA + "set-identifier": "ca", ALPHA + "aws-geolocation-country-code": "US",
      ALPHA + "aws-geolocation-subdivision-code": "CA"},
     {"SetIdentifier": "ca", "GeoLocation": {"CountryCode": "US", "SubdivisionCode": "CA"}}),
    ({ALPHA + "set-identifier": "eu", ALPHA + "aws-geolocation-continent-code": "EU"},
     {"SetIdentifier": "eu", "GeoLocation": {"ContinentCode": "EU"}}),
    ({ALPHA + "set-identifier": "m1", ALPHA + "aws-multi-value-answer": "true",
      ALPHA + "aws-health-check-id": UUID},
     {"SetIdentifier": "m1", "MultiValueAnswer": True, "HealthCheckId": UUID}),
    ({ALPHA + "set-identifier": "p", ALPHA + "aws-failover": "PRIMARY",
      ALPHA + "aws-health-check-id": UUID},
     {"SetIdentifier": "p", "Failover": "PRIMARY", "HealthCheckId": UUID}),
], ids=["health-check-without-set-identifier", "latency", "geolocation-subdivision",
        "geolocation-continent", "multi-value-answer", "failover"])
def test_routing_annotations_reach_route53(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        annotations, expected) -> None:
    running = reconciler()
    metallb.create_service(kubeconfig, namespace, "web",
                           {ALPHA + "hostname": WEB, ALPHA + "ttl": "60", **annotations})
    metallb.assign(kubeconfig, namespace, "web", ["10.4.11.20"])
    set_id = expected.get("SetIdentifier", "")

    records = landed(route53, zone_id, (WEB, "A", set_id), ("a-" + WEB, "TXT", set_id))

    assert records[(WEB, "A", set_id)] == {
        "Name": WEB + ".", "Type": "A", "TTL": 60,
        "ResourceRecords": [{"Value": "10.4.11.20"}], **expected}
    txt = records[("a-" + WEB, "TXT", set_id)]
    assert {key: txt[key] for key in expected} == expected
    running.controller.run_once()
    assert running.client.calls["change_resource_record_sets"] == 1  # read back equal


def cluster_ip(kubeconfig: Path, namespace: str, name: str) -> str:
    return kubectl_cli.run(kubeconfig, "-n", namespace, "get", "service", name, "-o",
                           "jsonpath={.spec.clusterIP}").stdout.strip()


INTERNAL = "web.internal.goldentooth.net"


def test_internal_hostname_points_at_the_cluster_ip(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler()
    metallb.create_service(kubeconfig, namespace, "web", {
        ALPHA + "hostname": WEB, ALPHA + "internal-hostname": INTERNAL})
    metallb.assign(kubeconfig, namespace, "web", ["10.4.11.21"])
    metallb.create_service(kubeconfig, namespace, "db", {
        ALPHA + "internal-hostname": "db.internal.goldentooth.net"}, service_type="ClusterIP")

    records = landed(route53, zone_id, (WEB, "A", ""), (INTERNAL, "A", ""),
                     ("db.internal.goldentooth.net", "A", ""))

    assert values(records[(WEB, "A", "")]) == ["10.4.11.21"]
    assert values(records[(INTERNAL, "A", "")]) == [cluster_ip(kubeconfig, namespace, "web")]
    assert values(records[("db.internal.goldentooth.net", "A", "")]) == [
        cluster_ip(kubeconfig, namespace, "db")]


@pytest.mark.parametrize("publish_internal", [False, True], ids=["default", "publish-internal"])
def test_cluster_ip_service_is_published_only_with_publish_internal_services(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        publish_internal: bool) -> None:
    running = reconciler(publish_internal=publish_internal)
    metallb.create_service(kubeconfig, namespace, "db", {ALPHA + "hostname": "db.goldentooth.net"},
                           service_type="ClusterIP")
    metallb.create_service(kubeconfig, namespace, "web", {ALPHA + "hostname": WEB})
    metallb.assign(kubeconfig, namespace, "web", ["10.4.11.22"])

    records = landed(route53, zone_id, (WEB, "A", ""))
    running.controller.run_once()
    records = zone_records(route53, zone_id)

    if publish_internal:
        assert values(records[("db.goldentooth.net", "A", "")]) == [
            cluster_ip(kubeconfig, namespace, "db")]
    else:
        assert ("db.goldentooth.net", "A", "") not in records


def test_external_name_service_becomes_a_cname(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler()
    metallb.create_service(kubeconfig, namespace, "db", {ALPHA + "hostname": "db.goldentooth.net"},
                           service_type="ExternalName", spec={"externalName": "db.example.org"})

    records = landed(route53, zone_id, ("db.goldentooth.net", "CNAME", ""))

    assert values(records[("db.goldentooth.net", "CNAME", "")]) == ["db.example.org"]


def test_service_of_another_controller_is_not_published(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler()
    for name, controller in (("kops", "kops-dns"), ("ours", "dns-controller")):
        metallb.create_service(kubeconfig, namespace, name, {
            ALPHA + "hostname": f"{name}.goldentooth.net", ALPHA + "controller": controller})
        metallb.assign(kubeconfig, namespace, name, ["10.4.11.23"])

    landed(route53, zone_id, ("ours.goldentooth.net", "A", ""))
    running.controller.run_once()

    assert not any(key[0].endswith("kops.goldentooth.net")
                   for key in zone_records(route53, zone_id))
    assert running.outcome(f"service/{namespace}/kops") is None


def test_node_port_service_is_reported_not_published(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    """Created while no webhook runs: the reconciler reports what the webhook refuses."""
    running = reconciler()
    metallb.create_service(kubeconfig, namespace, "np", {ALPHA + "hostname": WEB},
                           service_type="NodePort")

    outcome = wait_for(lambda: running.outcome(f"service/{namespace}/np"))

    assert outcome.status == "invalid" and "is on a NodePort Service" in outcome.message
    assert json.dumps(zone_records(route53, zone_id)).count(WEB) == 0
