"""Record types and routing through the real stack: several hostnames on one Service,
IPv6 -> AAAA, a hostname ingress -> CNAME, weighted record sets from two Services."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dnsgate.devstack import metallb
from tests.reconcile.conftest import ALPHA, values, wait_for, zone_records

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
    assert {running.outcome(f"{namespace}/{n}").status for n in ("blue", "green")} == {"synced"}


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
