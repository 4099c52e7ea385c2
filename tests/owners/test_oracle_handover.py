"""The hand-over's decisions against ExternalDNS v0.23.0's own `--migrate-from-txt-owner`
(devstack/oracle: its TXT registry and plan, with the plan's OldOwnerID as its controller
sets it). Where ExternalDNS is right they agree: the records it re-owns are those dnsgate
takes, with the same new TXT. Where it is wrong (docs/owners.md) the difference is pinned, so
a release that fixes it shows here: it deletes OLD's records of objects absent here (its
issue 5993), and re-owns nothing when no record changes but the owner (its issue 6671)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack import oracle
from dnsgate.domains import DomainFilter
from reconciler import endpoint, handover, registry
from reconciler.endpoint import Endpoint
from reconciler.settings import RegistrySettings

pytestmark = pytest.mark.e2e

ZONE = "goldentooth.net"
OLD, OURS = "cluster-old", "cluster-new"
SETTINGS = RegistrySettings(owner_id=OURS)


def txt(owner: str, resource: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"'


def owned(name: str, ip: str, owner: str, resource: str) -> list[Endpoint]:
    return [endpoint.make(f"{name}.{ZONE}", "A", [ip], ttl=300),
            endpoint.make(f"a-{name}.{ZONE}", "TXT", [txt(owner, resource)], ttl=300)]


def wanted(name: str, ip: str, resource: str) -> Endpoint:
    return endpoint.make(f"{name}.{ZONE}", "A", [ip], ttl=300,
                         labels={endpoint.RESOURCE: resource})


WEB_SAME = owned("web", "10.0.0.1", OLD, "service/shop/web")
API_MOVED = owned("api", "10.0.0.9", OLD, "service/shop/api")
GONE = owned("gone", "10.0.0.4", OLD, "service/elsewhere/gone")
THIRD = owned("third", "10.0.0.5", "cluster-c", "service/shop/third")
HERE = [wanted("web", "10.0.0.1", "service/shop/web"),
        wanted("api", "10.0.0.2", "service/shop/api"),
        wanted("third", "10.0.0.5", "service/shop/third")]


@pytest.fixture(scope="module")
def latest() -> Iterator[oracle.Oracle]:
    with oracle.Oracle(oracle.LATEST) as running:
        yield running


def ask(external_dns: oracle.Oracle, zone: list[Endpoint], desired: list[Endpoint]
        ) -> dict[str, Any]:
    def as_json(r: Endpoint) -> dict[str, Any]:
        return {"name": r.dnsname, "type": r.record_type, "targets": list(r.targets),
                "ttl": r.ttl, "resource": r.label(endpoint.RESOURCE) or ""}

    return external_dns.ask({"zone": [as_json(r) for r in zone],
                             "desired": [as_json(r) for r in desired],
                             "registry": {"owner_id": OURS, "old_owner_id": OLD},
                             "policy": "sync"})


def taken(zone: list[Endpoint], desired: list[Endpoint]) -> dict[str, str]:
    """Record name -> the value of the TXT dnsgate writes for it, for each record taken."""
    view = registry.read(zone, SETTINGS)
    decisions = handover.decide(view, desired, old_owner=OLD,
                                domains=DomainFilter.of([ZONE]),
                                present=lambda key: key.startswith("service/shop/"),
                                settings=SETTINGS)
    groups = handover.changes(decisions, view, old_owner=OLD, settings=SETTINGS)
    return {c.record.dnsname: c.record.targets[0] for g in groups for c in g.changes
            if c.action == "CREATE" and c.record.record_type == "TXT"}


def reowned(answer: dict[str, Any]) -> dict[str, str]:
    """Record name -> the TXT value ExternalDNS writes for it, for each record it updates."""
    assert not answer.get("error"), answer
    txts = {r["labels"]["ownedRecord"]: r["targets"][0] for r in answer["update_new"]
            if r["type"] == "TXT"}
    return {r["name"]: txts[r["name"]] for r in answer["update_new"] if r["type"] == "A"}


def test_the_records_both_take_and_the_txt_they_write_agree(latest: oracle.Oracle) -> None:
    zone = [*WEB_SAME, *API_MOVED, *GONE, *THIRD]

    ours = taken(zone, HERE)
    theirs = reowned(ask(latest, zone, HERE))

    assert set(ours) == {f"a-web.{ZONE}", f"a-api.{ZONE}"}
    assert {f"a-{name}" for name in theirs} == set(ours)
    assert {f"a-{name}": value for name, value in theirs.items()} == ours


def test_external_dns_deletes_old_owners_records_of_objects_absent_here(
        latest: oracle.Oracle) -> None:
    """ExternalDNS issue 5993, pinned: dnsgate leaves gone.goldentooth.net."""
    zone = [*WEB_SAME, *API_MOVED, *GONE, *THIRD]

    answer = ask(latest, zone, HERE)

    assert {(r["name"], r["type"]) for r in answer["delete"]} == {
        (f"gone.{ZONE}", "A"), (f"a-gone.{ZONE}", "TXT")}
    assert f"a-gone.{ZONE}" not in taken(zone, HERE)


def test_external_dns_reowns_nothing_when_only_the_owner_would_change(
        latest: oracle.Oracle) -> None:
    """ExternalDNS issue 6671, pinned: its plan's update pairs are alike once the registry
    has relabelled the records, so nothing is sent; dnsgate rewrites the TXT."""
    answer = ask(latest, list(WEB_SAME), HERE[:1])

    assert not (answer["create"] or answer["update_new"] or answer["delete"])
    assert taken(list(WEB_SAME), HERE[:1]) == {
        f"a-web.{ZONE}": txt(OURS, "service/shop/web")}
