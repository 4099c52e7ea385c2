"""Names two records share, through the real stack: `*.goldentooth.net` as a load balancer's
A alias writes its ownership TXT at `cname-wild.goldentooth.net` (--txt-wildcard-replacement
`wild`), where a CNAME `wild.goldentooth.net` looks for its own. A hand-made CNAME there
is nobody's, so no resync deletes it, and neither Service nor resync rewrites that TXT
(docs/externaldns-txt-registry.md, "Names two records share")."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import metallb
from tests.reconcile.conftest import ALPHA, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

ELB = "k8s-web-0123456789.us-east-1.elb.amazonaws.com"
STAR = ("*.goldentooth.net", "A", "")
STAR_TXT = ("cname-wild.goldentooth.net", "TXT", "")
HAND_MADE = ("wild.goldentooth.net", "CNAME", "")


def make_by_hand(route53, zone_id: str) -> None:  # type: ignore[no-untyped-def]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "wild.goldentooth.net.", "Type": "CNAME", "TTL": 3600,
            "ResourceRecords": [{"Value": "elsewhere.example.org"}]}}]})


def resyncs(running, count: int = 2) -> None:  # type: ignore[no-untyped-def]
    listed = running.client.calls["list_resource_record_sets"]
    wait_for(lambda: running.client.calls["list_resource_record_sets"] >= listed + count)


def test_a_hand_made_cname_sharing_the_wildcard_alias_txt_survives_resyncs(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler(wildcard_replacement="wild", interval=1.0)
    metallb.create_service(kubeconfig, namespace, "star",
                           {ALPHA + "hostname": "*.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "star", [ELB])
    wait_for(lambda: {STAR, STAR_TXT} <= set(zone_records(route53, zone_id)))
    txt_before = values(zone_records(route53, zone_id)[STAR_TXT])
    make_by_hand(route53, zone_id)

    resyncs(running)  # full syncs see the CNAME beside the alias's TXT

    records = zone_records(route53, zone_id)
    assert values(records[HAND_MADE]) == ["elsewhere.example.org"]
    assert values(records[STAR_TXT]) == txt_before
    assert STAR in records


def test_a_service_asking_for_the_namesake_of_a_held_wildcard_is_refused_it(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler(wildcard_replacement="wild")
    metallb.create_service(kubeconfig, namespace, "star",
                           {ALPHA + "hostname": "*.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "star", ["10.4.11.91"])
    wait_for(lambda: ("a-wild.goldentooth.net", "TXT", "") in zone_records(route53, zone_id))
    txt_before = values(zone_records(route53, zone_id)[("a-wild.goldentooth.net", "TXT", "")])

    metallb.create_service(kubeconfig, namespace, "wild",
                           {ALPHA + "hostname": "wild.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "wild", ["10.4.11.92"])
    outcome = wait_for(lambda: running.outcome(f"service/{namespace}/wild"))

    assert outcome.status == "conflict"
    assert outcome.message == (
        "wild.goldentooth.net shares its ownership TXT names with *.goldentooth.net, held by "
        f"Service {namespace}/star: its ownership record names it")
    records = zone_records(route53, zone_id)
    assert ("wild.goldentooth.net", "A", "") not in records
    assert values(records[("a-wild.goldentooth.net", "TXT", "")]) == txt_before
