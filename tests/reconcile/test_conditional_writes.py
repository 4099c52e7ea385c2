"""Every write is conditional on Route53 still holding what dnsgate read: an update is the
DELETE of what was read and the CREATE of what is wanted, so a zone another owner changed
out of band refuses it; the names it touches are then read again (those alone) and planned
once more. Through the in-memory Route53 (`devstack.memroute53`), which refuses a DELETE
that does not match and a CREATE of an existing set as Route53 does; the e2e test
(`test_e2e_stale_view.py`) proves the same story through moto."""

from __future__ import annotations

from typing import Any

from reconciler import registry, route53
from tests.reconcile.fakes import MemoryRoute53, StaticServices
from tests.reconcile.test_controller import controller
from tests.reconcile.test_source import ALPHA, service

NAME = "web.goldentooth.net"
THEIR_A = {"Name": NAME + ".", "Type": "A", "TTL": 60,
           "ResourceRecords": [{"Value": "192.0.2.9"}]}
THEIR_TXT = {"Name": "a-" + NAME + ".", "Type": "TXT", "TTL": 300, "ResourceRecords": [
    {"Value": registry.encode({"owner": "another-cluster", "resource": "service/x/y"})}]}


def web(ip: str) -> dict[str, Any]:
    return service("web", {ALPHA + "hostname": NAME, ALPHA + "ttl": "60"},
                   ingress=[{"ip": ip}])


def synced(ip: str = "10.0.0.1") -> tuple[Any, Any, MemoryRoute53, StaticServices]:
    """A controller that has written `web` at `ip` and holds the zone in its cache."""
    r53 = MemoryRoute53({"Z1": "goldentooth.net"})
    ctl, reporter = controller(r53, [])
    ctl.services = services = StaticServices([web(ip)])
    assert ctl.run_once()
    r53.calls.clear()
    return ctl, reporter, r53, services


def put(r53: MemoryRoute53, *rrsets: dict[str, Any]) -> None:
    """An out-of-band write, straight into the zone (the AWS console, another cluster)."""
    for rrset in rrsets:
        r53.records["Z1"][(rrset["Name"], rrset["Type"], rrset.get("SetIdentifier", ""))] = rrset


def test_name_taken_out_of_band_is_left_to_its_new_owner_and_reported() -> None:
    ctl, reporter, r53, services = synced()
    put(r53, THEIR_A, THEIR_TXT)
    services.services = [web("10.0.0.2")]

    ctl.sync_services({"service/apps/web"})

    zone = r53.records["Z1"]
    assert zone[(NAME + ".", "A", "")] == THEIR_A
    assert zone[("a-" + NAME + ".", "TXT", "")] == THEIR_TXT
    outcome = reporter.latest["service/apps/web"]
    assert outcome.status == "conflict"
    assert 'owned by "another-cluster"' in outcome.message
    # The refused batch, then one listing per name it touched; nothing sent again.
    assert r53.calls == ["change_resource_record_sets", "list_resource_record_sets",
                         "list_resource_record_sets"]
    assert ctl.retrying == {}


def test_ownership_txt_taken_alone_still_stops_the_update() -> None:
    ctl, reporter, r53, services = synced()
    put(r53, THEIR_TXT)  # the A record keeps our values: only the TXT says who owns it
    services.services = [web("10.0.0.2")]

    ctl.sync_services({"service/apps/web"})

    assert r53.records["Z1"][(NAME + ".", "A", "")]["ResourceRecords"] == [{"Value": "10.0.0.1"}]
    assert r53.records["Z1"][("a-" + NAME + ".", "TXT", "")] == THEIR_TXT
    assert reporter.latest["service/apps/web"].status == "conflict"


def test_record_deleted_out_of_band_is_read_again_and_written() -> None:
    ctl, reporter, r53, services = synced()
    del r53.records["Z1"][(NAME + ".", "A", "")]  # our TXT stays: the name is still ours
    services.services = [web("10.0.0.2")]

    assert ctl.sync_services({"service/apps/web"})

    assert r53.records["Z1"][(NAME + ".", "A", "")]["ResourceRecords"] == [{"Value": "10.0.0.2"}]
    assert reporter.latest["service/apps/web"].status == "synced"
    assert r53.calls.count("change_resource_record_sets") == 2  # refused, then landed


def test_change_refused_by_an_unchanged_zone_is_not_sent_again() -> None:
    r53 = MemoryRoute53({"Z1": "goldentooth.net"})
    put(r53, {"Name": "a-" + NAME + ".", "Type": "TXT", "TTL": 300,
              "ResourceRecords": [{"Value": '"site-verification=abc"'}]})
    ctl, reporter = controller(r53, [])
    ctl.services = StaticServices([web("10.0.0.1")])

    assert not ctl.run_once()

    assert r53.calls.count("change_resource_record_sets") == 1
    assert r53.calls.count("list_resource_record_sets") == 1 + 2  # the zone, then 2 names
    assert reporter.latest["service/apps/web"].status == "failed"
    assert ctl.retrying == {NAME: 1}


def test_an_ordinary_sync_reads_and_writes_as_before() -> None:
    ctl, reporter, r53, services = synced()
    services.services = [web("10.0.0.2")]

    assert ctl.sync_services({"service/apps/web"})

    assert r53.calls == ["change_resource_record_sets"]
    assert reporter.latest["service/apps/web"].status == "synced"


def test_reading_one_name_pages_through_its_sets_and_stops_at_the_next_name() -> None:
    r53 = MemoryRoute53({"Z1": "goldentooth.net"})
    for i in range(350):  # more weighted sets at one name than one page holds
        put(r53, {"Name": NAME + ".", "Type": "A", "TTL": 60, "SetIdentifier": f"s{i:03d}",
                  "Weight": 1, "ResourceRecords": [{"Value": "10.0.0.1"}]})
    put(r53, {**THEIR_A, "Name": "www." + NAME + "."}, {**THEIR_A, "Name": "a-" + NAME + "."})
    provider = controller(r53, [])[0].zones.provider
    zone = route53.Zone("Z1", "goldentooth.net", private=False)

    found = provider.records_at(zone, [NAME])

    assert len(found) == 350 and {r.dnsname for r in found} == {NAME}
    assert r53.calls == ["list_resource_record_sets"] * 2


THEIR_AAAA = {"Name": NAME + ".", "Type": "AAAA", "TTL": 60,
              "ResourceRecords": [{"Value": "2001:db8::9"}]}
THEIR_AAAA_TXT = {"Name": "aaaa-" + NAME + ".", "Type": "TXT", "TTL": 300, "ResourceRecords": [
    {"Value": registry.encode({"owner": "another-cluster", "resource": "service/x/y"})}]}


def test_a_name_another_owner_took_since_the_listing_is_not_created_beside_them() -> None:
    """Route53 refuses a CREATE only of the same name, type and set identifier: their AAAA
    would not stop our A. So the names an event sync creates at are read again first."""
    r53 = MemoryRoute53({"Z1": "goldentooth.net"})
    ctl, reporter = controller(r53, [])
    ctl.services = services = StaticServices([])
    assert ctl.run_once()  # the zone, listed empty
    put(r53, THEIR_AAAA, THEIR_AAAA_TXT)  # taken after the listing
    r53.calls.clear()
    services.services = [web("10.0.0.1")]

    ctl.sync_services({"service/apps/web"})

    zone = r53.records["Z1"]
    assert sorted(zone) == sorted([(NAME + ".", "AAAA", ""), ("aaaa-" + NAME + ".", "TXT", "")])
    assert reporter.latest["service/apps/web"].status == "conflict"
    assert r53.calls == ["list_resource_record_sets"]  # the name read again; nothing sent


def test_a_new_name_nobody_took_costs_one_listing_before_its_create() -> None:
    r53 = MemoryRoute53({"Z1": "goldentooth.net"})
    ctl, reporter = controller(r53, [])
    ctl.services = services = StaticServices([])
    assert ctl.run_once()
    r53.calls.clear()
    services.services = [web("10.0.0.1")]

    ctl.sync_services({"service/apps/web"})

    assert (NAME + ".", "A", "") in r53.records["Z1"]
    assert r53.calls == ["list_resource_record_sets", "change_resource_record_sets"]
    assert reporter.latest["service/apps/web"].status == "synced"


def test_a_burst_of_new_names_is_checked_with_one_listing_of_the_zone() -> None:
    """More new names than the zone has pages: one listing of the zone costs fewer calls
    than a listing per name (Route53 answers 5 calls per second per account)."""
    r53 = MemoryRoute53({"Z1": "goldentooth.net"})
    ctl, reporter = controller(r53, [])
    ctl.services = services = StaticServices([])
    assert ctl.run_once()
    put(r53, {**THEIR_AAAA, "Name": "n3.goldentooth.net."})
    r53.calls.clear()
    burst = [service(f"n{i}", {ALPHA + "hostname": f"n{i}.goldentooth.net"},
                     ingress=[{"ip": f"10.0.1.{i}"}]) for i in range(5)]
    services.services = burst

    ctl.sync_services({f"service/apps/n{i}" for i in range(5)})

    assert r53.calls[0] == "list_resource_record_sets"  # the zone, one page
    assert r53.calls.count("list_resource_record_sets") == 1
    assert ("n3.goldentooth.net.", "A", "") not in r53.records["Z1"]
    assert reporter.latest["service/apps/n3"].status == "conflict"
    assert all(reporter.latest[f"service/apps/n{i}"].status == "synced" for i in (0, 1, 2, 4))


def old_format(owner: str) -> dict[str, Any]:
    return {"Name": NAME + ".", "Type": "TXT", "TTL": 300, "ResourceRecords": [
        {"Value": registry.encode({"owner": owner, "resource": "service/apps/web"})}]}


def test_old_format_txt_taken_stops_a_plain_a_becoming_an_alias() -> None:
    """A plain A is read through `a-` alone, an alias through the old format too
    (docs/route53-alias.md): another owner rewriting the old-format TXT between read and
    write would leave the alias nobody's, so the change must not land."""
    r53 = MemoryRoute53({"Z1": "goldentooth.net"})
    ours = old_format("me")  # the test controller's owner id
    put(r53, ours)  # a v0.14-era old-format TXT of ours
    ctl, reporter = controller(r53, [])
    ctl.services = services = StaticServices([web("10.0.0.1")])
    assert ctl.run_once()
    assert r53.records["Z1"][(NAME + ".", "TXT", "")] == ours
    theirs = old_format("another-cluster")
    send = r53.change_resource_record_sets

    def written_between(**request: Any) -> Any:  # the other writer, just before our batch
        put(r53, theirs)
        return send(**request)

    r53.change_resource_record_sets = written_between  # type: ignore[method-assign]
    services.services = [service("web", {ALPHA + "hostname": NAME, ALPHA + "ttl": "60"},
                                 ingress=[{"hostname": "web-0123456789abcdef.elb."
                                                       "eu-central-1.amazonaws.com"}])]

    ctl.sync_services({"service/apps/web"})

    zone = r53.records["Z1"]
    assert zone[(NAME + ".", "A", "")]["ResourceRecords"] == [{"Value": "10.0.0.1"}]
    assert zone[(NAME + ".", "TXT", "")] == theirs
    assert reporter.latest["service/apps/web"].status == "conflict"
