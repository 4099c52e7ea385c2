"""What a Gateway API route publishes, read as ExternalDNS's Gateway route sources read it
(docs/gateway-api.md): which hosts its parents give it, where they point, and why a route
gets no record. The oracle comparison (tests/reconcile/test_oracle_gateway.py) holds these
rules to ExternalDNS's own code; these rows name each rule."""

from typing import Any

import pytest

from dnsgate import claims, gateway, objectkey
from dnsgate.domains import DomainFilter
from dnsgate.gateway import GatewaySettings, View

A = "external-dns.alpha.kubernetes.io/"
IP = "192.0.2.10"


def a_gateway(listeners: list[dict[str, Any]] | None = None, *, name: str = "gw",
              namespace: str = "infra", addresses: tuple[str, ...] = (IP,),
              annotations: dict[str, str] | None = None,
              labels: dict[str, str] | None = None) -> dict[str, Any]:
    if listeners is None:
        listeners = [{"name": "http", "port": 80, "protocol": "HTTP",
                      "allowedRoutes": {"namespaces": {"from": "All"}}}]
    return {"kind": "Gateway",
            "metadata": {"name": name, "namespace": namespace,
                         "annotations": annotations or {}, "labels": labels or {}},
            "spec": {"listeners": listeners},
            "status": {"addresses": [{"type": "IPAddress", "value": a} for a in addresses]}}


def a_route(hostnames: tuple[str, ...] = ("app.goldentooth.net",), *, kind: str = "HTTPRoute",
            namespace: str = "shop", parents: list[dict[str, Any]] | None = None,
            accepted: str | None = "True", annotations: dict[str, str] | None = None,
            status_parents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    if parents is None:
        parents = [{"name": "gw", "namespace": "infra"}]
    if status_parents is None:
        conditions = [] if accepted is None else [{"type": "Accepted", "status": accepted}]
        status_parents = [{"parentRef": ref, "conditions": conditions} for ref in parents]
    spec: dict[str, Any] = {"parentRefs": parents}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {"kind": kind,
            "metadata": {"name": "web", "namespace": namespace,
                         "annotations": annotations or {}},
            "spec": spec, "status": {"parents": status_parents}}


def view(*gateways: dict[str, Any], labels: dict[str, dict[str, str]] | None = None) -> View:
    return View({(g["metadata"]["namespace"], g["metadata"]["name"]): g for g in gateways},
                labels or {})


def listener(hostname: str | None = None, *, name: str = "http", protocol: str = "HTTP",
             port: int = 80, allowed: dict[str, Any] | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {"name": name, "port": port, "protocol": protocol,
                            "allowedRoutes": ({"namespaces": {"from": "All"}}
                                              if allowed is None else allowed)}
    if hostname is not None:
        made["hostname"] = hostname
    return made


HOSTS = [
    # (listener hostname, route hostname, host published or None)
    ("", "app.goldentooth.net", "app.goldentooth.net"),
    ("*.goldentooth.net", "app.goldentooth.net", "app.goldentooth.net"),
    ("*.goldentooth.net", "a.b.goldentooth.net", "a.b.goldentooth.net"),
    ("*.goldentooth.net", "goldentooth.net", None),
    ("app.goldentooth.net", "*.goldentooth.net", "app.goldentooth.net"),
    ("app.goldentooth.net", "api.goldentooth.net", None),
    ("App.Goldentooth.NET", "app.goldentooth.net", "app.goldentooth.net"),
    ("*.goldentooth.net", "*.goldentooth.net", "*.goldentooth.net"),
    ("app.goldentooth.net", "", "app.goldentooth.net"),
    ("", "192.0.2.1", None),
    ("", "under_score.goldentooth.net", None),
    # ExternalDNS accepts one trailing dot (its label loop stops there), not two.
    ("", "app.goldentooth.net.", "app.goldentooth.net."),
    ("", "app.goldentooth.net..", None),
    ("", ".", None),
    ("*.goldentooth.net", "app.goldentooth.net.", None),
]


@pytest.mark.parametrize(("listener_host", "route_host", "published"), HOSTS)
def test_a_route_host_overlapping_a_listener_host_publishes_the_more_specific(
        listener_host: str, route_host: str, published: str | None) -> None:
    assert gateway.matching_host(listener_host, route_host) == published


@pytest.mark.parametrize("names", ["app.goldentooth.net.",
                                   "app.goldentooth.net.,app.goldentooth.net"])
def test_a_hostname_annotation_ending_in_a_dot_publishes_the_name_without_it(
        names: str) -> None:
    route = a_route((), kind="TCPRoute", annotations={A + "hostname": names})
    gw = a_gateway([listener(protocol="TCP", port=5432)])

    assert gateway.resolve(route, view(gw)).hosts == (("app.goldentooth.net", (IP,)),)


def test_a_route_accepted_by_a_gateway_points_its_hosts_at_the_gateway_addresses() -> None:
    resolved = gateway.resolve(a_route(), view(a_gateway(addresses=(IP, "192.0.2.11", IP))))
    assert resolved.targets() == {"app.goldentooth.net": ("192.0.2.10", "192.0.2.11")}
    assert resolved.reasons == ()


def test_a_route_without_hostnames_takes_each_matching_listener_hostname() -> None:
    gw = a_gateway([listener("a.goldentooth.net", name="a"),
                    listener("b.goldentooth.net", name="b", protocol="HTTPS", port=443)])
    assert set(gateway.resolve(a_route(()), view(gw)).targets()) == {
        "a.goldentooth.net", "b.goldentooth.net"}


def test_the_target_annotation_of_the_gateway_replaces_its_addresses() -> None:
    gw = a_gateway(annotations={A + "target": "lb.example.com., 192.0.2.99"})
    assert gateway.resolve(a_route(), view(gw)).targets() == {
        "app.goldentooth.net": ("192.0.2.99", "lb.example.com")}


def test_a_target_annotation_on_the_route_itself_changes_nothing() -> None:
    route = a_route(annotations={A + "target": "192.0.2.99"})
    assert gateway.resolve(route, view(a_gateway())).targets() == {
        "app.goldentooth.net": (IP,)}


SELECTED = [
    ("annotation-only", ("spec.goldentooth.net",), {"note.goldentooth.net"}),
    ("defined-hosts-only", ("spec.goldentooth.net",), {"spec.goldentooth.net"}),
    ("Annotation-Only", ("spec.goldentooth.net",), {"note.goldentooth.net"}),
    ("bogus", ("spec.goldentooth.net",), {"spec.goldentooth.net", "note.goldentooth.net"}),
    (None, ("spec.goldentooth.net",), {"spec.goldentooth.net", "note.goldentooth.net"}),
]


@pytest.mark.parametrize(("source", "hostnames", "published"), SELECTED)
def test_the_hostname_source_annotation_chooses_spec_or_annotation_names(
        source: str | None, hostnames: tuple[str, ...], published: set[str]) -> None:
    notes = {A + "hostname": "note.goldentooth.net"}
    if source is not None:
        notes[A + "gateway-hostname-source"] = source
    resolved = gateway.resolve(a_route(hostnames, annotations=notes), view(a_gateway()))
    assert set(resolved.targets()) == published


def test_a_tcp_route_is_named_by_its_annotation_and_fits_a_tls_listener() -> None:
    gw = a_gateway([listener(name="tls", protocol="TLS", port=443)])
    route = a_route(("ignored.goldentooth.net",), kind="TCPRoute",
                    annotations={A + "hostname": "db.goldentooth.net"})
    assert gateway.resolve(route, view(gw)).targets() == {"db.goldentooth.net": (IP,)}
    bare = a_route((), kind="TCPRoute")
    assert gateway.resolve(bare, view(gw)).hosts == ()


ALLOWED = [
    ({"namespaces": {"from": "Same"}}, {}, False),
    ({}, {}, False),
    ({"namespaces": {"from": "All"}}, {}, True),
    ({"namespaces": {"from": "Selector", "selector": {"matchLabels": {"team": "shop"}}}},
     {"shop": {"team": "shop"}}, True),
    ({"namespaces": {"from": "Selector", "selector": {"matchLabels": {"team": "shop"}}}},
     {"shop": {"team": "blog"}}, False),
    ({"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
        {"key": "team", "operator": "Exists"}]}}}, {"shop": {"team": "x"}}, True),
    ({"namespaces": {"from": "Selector"}}, {"shop": {}}, False),
    ({"namespaces": {"from": "Selector", "selector": {}}}, {"shop": {}}, True),
    ({"namespaces": {"from": "Selector", "selector": {}}}, {}, False),
    ({"namespaces": {"from": "All"}, "kinds": [{"kind": "GRPCRoute"}]}, {}, False),
    ({"namespaces": {"from": "All"}, "kinds": [{"kind": "HTTPRoute"}]}, {}, True),
]


@pytest.mark.parametrize(("allowed", "namespaces", "published"), ALLOWED)
def test_a_listener_publishes_only_routes_its_allowed_routes_admit(
        allowed: dict[str, Any], namespaces: dict[str, dict[str, str]], published: bool) -> None:
    gw = a_gateway([listener(allowed=allowed)])
    resolved = gateway.resolve(a_route(), view(gw, labels=namespaces))
    assert bool(resolved.hosts) is published
    assert bool(resolved.reasons) is not published


REASONS = [
    (a_route(parents=[]), "names no parent Gateway"),
    (a_route(status_parents=[]), "status.parents is empty"),
    (a_route(accepted="False"), "has not accepted it"),
    (a_route(accepted=None), "has not accepted it"),
    (a_route(parents=[{"name": "other", "namespace": "infra"}]), "not one dnsgate watches"),
    (a_route(parents=[{"name": "gw", "namespace": "infra", "sectionName": "grpc"}]),
     "no listener named 'grpc'"),
    (a_route(("api.example.org",)), "matches the HTTPRoute's hostnames api.example.org"),
    (a_route(parents=[{"name": "gw", "namespace": "infra", "kind": "ListenerSet"}]),
     "is not a Gateway"),
    (a_route(annotations={A + "controller": "other"}), "controller annotation is 'other'"),
    # Moved to another Gateway: the status still has only the old one's entry.
    (a_route(parents=[{"name": "next", "namespace": "infra"}],
             status_parents=[{"parentRef": {"name": "gw", "namespace": "infra"},
                              "conditions": [{"type": "Accepted", "status": "True"}]}]),
     "Gateway infra/next has not accepted it yet"),
]


@pytest.mark.parametrize(("route", "reason"), REASONS)
def test_a_route_that_gets_no_record_says_why(route: dict[str, Any], reason: str) -> None:
    gw = a_gateway([listener("*.goldentooth.net")])
    resolved = gateway.resolve(route, view(gw))
    assert resolved.hosts == ()
    assert any(reason in each for each in resolved.reasons), resolved.reasons


def test_a_gateway_without_an_address_is_named_as_the_reason() -> None:
    resolved = gateway.resolve(a_route(), view(a_gateway(addresses=())))
    assert resolved.hosts == ()
    assert "no address yet" in resolved.reasons[0]


def test_a_status_parent_the_spec_no_longer_names_gives_nothing() -> None:
    route = a_route(parents=[{"name": "gw", "namespace": "infra"}], status_parents=[
        {"parentRef": {"name": "old", "namespace": "infra"},
         "conditions": [{"type": "Accepted", "status": "True"}]}])
    old = a_gateway(name="old", addresses=("192.0.2.77",))
    assert gateway.resolve(route, view(a_gateway(), old)).hosts == ()


SETTINGS = [
    (GatewaySettings(name="gw"), True),
    (GatewaySettings(name="other"), False),
    (GatewaySettings(namespace="infra"), True),
    (GatewaySettings(namespace="elsewhere"), False),
    (GatewaySettings(label_filter="tier=edge"), True),
    (GatewaySettings(label_filter="tier=core"), False),
]


@pytest.mark.parametrize(("settings", "published"), SETTINGS)
def test_the_gateway_flags_choose_which_gateways_attach_routes(
        settings: GatewaySettings, published: bool) -> None:
    gw = a_gateway(labels={"tier": "edge"})
    assert bool(gateway.resolve(a_route(), view(gw), settings).hosts) is published


def test_a_port_on_the_parent_ref_picks_the_listener_of_that_port() -> None:
    gw = a_gateway([listener("a.goldentooth.net", name="a", port=80),
                    listener("b.goldentooth.net", name="b", port=8080)])
    route = a_route((), parents=[{"name": "gw", "namespace": "infra", "port": 8080}])
    assert set(gateway.resolve(route, view(gw)).targets()) == {"b.goldentooth.net"}


def test_parent_gateways_are_the_gateways_the_spec_names() -> None:
    route = a_route(parents=[{"name": "gw"}, {"name": "edge", "namespace": "infra"},
                             {"name": "ls", "kind": "ListenerSet"}])
    assert gateway.parent_gateways(route) == {("shop", "gw"), ("infra", "edge")}


def test_route_keys_carry_their_kind() -> None:
    route = gateway.slim_route(a_route(), "GRPCRoute")
    assert objectkey.of(route) == "grpcroute/shop/web"
    assert objectkey.describe("tcproute/shop/db") == "TCPRoute shop/db"
    assert gateway.kind_of_source("gateway-udproute") is objectkey.UDPROUTE


def test_the_slim_copies_keep_what_resolving_reads() -> None:
    gw, route = a_gateway([listener("*.goldentooth.net")]), a_route()
    slim = view(gateway.slim_gateway(gw))
    assert gateway.resolve(gateway.slim_route(route, "HTTPRoute"), slim) == gateway.resolve(
        route, view(gw))


DOMAINS = DomainFilter.of(["goldentooth.net"], [])


def resolved(route: dict[str, Any], *gateways: dict[str, Any]) -> dict[str, Any]:
    return gateway.with_resolution(route, view(*(gateways or (a_gateway(),))))


def test_a_resolved_route_asks_for_the_hosts_its_gateways_give_it() -> None:
    gw = a_gateway([listener("shop.goldentooth.net")])
    parsed = gateway.parse(resolved(a_route(()), gw), DOMAINS)
    assert parsed.dns is not None and parsed.dns.hostnames == ("shop.goldentooth.net",)
    assert gateway.addresses(resolved(a_route(()), gw)) == (IP,)


def test_a_route_never_resolved_asks_for_its_own_names() -> None:
    route = a_route(("app.goldentooth.net",),
                    annotations={A + "hostname": "extra.goldentooth.net", A + "ttl": "120"})
    parsed = gateway.parse(route, DOMAINS)
    assert parsed.dns is not None
    assert parsed.dns.hostnames == ("app.goldentooth.net", "extra.goldentooth.net")
    assert parsed.dns.ttl == 120


REFUSED = [
    ({A + "target": "192.0.2.1"}, "put it on the Gateway"),
    ({A + "internal-hostname": "in.goldentooth.net"}, "applies to Services only"),
    ({A + "gateway-hostname-source": "both"}, "is neither annotation-only nor"),
    ({A + "hostname": "app.example.org"}, "example.org"),
    ({A + "ttl": "soon"}, "ttl"),
]


@pytest.mark.parametrize(("notes", "said"), REFUSED)
def test_what_a_route_may_not_ask_for_is_refused_naming_the_annotation(
        notes: dict[str, str], said: str) -> None:
    parsed = gateway.parse(a_route(annotations=notes), DOMAINS)
    assert parsed.dns is None
    assert any(said in str(problem) for problem in parsed.problems), parsed.problems


def test_a_spec_hostname_outside_the_domain_filter_is_left_out_silently() -> None:
    parsed = gateway.parse(a_route(("app.goldentooth.net", "app.example.org")), DOMAINS)
    assert parsed.dns is not None and parsed.dns.hostnames == ("app.goldentooth.net",)
    assert parsed.problems == ()


def test_a_route_and_a_service_contest_one_name_under_one_rule() -> None:
    route = resolved(a_route(("app.goldentooth.net",)))
    route["metadata"]["creationTimestamp"] = "2024-01-02T00:00:00Z"
    service = {"metadata": {"namespace": "shop", "name": "web",
                            "creationTimestamp": "2024-01-01T00:00:00Z",
                            "annotations": {A + "hostname": "app.goldentooth.net"}},
               "spec": {"type": "LoadBalancer"},
               "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.50"}]}}}
    made = [c for obj in (route, service)
            for c in claims.of_service(obj, claims.parse(obj, DOMAINS))]
    kept, lost = claims.winners(made)
    assert [c.service for c in kept] == ["service/shop/web"]
    assert [(loser.service, holder.service) for loser, holder in lost] == [
        ("httproute/shop/web", "service/shop/web")]
    holding = [claims.Claim(c.created, c.service, c.hostname, holds=c.service.startswith("http"))
               for c in made]
    assert [c.service for c in claims.winners(holding)[0]] == ["httproute/shop/web"]


def test_a_route_asking_for_thousands_of_names_checks_each_name_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A tenant's hostname annotation may name thousands of hosts, each matched against each
    of a Gateway's (up to 64) listeners on every resolve: a name is parsed once, not once per
    listener, so one route cannot hold up the reconciler (the work is counted, not timed)."""
    names = ",".join(f"h{i}.goldentooth.net" for i in range(2000))
    gw = a_gateway([listener("*.goldentooth.net", name=f"l{i}") for i in range(64)])
    route = a_route((), annotations={A + "hostname": names})
    checked: list[str] = []
    check = gateway._dns1123_domain
    monkeypatch.setattr(gateway, "_dns1123_domain",
                        lambda text: checked.append(text) or check(text))
    getattr(gateway._canonical, "cache_clear", lambda: None)()  # names met by earlier tests

    resolved = gateway.resolve(route, view(gw))

    assert len(resolved.hosts) == 2001  # and the listeners' own *.goldentooth.net
    assert len(checked) <= 2001 + 64


def test_a_route_moved_to_a_gateway_yet_to_accept_it_still_speaks_for_its_records() -> None:
    """Its old Gateway's entry is passed over and the new one has none yet: no setting left
    it without a host, so its records go as a detached route's (docs/deletes.md)."""
    moved = a_route(parents=[{"name": "next", "namespace": "infra"}],
                    status_parents=[{"parentRef": {"name": "gw", "namespace": "infra"},
                                     "conditions": [{"type": "Accepted", "status": "True"}]}])
    gws = view(a_gateway(), a_gateway(name="next"))

    resolved = gateway.resolve(moved, gws)

    assert resolved.hosts == ()
    assert not resolved.unwatched


def test_a_hostname_annotation_of_commas_costs_one_name_not_one_per_comma(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`annotation-only` keeps empty entries ("the listeners' hostnames"), and the door
    lets an annotation of commas through (it names no host): matched once per entry on
    each of 64 listeners, 200,000 commas held a resolution for minutes in the reconciler
    and every webhook worker. Each name is matched once: ExternalDNS's hosts (it dedupes the
    targets a repeated name adds). The work is counted, not timed."""
    listeners = [listener(f"h{i}.goldentooth.net", name=f"l{i}") for i in range(64)]
    route = a_route((), annotations={A + "hostname": "," * 20_000,
                                     A + "gateway-hostname-source": "annotation-only"})
    matched: list[str] = []
    match = gateway.matching_host
    monkeypatch.setattr(gateway, "matching_host",
                        lambda listener_host, name: matched.append(name) or match(
                            listener_host, name))

    resolved = gateway.resolve(route, view(a_gateway(listeners)))

    assert len(resolved.hosts) == 64
    assert len(matched) == 64



def test_only_gateways_the_flags_leave_out_make_a_route_unwatched() -> None:
    """A route speaks for its records unless only the Gateway flags leave it hostless
    (docs/deletes.md): a matched Gateway without an address is no setting's doing."""
    gw = a_gateway(labels={"tier": "edge"})
    assert gateway.resolve(a_route(), view(gw), GatewaySettings(name="other")).unwatched
    assert not gateway.resolve(a_route(), view(a_gateway(addresses=()))).unwatched
    assert not gateway.resolve(a_route(accepted="False"), view(gw)).unwatched
