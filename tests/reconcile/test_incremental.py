"""Between resyncs the reconciler works per event: the desired state is updated one Service
(or Ingress) at a time, and a sync reads and plans only the names the event touches. Held
here to what a full recompute gives: after any sequence of Service and Ingress adds, updates
and deletes, the incremental desired state equals `source.desired` over the final objects
and holders, and a full resync of the final objects finds nothing left to change in
Route53."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dnsgate import objectkey, txtname
from dnsgate.domains import DomainFilter
from reconciler import endpoint, metrics, registry, source
from reconciler.desired import DesiredState
from reconciler.endpoint import Endpoint
from reconciler.settings import RegistrySettings, SourceSettings
from tests.reconcile.fakes import MemoryRoute53
from tests.reconcile.test_controller import controller
from tests.reconcile.test_source import ALPHA, service

DOMAINS = DomainFilter.of(["goldentooth.net", "example.org"])
KEYS = [("apps", "a"), ("apps", "b"), ("apps", "c"), ("team", "a"), ("team", "d")]
INGRESS_KEYS = [("apps", "a"), ("team", "e")]  # ingress/apps/a is not service/apps/a
# Few names, so that Services contest them; one outside every zone, one outside the filter.
HOSTNAMES = ["web.goldentooth.net", "api.goldentooth.net", "db.goldentooth.net",
             "app.example.org", "x.elsewhere.test", "*.goldentooth.net", "wild.goldentooth.net"]
# `*.goldentooth.net` and `wild.goldentooth.net` share their ownership TXT names: a claim on
# either contests both.
NAMING = txtname.TXTNaming(wildcard_replacement="wild")


@st.composite
def a_service(draw: st.DrawFn, namespace: str, name: str) -> dict[str, Any]:
    annotations: dict[str, str] = {}
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(HOSTNAMES), min_size=1, max_size=2))
        annotations[ALPHA + "hostname"] = ",".join(names)
        annotations |= draw(st.sampled_from([
            {}, {ALPHA + "ttl": "60"}, {ALPHA + "ttl": "forever"},  # the last: invalid
            {ALPHA + "set-identifier": "blue", ALPHA + "aws-weight": "10"},
            {ALPHA + "set-identifier": "green", ALPHA + "aws-weight": "20"},
        ]))
    ips = draw(st.lists(st.sampled_from(["10.0.0.1", "10.0.0.2", "2001:db8::1"]),
                        max_size=2))
    return service(name, annotations, namespace=namespace,
                   kind=draw(st.sampled_from(["LoadBalancer", "LoadBalancer", "ClusterIP"])),
                   created=draw(st.sampled_from(["2026-01-01T00:00:00Z",
                                                 "2026-01-02T00:00:00Z"])),
                   ingress=[{"ip": ip} for ip in ips])


@st.composite
def an_ingress(draw: st.DrawFn, namespace: str, name: str) -> dict[str, Any]:
    """An Ingress (as the watch cache keeps it) naming hosts in its rules and annotation."""
    hosts = draw(st.lists(st.sampled_from(HOSTNAMES), max_size=2))
    annotations: dict[str, str] = draw(st.sampled_from([
        {}, {ALPHA + "ttl": "60"}, {ALPHA + "ttl": "forever"},
        {ALPHA + "hostname": "api.goldentooth.net"},
        {ALPHA + "set-identifier": "blue", ALPHA + "aws-weight": "10"}]))
    ips = draw(st.lists(st.sampled_from(["10.0.0.3", "2001:db8::3"]), max_size=2))
    return {"kind": "Ingress",
            "metadata": {"namespace": namespace, "name": name, "annotations": annotations,
                         "creationTimestamp": draw(st.sampled_from([
                             "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]))},
            "spec": {"rules": [{"host": host} for host in hosts]},
            "status": {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}}}


@st.composite
def an_event(draw: st.DrawFn) -> tuple[str, dict[str, Any] | None]:
    """(the object's key, the Service or Ingress as it now is, or None: deleted)."""
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        namespace, name = draw(st.sampled_from(INGRESS_KEYS))
        changed = draw(st.one_of(st.none(), an_ingress(namespace, name)))
        return f"ingress/{namespace}/{name}", changed
    namespace, name = draw(st.sampled_from(KEYS))
    changed = draw(st.one_of(st.none(), a_service(namespace, name)))
    return f"service/{namespace}/{name}", changed


def replay(initial: list[tuple[str, dict[str, Any] | None]],
           events: list[tuple[str, dict[str, Any] | None]]
           ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The Services at the start and after the events."""
    start = {key: svc for key, svc in initial if svc is not None}
    now = dict(start)
    for key, changed in events:
        if changed is None:
            now.pop(key, None)
        else:
            now[key] = changed
    return start, now


EVENTS = st.lists(an_event(), max_size=12)
# Who the ownership TXT of a record set names: what landing changes (and a resync) tell.
HOLDERS = st.dictionaries(
    st.tuples(st.sampled_from(HOSTNAMES), st.sampled_from(["", "blue", "green"])),
    st.frozensets(st.sampled_from([f"service/{ns}/{name}" for ns, name in KEYS]
                                  + [f"ingress/{ns}/{name}" for ns, name in INGRESS_KEYS]),
                  max_size=2),
    max_size=3)


@settings(max_examples=300, deadline=None)
@given(initial=EVENTS, held=HOLDERS, events=EVENTS,
       landed=st.lists(st.tuples(st.integers(min_value=0, max_value=12), HOLDERS), max_size=3),
       batch=st.integers(min_value=1, max_value=4))
def test_incremental_desired_state_equals_a_full_recompute(
        initial: list[tuple[str, dict[str, Any] | None]],
        held: dict[tuple[str, str], frozenset[str]],
        events: list[tuple[str, dict[str, Any] | None]],
        landed: list[tuple[int, dict[tuple[str, str], frozenset[str]]]], batch: int) -> None:
    start, final = replay(initial, events)
    state = DesiredState(SourceSettings(DOMAINS), NAMING)
    state.reset(start.values(), held)
    holders = dict(held)
    now = dict(start)
    for i in range(0, len(events) + 1, batch):  # the agenda hands over events in batches
        for key, changed in events[i:i + batch]:
            now.pop(key, None) if changed is None else now.__setitem__(key, changed)
        state.update({key: now.get(key) for key, _ in events[i:i + batch]})
        for _, rows in (change for change in landed if i <= change[0] < i + batch):
            names = {name for name, _ in rows}  # changes landed at these names:
            state.hold(names, rows)  # every row held there now
            holders = {at: h for at, h in holders.items() if at[0] not in names} | rows

    expected = source.desired(final.values(), SourceSettings(DOMAINS), naming=NAMING,
                              holders=holders)
    assert state.whole() == expected
    assert state.held(final) == {s: tuple(sorted(at for at, h in holders.items() if s in h))
                                 for s in final if any(s in h for h in holders.values())}


class Store:
    def __init__(self, services: dict[str, dict[str, Any]]) -> None:
        self.services = dict(services)

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.services.values())

    def get(self, key: str) -> dict[str, Any] | None:
        return self.services.get(key)


WEB = {ALPHA + "hostname": "web.goldentooth.net"}


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(initial=EVENTS, events=EVENTS)
# Found by the search: a Service without an IP still loses its name, and is told so.
@example(initial=[], events=[("service/apps/b", service("b", WEB)),
                             ("service/apps/a", service("a", WEB))])
# Found by the search: a junior Service that loses to a senior one whose record then lands is
# told the reason a resync will give (the ownership record), not the one before it landed.
@example(initial=[], events=[
    ("service/apps/a", service("a", WEB, created="2026-01-02T00:00:00Z")),
    ("service/apps/b", service("b", WEB, created="2026-01-01T00:00:00Z",
                               ingress=[{"ip": "10.0.0.1"}]))])
def test_syncing_each_event_leaves_nothing_for_a_full_resync_to_change(
        initial: list[tuple[str, dict[str, Any] | None]],
        events: list[tuple[str, dict[str, Any] | None]]) -> None:
    start, final = replay(initial, events)
    route53 = MemoryRoute53({"Z1": "goldentooth.net", "Z2": "example.org"})
    store = Store(start)
    ctl, reporter = controller(route53, [])
    ctl.services = store
    ctl.run_once()
    for key, changed in events:
        store.services.pop(key, None) if changed is None else store.services.__setitem__(
            key, changed)
        ctl.sync_services({key})

    # A full resync of the final Services by a fresh reconciler, against the same Route53
    # (who holds a name is history: the holder keeps it), changes nothing and reports the
    # same outcomes.
    landed = copy.deepcopy(route53.records)
    full, full_reporter = controller(route53, list(final.values()))
    full.run_once()
    assert route53.records == landed
    # Every outcome the full sync reports, the events reported last (a Service that stopped
    # asking for names keeps its last outcome: outcomes come only with names or problems).
    for key, outcome in full_reporter.latest.items():
        assert reporter.latest.get(key) == outcome, key
    assert set(reporter.latest) <= {objectkey.of(s) for s in final.values()}  # gone: forgotten


def test_a_service_event_reads_neither_every_service_nor_the_whole_zone() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    web = service("web", {ALPHA + "hostname": "web.goldentooth.net"},
                  ingress=[{"ip": "10.0.0.1"}])
    others = {f"service/apps/other-{i}": service(f"other-{i}", {
        ALPHA + "hostname": f"other-{i}.goldentooth.net"}, ingress=[{"ip": "10.0.1.1"}])
        for i in range(3)}
    store = Store({"service/apps/web": web, **others})
    ctl, _ = controller(route53, [])
    ctl.services = store
    assert ctl.run_once()

    def whole(*_: object) -> None:
        raise AssertionError("a Service event read every Service or the whole zone")

    store.snapshot = whole  # type: ignore[method-assign]
    ctl.zones.records = whole  # type: ignore[method-assign,assignment]
    store.services["service/apps/web"] = service("web", {ALPHA + "hostname": "web.goldentooth.net"},
                                         ingress=[{"ip": "10.0.0.9"}])
    assert ctl.sync_services({"service/apps/web"})

    assert route53.records["Z1"]["web.goldentooth.net.", "A", ""]["ResourceRecords"] == [
        {"Value": "10.0.0.9"}]


def test_an_ingress_event_reads_neither_every_object_nor_the_whole_zone() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})

    def shop(ip: str) -> dict[str, Any]:
        return {"kind": "Ingress", "metadata": {"namespace": "apps", "name": "shop",
                                                "creationTimestamp": "2026-01-01T00:00:00Z"},
                "spec": {"rules": [{"host": "shop.goldentooth.net"}]},
                "status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}

    others = {f"service/apps/other-{i}": service(f"other-{i}", {
        ALPHA + "hostname": f"other-{i}.goldentooth.net"}, ingress=[{"ip": "10.0.1.1"}])
        for i in range(3)}
    store = Store({"ingress/apps/shop": shop("10.0.0.1"), **others})
    ctl, _ = controller(route53, [])
    ctl.services = store
    assert ctl.run_once()

    def whole(*_: object) -> None:
        raise AssertionError("an Ingress event read every object or the whole zone")

    store.snapshot = whole  # type: ignore[method-assign]
    ctl.zones.records = whole  # type: ignore[method-assign,assignment]
    store.services["ingress/apps/shop"] = shop("10.0.0.9")
    assert ctl.sync_services({"ingress/apps/shop"})

    assert route53.records["Z1"]["shop.goldentooth.net.", "A", ""]["ResourceRecords"] == [
        {"Value": "10.0.0.9"}]


# ---- reading part of a zone: the anchors of some names label them as the whole zone does --

ZONE_NAMES = ["web.ex.com", "*.ex.com", "wild.ex.com", "a-web.ex.com", "api.ex.com"]
SETTINGS = [RegistrySettings(owner_id="me"), RegistrySettings(owner_id="me", prefix="txt-"),
            RegistrySettings(owner_id="me", suffix="-%{record_type}"),
            RegistrySettings(owner_id="me", wildcard_replacement="wild")]


@st.composite
def a_zone(draw: st.DrawFn) -> tuple[RegistrySettings, list[Endpoint]]:
    settings = draw(st.sampled_from(SETTINGS))
    found: dict[tuple[str, str, str], Endpoint] = {}
    for name in draw(st.lists(st.sampled_from(ZONE_NAMES), unique=True, max_size=4)):
        kind = draw(st.sampled_from(["A", "AAAA", "CNAME"]))
        target = "lb.elb.example" if kind == "CNAME" else (
            "10.0.0.1" if kind == "A" else "2001:db8::1")
        record = endpoint.make(name, kind, [target])
        found[record.key] = record
        for new_format in draw(st.lists(st.booleans(), unique=True, max_size=2)):
            owner = draw(st.sampled_from(["me", "other"]))
            txt = endpoint.make(
                registry.txt_name(name, kind, settings, new_format=new_format), "TXT",
                [registry.encode({"owner": owner, "resource": "service/apps/web"})])
            found[txt.key] = txt
    return settings, list(found.values())


@settings(max_examples=300, deadline=None)
@given(zone=a_zone(), names=st.lists(st.sampled_from(ZONE_NAMES), min_size=1, max_size=2))
def test_reading_the_anchors_of_some_names_labels_them_as_the_whole_zone(
        zone: tuple[RegistrySettings, list[Endpoint]], names: list[str]) -> None:
    settings, records = zone
    anchor, anchor_of = registry.anchors(settings)
    part = [r for r in records if anchor(r) in {anchor_of(n) for n in names}]

    def labelled(view: registry.View) -> set[tuple[Endpoint, tuple[tuple[str, str], ...]]]:
        return {(e, e.labels) for e in view.endpoints if e.dnsname in names}

    whole, some = registry.read(records, settings), registry.read(part, settings)
    assert labelled(some) == labelled(whole)
    assert {k: v for k, v in some.ownership.items() if k[0] in names} == {
        k: v for k, v in whole.ownership.items() if k[0] in names}


def test_owned_records_metric_follows_the_changes_that_land() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    web = service("web", {ALPHA + "hostname": "web.goldentooth.net"},
                  ingress=[{"ip": "10.0.0.1"}])
    api = service("api", {ALPHA + "hostname": "api.goldentooth.net"},
                  ingress=[{"ip": "2001:db8::1"}])
    store = Store({"service/apps/web": web, "service/apps/api": api})
    ctl, _ = controller(route53, [])
    ctl.services = store

    def owned(record_type: str) -> float | None:
        return metrics.REGISTRY.get_sample_value("dnsgate_reconciler_records",
                                                 {"record_type": record_type})

    assert ctl.run_once()
    assert (owned("A"), owned("AAAA"), owned("TXT")) == (1, 1, 2)  # what landed counts
    del store.services["service/apps/api"]
    assert ctl.sync_services({"service/apps/api"})
    assert (owned("A"), owned("AAAA"), owned("TXT")) == (1, 0, 1)
    assert ctl.run_once()  # a resync counts the zone again, and agrees
    assert (owned("A"), owned("AAAA"), owned("TXT")) == (1, 0, 1)
