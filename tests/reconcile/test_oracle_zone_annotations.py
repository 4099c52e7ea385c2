"""dnsgate against ExternalDNS v0.23.0's own AWS provider (`devstack.oracle_route53`) for the
annotations `aws-geoproximity-*`, `aws-hosted-zone-id` and `aws-target-hosted-zone`: the
record sets each sends Route53 on the first sync, compared field by field, and what each sends
on the second sync, when the zones hold what the first wrote (docs/route53-alias.md).

ExternalDNS's desired records are made from the annotations as its Service source makes them
(`aws-<x>` -> property `aws/<x>`, `alias: "true"` -> `alias=true`, a hostname target ->
CNAME); dnsgate runs its controller over the same Service against an in-memory Route53.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import pytest

from devstack import oracle, oracle_route53
from dnsgate.domains import DomainFilter
from reconciler import endpoint, route53
from tests.reconcile.fakes import MemoryRoute53
from tests.reconcile.test_controller import controller
from tests.reconcile.test_source import ALPHA, service

PUBLIC = ("ZPUBLIC", "goldentooth.net.", False)
PRIVATE = ("ZPRIVATE", "goldentooth.net.", True)
ZONES = (PUBLIC, PRIVATE)
S3 = "bucket.s3-website.eu-west-1.amazonaws.com"
DOMAINS = DomainFilter.of(["goldentooth.net"])

CASES = [
    ("geoproximity-region", {"set-identifier": "eu", "aws-geoproximity-region": "eu-west-1"},
     "10.0.0.1"),
    ("geoproximity-coordinates-bias", {
        "set-identifier": "ldn", "aws-geoproximity-coordinates": "51.50,-0.12",
        "aws-geoproximity-bias": "-20"}, "10.0.0.1"),
    ("geoproximity-local-zone-group-cname", {
        "set-identifier": "bue", "aws-geoproximity-local-zone-group": "us-east-1-bue-1"},
     "lb.example.org"),
    ("hosted-zone-id-private", {"aws-hosted-zone-id": "ZPRIVATE"}, "10.0.0.1"),
    ("hosted-zone-id-path-public", {"aws-hosted-zone-id": "/hostedzone/ZPUBLIC"}, "10.0.0.1"),
    ("target-hosted-zone", {"alias": "true", "aws-target-hosted-zone": "Z1BKCTXD74EZPE"}, S3),
    # A load balancer target is aliased without the alias annotation, and takes the zone.
    ("target-hosted-zone-load-balancer", {"aws-target-hosted-zone": "ZXYZ"},
     "my-lb-1234567890.eu-west-1.elb.amazonaws.com"),
    ("geoproximity-alias-pinned", {
        "alias": "true", "set-identifier": "eu", "aws-geoproximity-region": "eu-west-1",
        "aws-hosted-zone-id": "ZPUBLIC"}, S3),
]
# Annotations after which ExternalDNS v0.23.0 rewrites the record at every sync: it keeps
# them as endpoint properties that its reading of Route53 never shows.
REWRITTEN_BY_EXTERNAL_DNS = ("aws-hosted-zone-id", "aws-target-hosted-zone")


def external_dns_desired(notes: dict[str, str], target: str) -> dict[str, Any]:
    try:
        kind = "A" if ipaddress.ip_address(target).version == 4 else "AAAA"
    except ValueError:
        kind = "CNAME"
    properties = {"aws/" + k.removeprefix("aws-"): v for k, v in notes.items()
                  if k.startswith("aws-")}
    if notes.get("alias") == "true":
        properties["alias"] = "true"
    return {"name": "geo.goldentooth.net", "type": kind, "targets": [target],
            "set_identifier": notes.get("set-identifier", ""), "properties": properties,
            "resource": "service/apps/geo"}


def records_only(sent: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """(zone, action, record set) without the TXTs, names without their trailing dot."""
    return sorted((zone, action, json.dumps({**rrset, "Name": rrset["Name"].rstrip(".")},
                                            sort_keys=True))
                  for zone, action, rrset in sent if rrset["Type"] != "TXT")


def txt_routing(sent: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """The routing fields each ownership TXT carries, per zone."""
    return sorted((zone, action, rrset.get("SetIdentifier"),
                   json.dumps(rrset.get("GeoProximityLocation"), sort_keys=True))
                  for zone, action, rrset in sent if rrset["Type"] == "TXT")


@pytest.fixture(scope="module")
def external_dns() -> Iterator[oracle.Oracle]:
    with oracle.Oracle(oracle.LATEST, "route53") as running:
        yield running


def dnsgate_syncs(notes: dict[str, str], target: str) -> tuple[list[Any], list[Any]]:
    route53 = MemoryRoute53({"ZPUBLIC": "goldentooth.net", "ZPRIVATE": "goldentooth.net"},
                            private=frozenset({"ZPRIVATE"}))
    annotations = {ALPHA + "hostname": "geo.goldentooth.net", ALPHA + "target": target,
                   **{ALPHA + k: v for k, v in notes.items()}}
    ctl, reporter = controller(route53, [service("geo", annotations)])
    assert ctl.run_once(), reporter.latest
    first = [(zone, c["Action"], c["ResourceRecordSet"]) for zone, changes in route53.batches
             for c in changes]
    route53.batches.clear()
    assert ctl.run_once()
    return first, list(route53.batches)


@pytest.mark.parametrize(("notes", "target"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_first_sync_sends_what_external_dns_sends(external_dns, notes, target) -> None:
    desired = [external_dns_desired(notes, target)]
    answer = external_dns.ask(oracle_route53.request(ZONES, {}, desired, owner_id="me"))
    assert not answer.get("error")
    theirs = oracle_route53.batches(answer)

    ours, _ = dnsgate_syncs(notes, target)

    assert records_only(ours) == records_only(theirs)
    if "set-identifier" in notes and "alias" not in notes:
        assert txt_routing(ours) == txt_routing(theirs)


@pytest.mark.parametrize(("notes", "target"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_second_sync_changes_nothing_where_external_dns_rewrites_pinned_records(
        external_dns, notes, target) -> None:
    desired = [external_dns_desired(notes, target)]
    first = oracle_route53.batches(external_dns.ask(
        oracle_route53.request(ZONES, {}, desired, owner_id="me")))
    held: dict[str, list[dict[str, Any]]] = {}
    for zone, _, rrset in first:
        held.setdefault(zone, []).append(rrset)
    second = oracle_route53.batches(external_dns.ask(
        oracle_route53.request(ZONES, held, desired, owner_id="me")))

    _, ours = dnsgate_syncs(notes, target)

    assert ours == []
    rewritten = any(key in notes for key in REWRITTEN_BY_EXTERNAL_DNS)
    assert bool(second) is rewritten
    assert all(action == "UPSERT" for _, action, _ in second)


def test_geoproximity_read_back_matches_external_dns_reading(external_dns) -> None:
    listed = {"Name": "geo.goldentooth.net.", "Type": "A", "SetIdentifier": "ldn", "TTL": 300,
              "ResourceRecords": [{"Value": "10.0.0.1"}],
              "GeoProximityLocation": {"Coordinates": {"Latitude": "51.50",
                                                       "Longitude": "-0.12"}, "Bias": 5}}
    answer = external_dns.ask(oracle_route53.request((PUBLIC,), {"ZPUBLIC": [listed]}, [],
                                                     owner_id="me"))

    (theirs,) = [r for r in answer["current"] if r["type"] == "A"]
    assert dict(route53.to_endpoint(listed, "ZPUBLIC").properties) == theirs["properties"]
    assert endpoint.GEOPROXIMITY_COORDINATES in theirs["properties"]


def dnsgate_zones(notes: dict[str, str], target: str) -> dict[str, list[dict[str, Any]]]:
    """The zones as dnsgate's first sync leaves them."""
    route53 = MemoryRoute53({"ZPUBLIC": "goldentooth.net", "ZPRIVATE": "goldentooth.net"},
                            private=frozenset({"ZPRIVATE"}))
    annotations = {ALPHA + "hostname": "geo.goldentooth.net", ALPHA + "target": target,
                   **{ALPHA + k: v for k, v in notes.items()}}
    ctl, _ = controller(route53, [service("geo", annotations)])
    assert ctl.run_once()
    return {zone: list(records.values()) for zone, records in route53.records.items()}


BOTH = ("ZPRIVATE", "ZPUBLIC")
# What ExternalDNS v0.14.2 sends, at every sync, after a rollback from dnsgate: per zone,
# the action, type and routing of each record (TXTs aside). It reads none of the annotations
# back from Route53, so it rewrites each record; it sends no geoproximity location (leaving a
# set identifier with no routing policy), and it ignores the zone pin.
ROLLBACK = {
    "geoproximity-region": {(z, "UPSERT", "A", "eu", None, None) for z in BOTH},
    "geoproximity-coordinates-bias": {(z, "UPSERT", "A", "ldn", None, None) for z in BOTH},
    "geoproximity-local-zone-group-cname": {(z, "UPSERT", "CNAME", "bue", None, None)
                                            for z in BOTH},
    "hosted-zone-id-private": {(z, "UPSERT", "A", None, None, None) for z in BOTH},
    "hosted-zone-id-path-public": {(z, "UPSERT", "A", None, None, None) for z in BOTH},
    "target-hosted-zone": {(z, "UPSERT", "A", None, None, "Z1BKCTXD74EZPE") for z in BOTH},
}


@pytest.mark.parametrize(("case", "notes", "target"),
                         [c for c in CASES if c[0] in ROLLBACK], ids=list(ROLLBACK))
def test_a_rollback_to_v0_14_2_rewrites_every_such_record_without_its_routing(
        case, notes, target) -> None:
    zones = dnsgate_zones(notes, target)
    with oracle.Oracle(oracle.SEED, "route53") as seed:
        answer = seed.ask(oracle_route53.request(
            ZONES, zones, [external_dns_desired(notes, target)], owner_id="me"))
    assert not answer.get("error")

    sent = {(zone, action, rrset["Type"], rrset.get("SetIdentifier"),
             json.dumps(rrset.get("GeoProximityLocation")) if "GeoProximityLocation" in rrset
             else None, (rrset.get("AliasTarget") or {}).get("HostedZoneId"))
            for zone, action, rrset in oracle_route53.batches(answer) if rrset["Type"] != "TXT"}
    assert sent == ROLLBACK[case]


def test_deleting_a_pinned_record_deletes_it_where_it_is_where_external_dns_tries_every_zone(
        external_dns) -> None:
    """v0.23.0 reads no pin back from Route53, so the DELETE of a pinned record that is no
    longer wanted goes to every zone holding its name, also one that never held it (Route53
    refuses that batch); dnsgate deletes it from the zone it is in."""
    notes = {"aws-hosted-zone-id": "ZPRIVATE"}
    held = dnsgate_zones(notes, "10.0.0.1")
    assert held["ZPUBLIC"] == []

    theirs = oracle_route53.batches(external_dns.ask(
        oracle_route53.request(ZONES, held, [], owner_id="me")))
    route53 = MemoryRoute53({"ZPUBLIC": "goldentooth.net", "ZPRIVATE": "goldentooth.net"},
                            private=frozenset({"ZPRIVATE"}))
    for zone, records in held.items():
        route53.records[zone] = {(r["Name"], r["Type"], r.get("SetIdentifier", "")): r
                                 for r in records}
    ctl, _ = controller(route53, [])
    assert ctl.run_once()
    ours = [(zone, c["Action"], c["ResourceRecordSet"]) for zone, changes in route53.batches
            for c in changes]

    assert {(zone, action) for zone, action, _ in theirs} == {
        ("ZPUBLIC", "DELETE"), ("ZPRIVATE", "DELETE")}
    assert {(zone, action) for zone, action, _ in ours} == {("ZPRIVATE", "DELETE")}
    assert route53.records["ZPRIVATE"] == {}


def test_a_same_zone_alias_in_a_split_horizon_targets_each_zone_itself(external_dns) -> None:
    """An alias to another record of its zone gets that zone's id as its target zone. v0.23.0
    gives the alias it writes to the second zone of a split horizon the first zone's id (its
    per-zone loop keeps the rewritten change), so one of its two aliases points across zones;
    dnsgate gives each zone its own id. A pin (or aws-target-hosted-zone) avoids the case."""
    notes = {"alias": "true"}
    target = "other.goldentooth.net"
    theirs = oracle_route53.batches(external_dns.ask(oracle_route53.request(
        ZONES, {}, [external_dns_desired(notes, target)], owner_id="me")))
    ours, _ = dnsgate_syncs(notes, target)

    def alias_zones(sent: list[Any]) -> set[tuple[str, str]]:
        return {(zone, rrset["AliasTarget"]["HostedZoneId"]) for zone, _, rrset in sent
                if "AliasTarget" in rrset}

    assert len({target_zone for _, target_zone in alias_zones(theirs)}) == 1
    assert alias_zones(ours) == {("ZPUBLIC", "ZPUBLIC"), ("ZPRIVATE", "ZPRIVATE")}
