"""Record types and routing through the real stack: several hostnames on one Service,
IPv6 -> AAAA, a hostname ingress -> CNAME, weighted record sets from two Services."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devstack import metallb
from reconciler import registry
from tests.reconcile.conftest import ALPHA, OWNER, values, wait_for, zone_records

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("hostnames", "addresses", "expected"), [
    ("one.goldentooth.net,two.goldentooth.net", ["10.4.11.5"],
     {("one.goldentooth.net", "A", ""): ["10.4.11.5"],
      ("two.goldentooth.net", "A", ""): ["10.4.11.5"]}),
    ("six.goldentooth.net", ["2001:db8::11"],
     {("six.goldentooth.net", "AAAA", ""): ["2001:db8::11"]}),
    ("alias.goldentooth.net", ["lb-1.elb.example.com"],
     {("alias.goldentooth.net", "CNAME", ""): ["lb-1.elb.example.com"]}),
], ids=["several-hostnames", "ipv6-aaaa", "hostname-cname"])
def test_service_addresses_become_records(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        hostnames, addresses, expected) -> None:
    reconciler()
    metallb.create_service(kubeconfig, namespace, "app", {ALPHA + "hostname": hostnames})
    metallb.assign(kubeconfig, namespace, "app", addresses)

    def landed():  # type: ignore[no-untyped-def]
        records = zone_records(route53, zone_id)
        return all(key in records for key in expected) and records

    records = wait_for(landed)
    assert {key: values(records[key]) for key in expected} == expected
    txt_names = {name for name, kind, _ in records if kind == "TXT"}
    assert txt_names == {f"{kind.lower()}-{name}" for name, kind, _ in expected}


def test_two_weighted_services_give_two_weighted_record_sets(
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler()
    for name, ip, weight in (("blue", "10.4.11.21", "10"), ("green", "10.4.11.22", "30")):
        metallb.create_service(kubeconfig, namespace, name, {
            ALPHA + "hostname": "shop.goldentooth.net", ALPHA + "set-identifier": name,
            ALPHA + "aws-weight": weight})
        metallb.assign(kubeconfig, namespace, name, [ip])

    keys = [("shop.goldentooth.net", "A", "blue"), ("shop.goldentooth.net", "A", "green"),
            ("a-shop.goldentooth.net", "TXT", "blue"), ("a-shop.goldentooth.net", "TXT", "green")]
    records = wait_for(lambda: (r := zone_records(route53, zone_id)) and all(k in r for k in keys)
                       and r)

    assert [(values(records[k]), records[k]["Weight"]) for k in keys[:2]] == [
        (["10.4.11.21"], 10), (["10.4.11.22"], 30)]
    assert records[keys[2]]["Weight"] == 10 and records[keys[3]]["Weight"] == 30
    assert {running.outcome(f"service/{namespace}/{n}").status
            for n in ("blue", "green")} == {"synced"}


def test_service_change_reaches_route53_within_a_second(
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler()
    metallb.create_service(kubeconfig, namespace, "fast",
                           {ALPHA + "hostname": "fast.goldentooth.net"})

    metallb.assign(kubeconfig, namespace, "fast", ["10.4.11.31"])
    assigned = time.monotonic()
    wait_for(lambda: ("fast.goldentooth.net", "A", "") in zone_records(route53, zone_id),
             timeout=5, interval=0.02)

    assert time.monotonic() - assigned < 1.0


def test_two_services_claiming_one_name_senior_keeps_it_junior_reported(
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    for name, ip in (("first", "10.4.11.51"), ("second", "10.4.11.52")):
        metallb.create_service(kubeconfig, namespace, name,
                               {ALPHA + "hostname": "shared.goldentooth.net"})
        metallb.assign(kubeconfig, namespace, name, [ip])
        time.sleep(1.1)  # creationTimestamp has one-second resolution

    running = reconciler()

    wait_for(lambda: running.outcome(f"service/{namespace}/second"))
    assert values(zone_records(route53, zone_id)[("shared.goldentooth.net", "A", "")]) == [
        "10.4.11.51"]
    second = running.outcome(f"service/{namespace}/second")
    assert (second.status, second.message) == (
        "conflict",
        # first won as the senior Service; once its record landed, the record names it,
        # which is what every later sync reads and reports.
        f"shared.goldentooth.net is held by Service {namespace}/first: "
        "its ownership record names it")


def test_encrypted_ownership_round_trips_through_route53(
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    key = bytes(range(32))
    running = reconciler(aes_key=key, interval=1.0)
    metallb.create_service(kubeconfig, namespace, "secret",
                           {ALPHA + "hostname": "secret.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "secret", ["10.4.11.61"])

    records = wait_for(lambda: (r := zone_records(route53, zone_id))
                       and ("a-secret.goldentooth.net", "TXT", "") in r and r)
    (value,) = values(records[("a-secret.goldentooth.net", "TXT", "")])
    labels = registry.decode(value, key) or {}
    labels.pop(registry.NONCE_LABEL)

    assert "heritage" not in value
    assert labels == {"owner": OWNER, "resource": f"service/{namespace}/secret"}
    calls = running.client.calls["change_resource_record_sets"]
    listings = running.client.calls["list_resource_record_sets"]
    wait_for(lambda: running.client.calls["list_resource_record_sets"] > listings + 1)
    assert running.client.calls["change_resource_record_sets"] == calls  # a resync reads it


def test_wildcard_hostname_with_txt_wildcard_replacement(
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler(wildcard_replacement="wild", interval=1.0)
    metallb.create_service(kubeconfig, namespace, "apps",
                           {ALPHA + "hostname": "*.apps.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "apps", ["10.4.11.71"])

    records = wait_for(lambda: (r := zone_records(route53, zone_id))
                       and ("a-wild.apps.goldentooth.net", "TXT", "") in r and r)
    calls = running.client.calls["change_resource_record_sets"]
    listings = running.client.calls["list_resource_record_sets"]
    wait_for(lambda: running.client.calls["list_resource_record_sets"] > listings + 1)

    assert values(records[("*.apps.goldentooth.net", "A", "")]) == ["10.4.11.71"]
    assert running.client.calls["change_resource_record_sets"] == calls  # read back as ours


@pytest.mark.parametrize("choose", ["zone_type", "zone_ids"])
def test_zone_type_and_zone_id_filter_pick_the_zone_written(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, stack, route53, zone_id: str, reconciler,
        choose) -> None:
    from devstack import route53 as route53_server

    private = route53_server.create_zone(stack.route53.url, "goldentooth.net", private=True)
    reconciler(**({"zone_type": "private"} if choose == "zone_type" else
                  {"zone_ids": (zone_id,)}))
    target = private if choose == "zone_type" else zone_id
    other = zone_id if choose == "zone_type" else private
    metallb.create_service(kubeconfig, namespace, "split",
                           {ALPHA + "hostname": "split.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "split", ["10.4.11.81"])

    wait_for(lambda: ("split.goldentooth.net", "A", "") in zone_records(route53, target))
    assert zone_records(route53, other) == {}


def test_split_horizon_public_and_private_zone_both_get_every_record(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, stack, route53, zone_id: str, reconciler,
        kubectl) -> None:
    from devstack import route53 as route53_server

    private = route53_server.create_zone(stack.route53.url, "goldentooth.net", private=True)
    reconciler()  # --aws-zone-type empty: both zones, as ExternalDNS writes both
    metallb.create_service(kubeconfig, namespace, "inside",
                           {ALPHA + "hostname": "inside.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "inside", ["10.4.11.91"])
    keys = {("inside.goldentooth.net", "A", ""), ("a-inside.goldentooth.net", "TXT", "")}

    for zone in (zone_id, private):
        records = wait_for(lambda z=zone: keys <= set(r := zone_records(route53, z)) and r)
        assert values(records[("inside.goldentooth.net", "A", "")]) == ["10.4.11.91"]

    kubectl("-n", namespace, "delete", "service", "inside")

    for zone in (zone_id, private):
        wait_for(lambda z=zone: not keys & set(zone_records(route53, z)))
