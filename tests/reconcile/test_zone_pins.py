"""`aws-hosted-zone-id` in the controller, against an in-memory Route53 with a split horizon
(a public and a private zone of one name): where a pinned record goes, and what a pin naming
no zone of the name leaves alone (docs/route53-alias.md, "Zone annotations")."""

from __future__ import annotations

from typing import Any

from tests.reconcile.fakes import MemoryRoute53
from tests.reconcile.test_controller import controller
from tests.reconcile.test_source import ALPHA, service

NAME = "www.goldentooth.net"


def split_horizon() -> MemoryRoute53:
    return MemoryRoute53({"ZPUBLIC": "goldentooth.net", "ZPRIVATE": "goldentooth.net"},
                         private=frozenset({"ZPRIVATE"}))


def weighted(name: str, set_id: str, ip: str, **more: str) -> dict[str, Any]:
    return service(name, {ALPHA + "hostname": NAME, ALPHA + "target": ip,
                          ALPHA + "set-identifier": set_id, ALPHA + "aws-weight": "1",
                          **{ALPHA + k.replace("_", "-"): v for k, v in more.items()}})


def rows(route53: MemoryRoute53, zone: str) -> set[tuple[str, str, str]]:
    return {(n.rstrip("."), t, s) for n, t, s in route53.records[zone] if t != "TXT"}


def test_a_pinned_record_and_its_txt_go_to_the_pinned_zone_only() -> None:
    route53 = split_horizon()
    ctl, _ = controller(route53, [weighted("blue", "blue", "10.0.0.1",
                                           aws_hosted_zone_id="ZPRIVATE")])

    assert ctl.run_once()

    assert rows(route53, "ZPRIVATE") == {(NAME, "A", "blue")}
    assert route53.records["ZPUBLIC"] == {}
    assert ("a-www.goldentooth.net.", "TXT", "blue") in route53.records["ZPRIVATE"]


def test_a_pin_naming_no_zone_leaves_its_record_and_not_its_neighbours() -> None:
    route53 = split_horizon()
    blue = weighted("blue", "blue", "10.0.0.1")
    green = weighted("green", "green", "10.0.0.2")
    ctl, reporter = controller(route53, [blue, green])
    assert ctl.run_once()
    before = dict(route53.records["ZPUBLIC"])

    blue["metadata"]["annotations"][ALPHA + "aws-hosted-zone-id"] = "ZELSEWHERE"
    green["metadata"]["annotations"][ALPHA + "target"] = "10.0.0.3"
    # Reported on blue, yet the sync succeeds: as ExternalDNS skips the record, and so one
    # Service's pin cannot fail --once, /readyz or the last-sync metric for all.
    assert ctl.run_once()

    for zone in ("ZPUBLIC", "ZPRIVATE"):
        assert rows(route53, zone) == {(NAME, "A", "blue"), (NAME, "A", "green")}
    blue_key = ("www.goldentooth.net.", "A", "blue")
    assert route53.records["ZPUBLIC"][blue_key] == before[blue_key]
    green_a = route53.records["ZPUBLIC"][("www.goldentooth.net.", "A", "green")]
    assert green_a["ResourceRecords"] == [{"Value": "10.0.0.3"}]
    message = reporter.latest["service/apps/blue"].message
    assert "aws-hosted-zone-id ZELSEWHERE is not a hosted zone dnsgate writes" in message
    assert reporter.latest["service/apps/green"].status == "synced"


def test_a_pin_into_a_zone_where_another_owners_record_stands_leaves_it_alone() -> None:
    """A hostile pin: the zone chosen holds someone else's record set at the name (no
    ownership TXT). It is neither overwritten nor deleted, and the other zone gets nothing."""
    route53 = split_horizon()
    foreign = {"Name": NAME + ".", "Type": "A", "TTL": 60,
               "ResourceRecords": [{"Value": "192.0.2.1"}]}
    route53.records["ZPUBLIC"][(NAME + ".", "A", "")] = foreign
    ctl, reporter = controller(route53, [service("web", {
        ALPHA + "hostname": NAME, ALPHA + "target": "10.0.0.1",
        ALPHA + "aws-hosted-zone-id": "ZPUBLIC"})])

    ctl.run_once()

    assert route53.records["ZPUBLIC"] == {(NAME + ".", "A", ""): foreign}
    assert route53.records["ZPRIVATE"] == {}
    assert reporter.latest["service/apps/web"].status != "synced"
