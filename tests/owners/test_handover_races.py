"""The hand-over against a zone that moves under it: the old owner rewrites its TXT (or its
record) between dnsgate's read and its write. Every taken group is conditional on what was
read, so Route53 refuses it and the other owner's write stands. Through the in-memory
Route53 (`devstack.memroute53`), which refuses a DELETE that does not match as Route53 does."""

from __future__ import annotations

import io
from typing import Any

import pytest

from reconciler import handover, registry
from tests.reconcile.fakes import MemoryRoute53
from tests.reconcile.test_controller import controller
from tests.reconcile.test_source import ALPHA, service

NAME = "web.goldentooth.net"
OLD = "cluster-old"


def rrset(name: str, kind: str, value: str, ttl: int = 300) -> dict[str, Any]:
    return {"Name": name + ".", "Type": kind, "TTL": ttl, "ResourceRecords": [{"Value": value}]}


OLD_TXT = rrset("a-" + NAME, "TXT", registry.encode({"owner": OLD,
                                                     "resource": "service/apps/web"}))
OLD_A = rrset(NAME, "A", "10.0.0.1", 60)


class MovingRoute53(MemoryRoute53):
    """Writes `moved` into the zone just before dnsgate's first change call."""

    def __init__(self, moved: dict[str, Any]) -> None:
        super().__init__({"Z1": "goldentooth.net"})
        self.moved: dict[str, Any] | None = moved

    def change_resource_record_sets(self, **kwargs: Any) -> Any:
        if self.moved is not None:
            rrset_ = self.moved
            self.records["Z1"][(rrset_["Name"], rrset_["Type"], "")] = rrset_
            self.moved = None
        return super().change_resource_record_sets(**kwargs)


@pytest.mark.parametrize("moved", [
    rrset("a-" + NAME, "TXT", registry.encode({"owner": OLD, "resource": "service/apps/web2"})),
    rrset(NAME, "A", "10.0.0.7", 60),
], ids=["old-owner-rewrote-its-txt", "old-owner-moved-its-record"])
def test_a_zone_moved_since_the_read_refuses_the_hand_over(moved: dict[str, Any]) -> None:
    r53 = MovingRoute53(moved)
    for record in (OLD_A, OLD_TXT):
        r53.records["Z1"][(record["Name"], record["Type"], "")] = record
    web = service("web", {ALPHA + "hostname": NAME, ALPHA + "ttl": "60"},
                  ingress=[{"ip": "10.0.0.1"}])
    ctl, _ = controller(r53, [web])
    out = io.StringIO()

    ok = handover.run(ctl, OLD, out)

    assert not ok
    assert "not taken: web.goldentooth.net" in out.getvalue()
    assert r53.records["Z1"][(moved["Name"], moved["Type"], "")] == moved


def test_an_unmoved_zone_hands_over() -> None:
    r53 = MemoryRoute53({"Z1": "goldentooth.net"})
    for record in (OLD_A, OLD_TXT):
        r53.records["Z1"][(record["Name"], record["Type"], "")] = record
    web = service("web", {ALPHA + "hostname": NAME, ALPHA + "ttl": "60"},
                  ingress=[{"ip": "10.0.0.1"}])
    ctl, _ = controller(r53, [web])

    assert handover.run(ctl, OLD, io.StringIO())
    assert r53.records["Z1"][("a-" + NAME + ".", "TXT", "")]["ResourceRecords"] == [
        {"Value": registry.encode({"owner": "me", "resource": "service/apps/web"})}]
    assert r53.records["Z1"][(NAME + ".", "A", "")] == OLD_A
