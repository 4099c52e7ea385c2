"""Gateway API routes -> desired record sets (pure): per host, the targets of the Gateways
that gave it; the route's own annotations; the reasons a route gets no record; one claim
rule with Services."""

from __future__ import annotations

from typing import Any

from dnsgate import claims, gateway
from dnsgate.domains import DomainFilter
from reconciler import endpoint, report, source
from reconciler.settings import SourceSettings
from tests.unit.test_gateway import A, a_gateway, a_route, listener, view

SETTINGS = SourceSettings(DomainFilter.of(["goldentooth.net"]), sources=("gateway-httproute",))


def resolved(route: dict[str, Any], *gateways: dict[str, Any]) -> dict[str, Any]:
    return gateway.with_resolution(route, view(*gateways))


def records(route: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...], int]]:
    return [(e.dnsname, e.record_type, e.targets, e.ttl)
            for e in source.records(route, SETTINGS).endpoints]


def test_each_host_points_at_the_gateways_that_gave_it() -> None:
    public = a_gateway([listener("app.goldentooth.net")], name="public",
                       addresses=("192.0.2.1",))
    internal = a_gateway([listener("api.goldentooth.net")], name="internal",
                         addresses=("lb.example.net",))
    route = a_route(("app.goldentooth.net", "api.goldentooth.net"),
                    parents=[{"name": "public", "namespace": "infra"},
                             {"name": "internal", "namespace": "infra"}],
                    annotations={A + "ttl": "120"})

    assert sorted(records(resolved(route, public, internal))) == [
        ("api.goldentooth.net", "CNAME", ("lb.example.net",), 120),
        ("app.goldentooth.net", "A", ("192.0.2.1",), 120)]


def test_a_route_record_is_labelled_with_the_route_resource() -> None:
    found = source.records(resolved(a_route(), a_gateway()), SETTINGS)
    assert {e.label(endpoint.RESOURCE) for e in found.endpoints} == {"httproute/shop/web"}


def test_the_set_identifier_and_routing_annotations_of_the_route_apply() -> None:
    route = a_route(annotations={A + "set-identifier": "blue", A + "aws-weight": "10"})
    found = source.records(resolved(route, a_gateway()), SETTINGS)
    assert [(e.set_identifier, dict(e.properties).get(endpoint.WEIGHT))
            for e in found.endpoints] == [
        ("blue", "10")]


def test_a_detached_route_publishes_nothing_and_says_why() -> None:
    route = resolved(a_route(accepted="False"), a_gateway())
    found = source.records(route, SETTINGS)

    assert found.endpoints == () and found.problems == ()
    assert found.publishes  # it speaks for its records: the delete guard may delete them
    assert found.unresolved == (
        "Gateway infra/gw has not accepted it (status.parents: condition Accepted is not "
        "True)",)
    outcome, = report.outcomes(source.desired([route], SETTINGS), names=None,
                               touched={"httproute/shop/web"}, failed={}, skipped={},
                               dry_run=False)
    assert (outcome.status, outcome.message) == ("no-record", found.unresolved[0])


def test_a_published_route_with_one_parent_missing_is_reported_synced() -> None:
    route = a_route(parents=[{"name": "gw", "namespace": "infra"},
                             {"name": "gone", "namespace": "infra"}])
    desired = source.desired([resolved(route, a_gateway())], SETTINGS)
    outcome, = report.outcomes(desired, names=None, touched={"httproute/shop/web"},
                               failed={}, skipped={}, dry_run=False)
    assert outcome.status == "synced"


def test_a_name_a_service_holds_is_not_taken_by_a_route() -> None:
    service = {"metadata": {"name": "httpbin", "namespace": "httpbin",
                            "creationTimestamp": "2026-02-01T00:00:00Z",
                            "annotations": {A + "hostname": "app.goldentooth.net"}},
               "spec": {"type": "LoadBalancer"},
               "status": {"loadBalancer": {"ingress": [{"ip": "10.4.11.60"}]}}}
    route = resolved(a_route(), a_gateway())
    route["metadata"]["creationTimestamp"] = "2025-01-01T00:00:00Z"  # the senior claim
    held = {claims.row("app.goldentooth.net", None): frozenset({"service/httpbin/httpbin"})}

    desired = source.desired([service, route], SETTINGS, holders=held)

    assert [e.label(endpoint.RESOURCE) for e in desired.endpoints] == [
        "service/httpbin/httpbin"]
    assert [(c.service, c.holder, c.holds) for c in desired.conflicts] == [
        ("httproute/shop/web", "service/httpbin/httpbin", True)]


def test_a_host_whose_gateways_mix_addresses_and_hostnames_makes_the_route_invalid() -> None:
    one = a_gateway(name="one", addresses=("192.0.2.1",))
    two = a_gateway(name="two", addresses=("lb.example.net",))
    route = a_route(parents=[{"name": "one", "namespace": "infra"},
                             {"name": "two", "namespace": "infra"}])
    found = source.records(resolved(route, one, two), SETTINGS)
    assert found.endpoints == ()
    assert len(found.problems) == 1
    assert found.problems[0].startswith("app.goldentooth.net: the targets mix IP addresses "
                                        "(192.0.2.1) and hostnames (lb.example.net)")


def test_a_route_the_gateway_flags_leave_without_a_host_does_not_speak_for_its_records(
        ) -> None:
    """Narrower --gateway-* flags at start silence a route as a narrower --domain-filter
    silences a Service: its records are held, unless this process saw it stop publishing;
    a route its Gateway detached (not accepted) speaks, and its records go."""
    from reconciler.witness import Witness

    outside = gateway.with_resolution(a_route(), view(a_gateway()),
                                      gateway.GatewaySettings(namespace="elsewhere"))
    detached = resolved(a_route(accepted="False"), a_gateway())
    silenced, rejected = (source.records(r, SETTINGS) for r in (outside, detached))
    assert not silenced.publishes and rejected.publishes
    assert silenced.unresolved and "is not one dnsgate watches" in silenced.unresolved[0]

    witness = Witness(("gateway-httproute",), lambda key: True)
    assert not witness.verdicts(["httproute/shop/web"], lambda key: silenced)[
        "httproute/shop/web"].seen
    assert witness.verdicts(["httproute/shop/web"], lambda key: rejected)[
        "httproute/shop/web"].seen
    published = source.records(resolved(a_route(), a_gateway()), SETTINGS)
    witness.observe({"httproute/shop/web": published}, lambda key: silenced)
    assert witness.verdicts(["httproute/shop/web"], lambda key: silenced)[
        "httproute/shop/web"].seen  # its Gateway left while dnsgate ran: a change seen


def test_two_tenants_routes_on_different_gateways_asking_for_one_name_the_senior_keeps_it(
        ) -> None:
    def tenant(namespace: str, created: str, on: str) -> dict[str, Any]:
        route = a_route(namespace=namespace, parents=[{"name": on, "namespace": "infra"}])
        route["metadata"]["creationTimestamp"] = created
        return resolved(route, a_gateway(name="gw"), a_gateway(name="other",
                                                               addresses=("192.0.2.99",)))

    desired = source.desired([tenant("late", "2026-03-01T00:00:00Z", "other"),
                              tenant("early", "2026-01-01T00:00:00Z", "gw")], SETTINGS)
    assert [e.label(endpoint.RESOURCE) for e in desired.endpoints] == [
        "httproute/early/web"]
    outcome = next(o for o in report.outcomes(desired, names=None, touched=set(), failed={},
                                              skipped={}, dry_run=False)
                   if o.service == "httproute/late/web")
    assert (outcome.status, outcome.message) == (
        "conflict", "app.goldentooth.net is held by HTTPRoute early/web: it is the senior "
                    "claim")


def test_routes_on_the_same_gateway_serve_one_host_together_without_a_conflict() -> None:
    """A host split across routes by path: one record set (the senior's, the same targets),
    and no route told its name is taken; when the senior goes, the next one publishes."""
    def part(name: str, created: str) -> dict[str, Any]:
        route = a_route()
        route["metadata"].update(name=name, creationTimestamp=created)
        return resolved(route, a_gateway())

    api, web = part("api", "2026-01-01T00:00:00Z"), part("web", "2026-03-01T00:00:00Z")
    desired = source.desired([web, api], SETTINGS)

    assert [(e.dnsname, e.targets, e.label(endpoint.RESOURCE)) for e in desired.endpoints] == [
        ("app.goldentooth.net", ("192.0.2.10",), "httproute/shop/api")]
    assert desired.conflicts == ()
    outcome = next(o for o in report.outcomes(desired, names=None, touched=set(), failed={},
                                              skipped={}, dry_run=False)
                   if o.service == "httproute/shop/web")
    assert outcome.status != "conflict"
    assert [e.label(endpoint.RESOURCE) for e in source.desired([web], SETTINGS).endpoints] == [
        "httproute/shop/web"]


def test_routes_on_one_gateway_with_different_ttls_still_contest_the_host() -> None:
    early, late = a_route(annotations={A + "ttl": "60"}), a_route(annotations={A + "ttl": "300"})
    early["metadata"].update(name="api", creationTimestamp="2026-01-01T00:00:00Z")
    late["metadata"].update(name="web", creationTimestamp="2026-03-01T00:00:00Z")
    desired = source.desired([resolved(late, a_gateway()), resolved(early, a_gateway())],
                             SETTINGS)
    assert [c.service for c in desired.conflicts] == ["httproute/shop/web"]
