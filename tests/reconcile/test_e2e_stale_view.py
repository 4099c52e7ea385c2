"""Another owner takes our Service's name out of band between two resyncs; the Service's IP
then changes. dnsgate's event sync plans against its cached view of the zone, which still
says the name is ours, but its write is conditional on Route53 still holding what it read
(docs/route53.md, "Conditional writes"): Route53 refuses it, dnsgate reads that name again,
finds the other owner, leaves their records alone and reports the name as theirs.

Through the real kube-apiserver and moto. moto checks a DELETE against its journal of past
writes rather than the zone, so it would take our stale DELETE; the Route53 proxy in front of
it refuses it as Route53 does (`strict`, devstack/r53strict.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devstack import metallb
from reconciler import registry
from reconciler.status import COMPONENT, CONDITION_TYPE
from tests.reconcile.conftest import ALPHA, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

NAME = "stale.goldentooth.net"
THEIRS = registry.encode({"owner": "another-cluster", "resource": "service/elsewhere/x"})


def rrset(name: str, kind: str, ttl: int, value: str) -> dict[str, Any]:
    return {"Name": name + ".", "Type": kind, "TTL": ttl, "ResourceRecords": [{"Value": value}]}


def replaced(zone: dict[Any, Any]) -> list[dict[str, Any]]:
    """Their A record and TXT written over ours, as the console or an UPSERT does."""
    return [{"Action": "UPSERT", "ResourceRecordSet": rrset(NAME, "A", 300, "192.0.2.50")},
            {"Action": "UPSERT", "ResourceRecordSet": rrset("a-" + NAME, "TXT", 300, THEIRS)}]


def deleted_and_created(zone: dict[Any, Any]) -> list[dict[str, Any]]:
    """Ours deleted exactly as listed, theirs created: what another ExternalDNS would send."""
    ours = [zone[(NAME, "A", "")], zone[("a-" + NAME, "TXT", "")]]
    return [*({"Action": "DELETE", "ResourceRecordSet": r} for r in ours),
            {"Action": "CREATE", "ResourceRecordSet": rrset(NAME, "A", 300, "192.0.2.50")},
            {"Action": "CREATE", "ResourceRecordSet": rrset("a-" + NAME, "TXT", 300, THEIRS)}]


def condition(kubectl, namespace: str) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    found = json.loads(kubectl("-n", namespace, "get", "service", "stale", "-o", "json").stdout)
    return next((c for c in found.get("status", {}).get("conditions", [])
                 if c["type"] == CONDITION_TYPE), None)


def warnings(kubectl, namespace: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    listed = json.loads(kubectl("-n", namespace, "get", "events", "-o", "json").stdout)
    return [e for e in listed["items"]
            if e.get("reportingComponent") == COMPONENT and e["type"] == "Warning"]


@pytest.mark.parametrize("take", [replaced, deleted_and_created],
                         ids=["their-records-written-over-ours", "ours-deleted-theirs-created"])
def test_name_taken_out_of_band_stays_theirs_when_our_ip_changes(
        kubeconfig: Path, kubectl, namespace: str, route53, zone_id: str, reconciler,
        strict_route53, take) -> None:  # type: ignore[no-untyped-def]
    metallb.create_service(kubeconfig, namespace, "stale",
                           {ALPHA + "hostname": NAME, ALPHA + "ttl": "60"})
    metallb.assign(kubeconfig, namespace, "stale", ["10.4.12.1"])
    # A resync every hour: between resyncs, events plan against the cached zone.
    running = reconciler(client_=strict_route53.client, interval=3600.0, report_status=True)
    wait_for(lambda: (o := running.outcome(f"service/{namespace}/stale")) and o.status == "synced",
             timeout=20)
    zone = zone_records(route53, zone_id)
    assert values(zone[(NAME, "A", "")]) == ["10.4.12.1"]

    route53.change_resource_record_sets(HostedZoneId=zone_id,
                                        ChangeBatch={"Changes": take(zone)})
    theirs = zone_records(route53, zone_id)
    syncs = running.controller.syncs
    metallb.assign(kubeconfig, namespace, "stale", ["10.4.12.2"])

    outcome = wait_for(lambda: (o := running.outcome(f"service/{namespace}/stale"))
                       and o.status == "conflict" and o, timeout=20)
    assert zone_records(route53, zone_id) == theirs
    assert outcome.message == (f'{NAME} A (192.0.2.50) is owned by "another-cluster"; '
                               "dnsgate leaves it untouched")
    ready = wait_for(lambda: (c := condition(kubectl, namespace))
                     and c["reason"] == "DNSOwnershipConflict" and c, timeout=10)
    assert ready["status"] == "False" and "another-cluster" in ready["message"]
    assert wait_for(lambda: [e for e in warnings(kubectl, namespace)
                             if "another-cluster" in e.get("message", "")], timeout=10)
    # An event sync, no resync: the refused batch, then the name and its TXT's name read.
    assert running.controller.syncs > syncs
    assert running.client.calls["list_resource_record_sets"] == 1 + 2
    assert running.client.calls["change_resource_record_sets"] == 2
    assert len(strict_route53.refused) == 1


def test_dev_stack_moto_checks_a_create_as_route53_does(route53, zone_id: str) -> None:
    """moto's own check refuses to create again a set it once created and takes a CREATE of
    a set that exists with other values (devstack/motoserver.py); the dev stack's answers as
    Route53 does, in batch order."""
    def send(*changes: tuple[str, dict[str, Any]]) -> None:
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            {"Action": action, "ResourceRecordSet": r} for action, r in changes]})

    ours = rrset("a-" + NAME, "TXT", 300, '"heritage=external-dns,external-dns/owner=me"')
    send(("CREATE", ours))
    send(("DELETE", ours), ("CREATE", ours))  # an update's unchanged TXT: taken
    with pytest.raises(route53.exceptions.InvalidChangeBatch, match="already exists"):
        send(("CREATE", {**ours, "ResourceRecords": [{"Value": '"other"'}]}))
    assert [values(r) for r in zone_records(route53, zone_id).values()] == [[ours[
        "ResourceRecords"][0]["Value"]]]


def test_a_name_taken_before_our_first_ip_gets_no_record_of_ours_beside_theirs(
        kubeconfig: Path, kubectl, namespace: str, route53, zone_id: str, reconciler,
        strict_route53) -> None:  # type: ignore[no-untyped-def]
    """Route53 refuses a CREATE only of the same name and type: their AAAA, written after
    our listing, would not stop our A. The event sync reads a name again before creating."""
    metallb.create_service(kubeconfig, namespace, "stale",
                           {ALPHA + "hostname": NAME, ALPHA + "ttl": "60"})
    running = reconciler(client_=strict_route53.client, interval=3600.0, report_status=True)
    wait_for(lambda: running.controller.syncs >= 1, timeout=20)  # the zone is listed
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": rrset(NAME, "AAAA", 300, "2001:db8::50")},
        {"Action": "CREATE", "ResourceRecordSet": rrset("aaaa-" + NAME, "TXT", 300, THEIRS)}]})
    theirs = zone_records(route53, zone_id)

    metallb.assign(kubeconfig, namespace, "stale", ["10.4.12.3"])

    outcome = wait_for(lambda: (o := running.outcome(f"service/{namespace}/stale"))
                       and o.status == "conflict" and o, timeout=20)
    assert zone_records(route53, zone_id) == theirs
    # Their TXT sits at another name than ours would (aaaa-): the name alone is read again,
    # and a record there that no TXT in hand names is not ours either.
    assert outcome.message.startswith(f"{NAME} AAAA (2001:db8::50) ")
    assert outcome.message.endswith("dnsgate leaves it untouched")
    assert running.client.calls["change_resource_record_sets"] == 0
