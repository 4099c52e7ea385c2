"""The pure review of Gateway API routes (the claim index is the `FakeLookup` seam): the
Service rules on a route's annotations, the route-only refusals, the one claim rule across
Services, Ingresses and routes, the default TTL, and the kinds left alone."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from dnsgate import domainpolicy, gateway, owners
from dnsgate.claims import Claim
from dnsgate.domainpolicy import Enforcement
from dnsgate.publication import Scope
from tests.admission.conftest import SETTINGS, FakeLookup
from webhook import review

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
NAME = "shop.goldentooth.net"
OLD = "2024-01-01T00:00:00Z"
ROUTES = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
ON = replace(SETTINGS, route_kinds=ROUTES)
SERVICE_CLAIM = Claim(OLD, "service/web/svc", NAME)
INGRESS_CLAIM = Claim(OLD, "ingress/web/ing", NAME)
ROUTE_CLAIM = Claim(OLD, "httproute/other/web", NAME)
GROUP = "gateway.networking.k8s.io"
VERSIONS = {"HTTPRoute": "v1", "GRPCRoute": "v1", "TLSRoute": "v1", "TCPRoute": "v1alpha2",
            "UDPRoute": "v1alpha2"}
SHARE = ("different set-identifier annotations to share it through Route53 weighted or "
         "failover routing")


def a_route(hosts: tuple[str, ...] = (NAME,), annotations: dict[str, str] | None = None,
            kind: str = "HTTPRoute", namespace: str = "shop") -> dict[str, Any]:
    spec: dict[str, Any] = {"parentRefs": [{"name": "public", "namespace": "gw"}]}
    if hosts:
        spec["hostnames"] = list(hosts)
    return {"apiVersion": f"{GROUP}/{VERSIONS[kind]}", "kind": kind,
            "metadata": {"namespace": namespace, "name": "web",
                         "annotations": annotations or {}},
            "spec": spec}


def request(obj: dict[str, Any], operation: str = "CREATE",
            old: dict[str, Any] | None = None) -> Any:
    kind = obj["kind"]
    return {"uid": "u", "kind": {"group": GROUP, "version": VERSIONS[kind], "kind": kind},
            "operation": operation, "namespace": obj["metadata"]["namespace"],
            "name": obj["metadata"]["name"], "object": obj, "oldObject": old}


@pytest.mark.parametrize(("obj", "claims_", "allowed", "message"), [
    (a_route(), (), True, ""),
    (a_route(), (SERVICE_CLAIM,), False,
     f'spec.hostnames: "{NAME}" is already claimed by Service web/svc; choose another '
     f"hostname, or give both the Service and the HTTPRoute {SHARE}"),
    (a_route(), (INGRESS_CLAIM,), False,
     f'spec.hostnames: "{NAME}" is already claimed by Ingress web/ing; choose another '
     f"hostname, or give both the Ingress and the HTTPRoute {SHARE}"),
    (a_route(), (ROUTE_CLAIM,), False,
     f'spec.hostnames: "{NAME}" is already claimed by HTTPRoute other/web; choose another '
     f"hostname, or give both HTTPRoutes {SHARE}"),
    (a_route(("free.goldentooth.net",), {A + "hostname": NAME}), (SERVICE_CLAIM,), False,
     f'{A}hostname: "{NAME}" is already claimed by Service web/svc'),
    (a_route((), {S + "hostname": NAME}, kind="TCPRoute"), (SERVICE_CLAIM,), False,
     f'{S}hostname: "{NAME}" is already claimed by Service web/svc; choose another hostname, '
     f"or give both the Service and the TCPRoute {SHARE}"),
    (a_route(kind="GRPCRoute"), (SERVICE_CLAIM,), False,
     f'spec.hostnames: "{NAME}" is already claimed by Service web/svc'),
    (a_route(annotations={A + "controller": "other"}), (SERVICE_CLAIM,), True, ""),
    (a_route(("shop.example.com",)), (Claim(OLD, "service/web/svc", "shop.example.com"),),
     True, ""),
    (a_route(annotations={A + "ttl": "0"}), (), False,
     f'{A}ttl: "0" is out of range'),
    (a_route(annotations={A + "target": "10.0.0.1"}), (), False,
     f'{A}target: "10.0.0.1" on a HTTPRoute: ExternalDNS reads the target annotation on the '
     "Gateway, not on a route: put it on the Gateway, or remove it"),
    (a_route(annotations={S + "internal-hostname": "in.goldentooth.net"}), (), False,
     f'{S}internal-hostname: "in.goldentooth.net" on a HTTPRoute: applies to Services only'),
    (a_route(annotations={A + "gateway-hostname-source": "both"}), (), False,
     f'{A}gateway-hostname-source: "both" is neither annotation-only nor defined-hosts-only'),
    (a_route(annotations={A + "hostname": "shop.example.com"}), (), False,
     f'{A}hostname: "shop.example.com" is outside the managed domains (goldentooth.net)'),
    (a_route(annotations={A + "ttl": "60", S + "ttl": "120"}), (), False,
     f'{S}ttl: "120" differs from {A}ttl: "60"'),
    (a_route(annotations={A + "hostname": NAME, S + "hostname": f"b.{NAME}"}), (), False,
     f'{S}hostname: "b.{NAME}" differs from {A}hostname: "{NAME}"; set one value under one '
     "prefix, or the same value under both"),
    (a_route(annotations={A + "gateway-hostname-source": "annotation-only",
                          S + "gateway-hostname-source": "defined-hosts-only"}), (), False,
     f'{S}gateway-hostname-source: "defined-hosts-only" differs from '
     f'{A}gateway-hostname-source: "annotation-only"'),
    (a_route(annotations={A + "gateway-hostname-source": "annotation-only"}),
     (SERVICE_CLAIM,), True, ""),
    (a_route((NAME,), {A + "set-identifier": "blue", A + "aws-weight": "1"}),
     (Claim(OLD, "service/web/svc", NAME, "green"),), True, ""),
], ids=["free-name", "held-by-a-service", "held-by-an-ingress", "held-by-another-route",
        "asked-by-the-annotation", "tcproute-by-the-stable-annotation", "grpcroute",
        "other-controller", "outside-the-filter-left-out", "bad-ttl", "target-on-a-route",
        "internal-hostname", "hostname-source", "annotation-outside-the-filter",
        "both-prefixes-disagree", "hostname-prefixes-disagree",
        "hostname-source-prefixes-disagree", "annotation-only-drops-the-spec",
        "weighted-routing-shares"])
def test_validate_route_verdicts(obj: dict[str, Any], claims_: tuple[Claim, ...],
                                 allowed: bool, message: str) -> None:
    verdict = review.validate(request(obj), ON, FakeLookup(claims_))

    assert verdict.allowed is allowed, verdict.message
    assert verdict.message.startswith(message), verdict.message


def test_a_taken_name_is_refused_with_403_and_a_bad_annotation_with_400() -> None:
    taken = review.validate(request(a_route()), ON, FakeLookup((SERVICE_CLAIM,)))
    bad = review.validate(request(a_route(annotations={A + "ttl": "x"})), ON, FakeLookup())

    assert (taken.code, bad.code) == (403, 400)


@pytest.mark.parametrize("kind", ROUTES)
def test_a_route_of_a_kind_not_configured_is_allowed_untouched(kind: str) -> None:
    settings = replace(SETTINGS, route_kinds=tuple(k for k in ROUTES if k != kind))
    obj = a_route(annotations={A + "ttl": "0", A + "hostname": NAME}, kind=kind)

    assert review.validate(request(obj), settings, FakeLookup((SERVICE_CLAIM,))) == review.ALLOW
    assert review.mutate(request(obj), settings) == review.ALLOW


def test_a_kind_of_another_group_is_not_taken_for_a_route() -> None:
    body = request(a_route(annotations={A + "ttl": "0"}))
    body["kind"]["group"] = "example.com"

    assert review.validate(body, ON, FakeLookup()) == review.ALLOW


def test_a_route_outside_the_namespace_read_is_allowed_untouched() -> None:
    settings = replace(ON, scope=Scope(sources=("service",), namespace="apps"))
    obj = a_route(annotations={A + "ttl": "0"})

    assert review.validate(request(obj), settings, FakeLookup((SERVICE_CLAIM,))) == review.ALLOW


def test_a_route_in_another_namespace_cannot_take_a_services_name() -> None:
    verdict = review.validate(request(a_route(namespace="tenant")), ON,
                              FakeLookup((SERVICE_CLAIM,)))

    assert not verdict.allowed
    assert "already claimed by Service web/svc" in verdict.message


def test_sixteen_hostnames_each_taken_are_all_listed() -> None:
    names = tuple(f"h{i}.goldentooth.net" for i in range(16))
    taken = tuple(Claim(OLD, "service/web/svc", name) for name in names)

    verdict = review.validate(request(a_route(names)), ON, FakeLookup(taken))

    assert [problem.value for problem in verdict.problems] == list(names)


def test_an_update_keeps_a_contest_it_already_had_as_a_warning() -> None:
    obj = a_route(annotations={A + "ttl": "120"})
    newer = Claim("2025-01-01T00:00:00Z", "service/web/svc", NAME)

    verdict = review.validate(request(obj, "UPDATE", a_route()), ON, FakeLookup((newer,)))

    assert verdict.allowed
    assert verdict.warnings == (f"{NAME} is also claimed by Service web/svc, which keeps the "
                                "record: it is the senior claim",)


POLICY = Enforcement(domainpolicy.parse("""
rules:
  - name: shop
    namespaces: [shop]
    domains: [shop.goldentooth.net]
""", "dnsgate/dnsgate-domain-policy"))


@pytest.mark.parametrize(("obj", "allowed", "message"), [
    (a_route(("www.shop.goldentooth.net",)), True, ""),
    (a_route(("www.blue.goldentooth.net",)), False,
     'spec.hostnames, the hostname annotation or the listeners\' hostnames: '
     '"www.blue.goldentooth.net" is outside the domains namespace shop may use '
     "(shop.goldentooth.net), so HTTPRoute shop/web may not publish it"),
    (a_route((), {A + "hostname": "www.blue.goldentooth.net"}), False,
     f'{A}hostname: "www.blue.goldentooth.net" is outside the domains namespace shop may use'),
], ids=["inside", "spec-outside", "annotation-outside"])
def test_the_domain_policy_holds_for_routes(obj: dict[str, Any], allowed: bool,
                                            message: str) -> None:
    verdict = review.validate(request(obj), ON, FakeLookup(), POLICY)

    assert verdict.allowed is allowed
    assert verdict.message.startswith(message), verdict.message
    assert allowed or verdict.code == 403


class Fixed:
    def __init__(self, state: owners.Index) -> None:
        self._state = state

    def state(self) -> owners.Index:
        return self._state


def test_a_name_another_owner_id_holds_is_refused() -> None:
    index = owners.Index("default", datetime.now(UTC), 1860, (
        owners.Holding(NAME, "", "A", "cluster-b", "service/shop/web"),))

    verdict = review.validate(request(a_route()), ON, FakeLookup(), owners=Fixed(index))

    assert not verdict.allowed
    assert 'owned in Route53 by owner id "cluster-b"' in verdict.message


@pytest.mark.parametrize(("obj", "added"), [
    (a_route(), {A + "ttl": "60", S + "ttl": "60"}),
    (a_route((), {S + "hostname": NAME}), {S + "ttl": "60"}),
    (a_route((), {A + "hostname": NAME}, kind="UDPRoute"), {A + "ttl": "60"}),
    (a_route(annotations={A + "ttl": "300"}), None),
    (a_route(("shop.example.com",)), None),
    (a_route(()), None),
    (a_route(annotations={A + "controller": "other"}), None),
    (a_route(annotations={A + "gateway-hostname-source": "annotation-only"}), None),
], ids=["spec-hostnames-both-prefixes", "annotation-its-prefix", "udproute-annotation",
        "ttl-set", "outside-the-filter", "no-names-of-its-own", "other-controller",
        "annotation-only-without-annotation"])
def test_mutate_defaults_the_ttl_of_a_route_asking_for_names(
        obj: dict[str, Any], added: dict[str, str] | None) -> None:
    verdict = review.mutate(request(obj), ON)

    if added is None:
        assert verdict == review.ALLOW
    else:
        assert verdict.patch == tuple({"op": "add", "path": "/metadata/annotations/"
                                       + key.replace("/", "~1"), "value": value}
                                      for key, value in added.items())


def serving(route: dict[str, Any], ttl: int | None = 60) -> str:
    """The serving key a stored route on the same Gateways has (its TTL defaulted)."""
    return json.dumps([sorted(gateway.parent_gateways(route)), ttl])


def test_a_route_on_the_same_gateways_serves_a_routes_host_together() -> None:
    """A host split across routes by path (the common Gateway API pattern): admitted, with a
    warning saying whose records serve it; on another Gateway, or with another TTL, refused."""
    partner = Claim(OLD, "httproute/other/web", NAME, together=serving(a_route()))
    ttl = {A + "ttl": "60"}

    shared = review.validate(request(a_route(annotations=ttl)), ON, FakeLookup((partner,)))
    other_ttl = review.validate(request(a_route(annotations={A + "ttl": "300"})), ON,
                                FakeLookup((partner,)))
    elsewhere = a_route(annotations=ttl)
    elsewhere["spec"]["parentRefs"] = [{"name": "internal", "namespace": "gw"}]
    other_gateway = review.validate(request(elsewhere), ON, FakeLookup((partner,)))

    assert shared.allowed, shared.message
    assert any("served together with HTTPRoute other/web" in w for w in shared.warnings)
    assert not other_ttl.allowed and not other_gateway.allowed
    assert "is already claimed by HTTPRoute other/web" in other_gateway.message
