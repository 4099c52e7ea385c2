"""Taking over a zone ExternalDNS v0.14.2 manages: same owner id, zero changes; records of
another owner, or of nobody, at names our Services claim stay untouched and are reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack import metallb
from tests.reconcile.conftest import ALPHA, OWNER, wait_for, zone_records

pytestmark = pytest.mark.e2e


def rrset(name: str, kind: str, value: str, ttl: int) -> dict[str, Any]:
    return {"Action": "CREATE", "ResourceRecordSet": {
        "Name": name + ".", "Type": kind, "TTL": ttl, "ResourceRecords": [{"Value": value}]}}


def external_dns_v0142(namespace: str, name: str, hostname: str, ip: str, ttl: int,
                       owner: str = OWNER) -> list[dict[str, Any]]:
    """What ExternalDNS v0.14.2 writes for one Service: the A record, and TXTs in both the
    old (same name) and new (`a-`) formats, TTL 300 (its AWS provider's default)."""
    value = (f'"heritage=external-dns,external-dns/owner={owner},'
             f'external-dns/resource=service/{namespace}/{name}"')
    return [rrset(hostname, "A", ip, ttl), rrset(hostname, "TXT", value, 300),
            rrset("a-" + hostname, "TXT", value, 300)]


def prefill(route53, zone_id: str, changes: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def test_zone_left_by_external_dns_is_adopted_with_zero_changes(
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    for name, ip in (("httpbin", "10.4.11.1"), ("echo", "10.4.11.2")):
        metallb.create_service(kubeconfig, namespace, name, {
            ALPHA + "hostname": f"{name}.goldentooth.net", ALPHA + "ttl": "60"})
        metallb.assign(kubeconfig, namespace, name, [ip])
    prefill(route53, zone_id,
            external_dns_v0142(namespace, "httpbin", "httpbin.goldentooth.net", "10.4.11.1", 60)
            + external_dns_v0142(namespace, "echo", "echo.goldentooth.net", "10.4.11.2", 60))
    before = zone_records(route53, zone_id)

    running = reconciler()
    wait_for(lambda: all(running.outcome(f"service/{namespace}/{n}") for n in ("httpbin", "echo")))

    assert running.client.calls["change_resource_record_sets"] == 0
    assert running.client.calls["list_resource_record_sets"] == 1
    assert {running.outcome(f"service/{namespace}/{n}").status for n in ("httpbin", "echo")} == {
        "synced"}
    assert zone_records(route53, zone_id) == before


def test_foreign_and_unowned_records_are_untouched_and_reported(
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    prefill(route53, zone_id, [
        *external_dns_v0142("elsewhere", "theirs", "theirs.goldentooth.net", "192.0.2.1", 300,
                            owner="another-cluster"),
        rrset("manual.goldentooth.net", "A", "192.0.2.2", 3600)])
    before = zone_records(route53, zone_id)
    for name in ("theirs", "manual"):
        metallb.create_service(kubeconfig, namespace, name,
                               {ALPHA + "hostname": f"{name}.goldentooth.net"})
        metallb.assign(kubeconfig, namespace, name, ["10.4.11.40"])

    running = reconciler()
    outcomes = wait_for(lambda: (o := [running.outcome(f"service/{namespace}/{n}")
                                       for n in ("theirs", "manual")]) and all(o) and o)

    assert zone_records(route53, zone_id) == before
    assert running.client.calls["change_resource_record_sets"] == 0
    assert [(o.status, o.message) for o in outcomes] == [
        ("conflict", 'theirs.goldentooth.net A (192.0.2.1) is owned by "another-cluster"; '
                     "dnsgate leaves it untouched"),
        ("conflict", "manual.goldentooth.net A (192.0.2.2) exists without an ownership TXT "
                     "record; dnsgate leaves it untouched"),
    ]


def test_deleting_adopted_service_removes_record_and_both_txt_formats(
        kubeconfig: Path, kubectl, namespace: str, route53, zone_id: str, reconciler) -> None:
    metallb.create_service(kubeconfig, namespace, "httpbin", {
        ALPHA + "hostname": "httpbin.goldentooth.net", ALPHA + "ttl": "60"})
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.1"])
    prefill(route53, zone_id, external_dns_v0142(
        namespace, "httpbin", "httpbin.goldentooth.net", "10.4.11.1", 60))
    running = reconciler()
    wait_for(lambda: running.outcome(f"service/{namespace}/httpbin"))

    kubectl("-n", namespace, "delete", "service", "httpbin")

    assert wait_for(lambda: zone_records(route53, zone_id) == {}, timeout=5)
    assert running.client.calls["change_resource_record_sets"] == 1  # one atomic group


def test_migrated_record_gets_its_new_format_txt(
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    metallb.create_service(kubeconfig, namespace, "httpbin", {
        ALPHA + "hostname": "httpbin.goldentooth.net", ALPHA + "ttl": "60"})
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.1"])
    old_only = external_dns_v0142(
        namespace, "httpbin", "httpbin.goldentooth.net", "10.4.11.1", 60)[:2]
    prefill(route53, zone_id, old_only)

    reconciler()

    records = wait_for(lambda: (r := zone_records(route53, zone_id))
                       and ("a-httpbin.goldentooth.net", "TXT", "") in r and r)
    assert records[("a-httpbin.goldentooth.net", "TXT", "")]["ResourceRecords"] == (
        old_only[1]["ResourceRecordSet"]["ResourceRecords"])
    assert records[("httpbin.goldentooth.net", "TXT", "")] == (
        old_only[1]["ResourceRecordSet"] | {"Name": "httpbin.goldentooth.net."})
