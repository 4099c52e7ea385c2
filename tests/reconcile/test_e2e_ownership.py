"""Ownership read as ExternalDNS reads it, through the real stack: a record named like
another record's TXT (`a-team` beside `team`, whose new-format TXT is `a-team`) belongs to
nobody, so no resync, Service deletion or Service asking for its name ever touches it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack import metallb
from tests.reconcile.conftest import ALPHA, OWNER, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

HAND_MADE = ("a-team.goldentooth.net", "A", "")
TEAM = ("team.goldentooth.net", "A", "")
TEAM_TXT = ("a-team.goldentooth.net", "TXT", "")


def make_by_hand(route53, zone_id: str) -> None:  # type: ignore[no-untyped-def]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "a-team.goldentooth.net.", "Type": "A", "TTL": 3600,
            "ResourceRecords": [{"Value": "203.0.113.7"}]}}]})


def resyncs(running, count: int = 2) -> None:  # type: ignore[no-untyped-def]
    listed = running.client.calls["list_resource_record_sets"]
    wait_for(lambda: running.client.calls["list_resource_record_sets"] >= listed + count)


def test_hand_made_a_team_survives_resyncs_and_team_services_deletion(  # type: ignore[no-untyped-def]
        kubeconfig: Path, kubectl, namespace: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler(interval=1.0)
    metallb.create_service(kubeconfig, namespace, "team",
                           {ALPHA + "hostname": "team.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "team", ["10.4.11.61"])
    wait_for(lambda: {TEAM, TEAM_TXT} <= set(zone_records(route53, zone_id)))
    make_by_hand(route53, zone_id)

    resyncs(running)  # full syncs see a-team beside team's TXT at a-team

    assert values(zone_records(route53, zone_id)[HAND_MADE]) == ["203.0.113.7"]

    kubectl("-n", namespace, "delete", "service", "team")
    wait_for(lambda: not {TEAM, TEAM_TXT} & set(zone_records(route53, zone_id)))
    resyncs(running)

    records = zone_records(route53, zone_id)
    assert set(records) == {HAND_MADE}
    assert values(records[HAND_MADE]) == ["203.0.113.7"]


@pytest.mark.parametrize("policy", ["sync", "upsert-only"])
def test_service_asking_for_hand_made_a_team_is_refused_it(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler, policy) -> None:
    running = reconciler(policy=policy)
    metallb.create_service(kubeconfig, namespace, "team",
                           {ALPHA + "hostname": "team.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "team", ["10.4.11.61"])
    wait_for(lambda: {TEAM, TEAM_TXT} <= set(zone_records(route53, zone_id)))
    make_by_hand(route53, zone_id)
    running.controller.zones.invalidate()  # as after a resync: the cache sees a-team

    metallb.create_service(kubeconfig, namespace, "a-team",
                           {ALPHA + "hostname": "a-team.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "a-team", ["10.4.11.62"])
    outcome = wait_for(lambda: running.outcome(f"service/{namespace}/a-team"))

    assert outcome.status == "conflict"
    assert "a-team.goldentooth.net A (203.0.113.7) exists without an ownership TXT" in (
        outcome.message)
    assert values(zone_records(route53, zone_id)[HAND_MADE]) == ["203.0.113.7"]


def _ownership_txt(name: str, owner: str, resource: str) -> dict[str, Any]:
    value = ('"heritage=external-dns,external-dns/owner='
             f'{owner},external-dns/resource={resource}"')
    return {"Action": "CREATE", "ResourceRecordSet": {
        "Name": name, "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": value}]}}


def test_a_cname_whose_two_txts_name_different_owners_is_never_replaced(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    """Under `%{record_type}-`, `cname-team` and `-cname-team` both stand for `team` CNAME.
    Route53 lists `-cname-team` first, so keeping the later TXT would call the CNAME ours and
    replace it with the Service's A record (docs/externaldns-txt-registry.md, "TXTs that
    disagree")."""
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "team.goldentooth.net.", "Type": "CNAME", "TTL": 300,
            "ResourceRecords": [{"Value": "lb1.example.org"}]}},
        _ownership_txt("-cname-team.goldentooth.net.", "someone-else", f"service/{namespace}/team"),
        _ownership_txt("cname-team.goldentooth.net.", OWNER, f"service/{namespace}/team")]})
    running = reconciler(interval=1.0, prefix="%{record_type}-")
    metallb.create_service(kubeconfig, namespace, "team",
                           {ALPHA + "hostname": "team.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "team", ["10.4.11.61"])
    wait_for(lambda: running.outcome(f"service/{namespace}/team"))
    resyncs(running)

    records = zone_records(route53, zone_id)
    assert values(records[("team.goldentooth.net", "CNAME", "")]) == ["lb1.example.org"]
    assert TEAM not in records
