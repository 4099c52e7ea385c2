"""Services -> desired record sets: types, targets, annotations, conflicts (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from dnsgate.domains import DomainFilter
from reconciler import endpoint, source
from reconciler.alias import AliasSettings
from reconciler.settings import RegistrySettings, SourceSettings

ALPHA = "external-dns.alpha.kubernetes.io/"
STABLE = "external-dns.kubernetes.io/"
DOMAINS = DomainFilter.of(["goldentooth.net"])
SETTINGS = SourceSettings(DOMAINS)


def service(name: str = "web", annotations: dict[str, str] | None = None, *,
            ingress: list[dict[str, str]] | None = None, external_ips: list[str] | None = None,
            kind: str = "LoadBalancer", created: str = "2026-01-01T00:00:00Z",
            namespace: str = "apps", **spec: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": created,
                     "annotations": annotations or {}},
        "spec": {"type": kind, **({"externalIPs": external_ips} if external_ips else {}),
                 **spec},
        "status": {"loadBalancer": {"ingress": ingress or []}},
    }


HOST = {ALPHA + "hostname": "web.goldentooth.net"}


def records(svc: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...], int]]:
    result = source.records(svc, SETTINGS)
    return [(e.dnsname, e.record_type, e.targets, e.ttl) for e in result.endpoints]


@pytest.mark.parametrize(("svc", "expected"), [
    (service(annotations=HOST, ingress=[{"ip": "10.4.11.1"}]),
     [("web.goldentooth.net", "A", ("10.4.11.1",), 300)]),
    (service(annotations={**HOST, ALPHA + "ttl": "1m"}, ingress=[{"ip": "10.4.11.1"}]),
     [("web.goldentooth.net", "A", ("10.4.11.1",), 60)]),
    (service(annotations={STABLE + "hostname": "web.goldentooth.net"},
             ingress=[{"ip": "10.4.11.1"}]),
     [("web.goldentooth.net", "A", ("10.4.11.1",), 300)]),
    (service(annotations=HOST, ingress=[{"ip": "2001:0db8::0001"}]),
     [("web.goldentooth.net", "AAAA", ("2001:db8::1",), 300)]),
    (service(annotations=HOST, ingress=[{"hostname": "lb.elb.amazonaws.com"}]),
     [("web.goldentooth.net", "CNAME", ("lb.elb.amazonaws.com",), 300)]),
    (service(annotations=HOST, ingress=[{"ip": "10.4.11.1"}, {"ip": "2001:db8::1"}]),
     [("web.goldentooth.net", "A", ("10.4.11.1",), 300),
      ("web.goldentooth.net", "AAAA", ("2001:db8::1",), 300)]),
    (service(annotations=HOST, ingress=[{"ip": "10.4.11.1"}], external_ips=["192.0.2.7"]),
     [("web.goldentooth.net", "A", ("192.0.2.7",), 300)]),
    (service(annotations={**HOST, ALPHA + "target": "198.51.100.1"},
             ingress=[{"ip": "10.4.11.1"}]),
     [("web.goldentooth.net", "A", ("198.51.100.1",), 300)]),
    (service(annotations={ALPHA + "hostname": "a.goldentooth.net, b.goldentooth.net."},
             ingress=[{"ip": "10.4.11.1"}]),
     [("a.goldentooth.net", "A", ("10.4.11.1",), 300),
      ("b.goldentooth.net", "A", ("10.4.11.1",), 300)]),
    (service(annotations=HOST, ingress=[{"ip": "10.4.11.1"}], kind="ClusterIP"), []),
    (service(annotations=HOST), []),  # no address yet
    (service(ingress=[{"ip": "10.4.11.1"}]), []),  # no annotations
], ids=["ipv4", "ttl-duration", "stable-prefix", "ipv6-canonical", "hostname-cname",
        "dual-stack", "external-ips-first", "target-annotation", "several-hostnames",
        "only-loadbalancer", "no-ingress", "no-hostname"])
def test_records_from_service(svc, expected) -> None:  # type: ignore[no-untyped-def]
    assert records(svc) == expected


def test_resource_label_names_the_service() -> None:
    (record,) = source.records(service(annotations=HOST, ingress=[{"ip": "10.4.11.1"}]),
                               SETTINGS).endpoints

    assert record.label(endpoint.RESOURCE) == "service/apps/web"


def test_weighted_service_carries_set_identifier_and_weight() -> None:
    svc = service(annotations={**HOST, ALPHA + "set-identifier": "blue",
                               ALPHA + "aws-weight": "30"}, ingress=[{"ip": "10.4.11.1"}])

    (record,) = source.records(svc, SETTINGS).endpoints

    assert (record.set_identifier, record.properties) == ("blue", ((endpoint.WEIGHT, "30"),))


@pytest.mark.parametrize(("annotations", "message"), [
    ({**HOST, ALPHA + "ttl": "soon"}, 'external-dns.alpha.kubernetes.io/ttl: "soon" is not'),
    ({ALPHA + "hostname": "web.goldentooth.net,evil.example.com"},
     '"evil.example.com" is outside the managed domains'),
    ({**HOST, STABLE + "hostname": "other.goldentooth.net"}, "differs from"),
])
def test_any_problem_means_no_records_at_all(annotations, message) -> None:  # type: ignore[no-untyped-def]
    result = source.records(service(annotations=annotations, ingress=[{"ip": "10.4.11.1"}]),
                            SETTINGS)

    assert result.endpoints == ()
    assert message in result.problems[0]


def test_senior_service_keeps_contested_name_and_junior_is_reported() -> None:
    old = service("old", HOST, ingress=[{"ip": "10.0.0.1"}], created="2026-01-01T00:00:00Z")
    new = service("new", HOST, ingress=[{"ip": "10.0.0.2"}], created="2026-02-01T00:00:00Z",
                  namespace="other")

    desired = source.desired([new, old], SETTINGS)

    assert [e.targets for e in desired.endpoints] == [("10.0.0.1",)]
    assert desired.conflicts == (
        source.Conflict("service/other/new", "web.goldentooth.net", "service/apps/old"),)


def test_services_with_distinct_set_identifiers_share_a_name() -> None:
    blue = service("blue", {**HOST, ALPHA + "set-identifier": "blue", ALPHA + "aws-weight": "1"},
                   ingress=[{"ip": "10.0.0.1"}])
    green = service("green", {**HOST, ALPHA + "set-identifier": "green",
                              ALPHA + "aws-weight": "3"}, ingress=[{"ip": "10.0.0.2"}])

    desired = source.desired([blue, green], SETTINGS)

    assert sorted(e.set_identifier for e in desired.endpoints) == ["blue", "green"]
    assert desired.conflicts == ()


def test_the_holder_keeps_its_name_against_an_older_service_that_asks_later() -> None:
    old = service("old", HOST, ingress=[{"ip": "10.0.0.1"}], created="2020-01-01T00:00:00Z",
                  namespace="kube-system")
    live = service("live", HOST, ingress=[{"ip": "10.0.0.2"}], created="2026-02-01T00:00:00Z")

    desired = source.desired([old, live], SETTINGS,
                             holders={("web.goldentooth.net", ""):
                                      frozenset({"service/apps/live"})})

    assert [e.targets for e in desired.endpoints] == [("10.0.0.2",)]
    assert desired.conflicts == (
        source.Conflict("service/kube-system/old", "web.goldentooth.net", "service/apps/live",
                        holds=True),)


def test_a_service_without_an_address_yet_still_claims_its_name() -> None:
    pending = service("pending", HOST, created="2026-01-01T00:00:00Z")
    later = service("later", HOST, ingress=[{"ip": "10.0.0.2"}], created="2026-02-01T00:00:00Z")

    desired = source.desired([pending, later], SETTINGS)

    assert desired.endpoints == ()
    assert desired.conflicts == (
        source.Conflict("service/apps/later", "web.goldentooth.net", "service/apps/pending"),)


def test_a_cluster_ip_service_claims_nothing() -> None:
    squat = service("squat", HOST, kind="ClusterIP", created="2020-01-01T00:00:00Z")
    real = service("real", HOST, ingress=[{"ip": "10.0.0.2"}])

    desired = source.desired([squat, real], SETTINGS)

    assert [e.targets for e in desired.endpoints] == [("10.0.0.2",)]
    assert desired.conflicts == ()


@pytest.mark.parametrize(("label", "ingress", "published"), [
    (55, {"ip": "10.4.11.1"}, True),  # owner-a- + 55 = 63
    (56, {"ip": "10.4.11.1"}, False),
    (52, {"ip": "2001:db8::1"}, True),  # owner-aaaa- + 52 = 63
    (53, {"ip": "2001:db8::1"}, False),
    (51, {"hostname": "lb.example.com"}, True),  # owner-cname- + 51 = 63
    (52, {"hostname": "lb.example.com"}, False),
], ids=["a-fits", "a-too-long", "aaaa-fits", "aaaa-too-long", "cname-fits", "cname-too-long"])
def test_the_txt_name_must_fit_for_the_type_the_record_gets(
    label: int, ingress: dict[str, str], published: bool
) -> None:
    svc = service(annotations={ALPHA + "hostname": f"{'a' * label}.goldentooth.net"},
                  ingress=[ingress])

    result = source.records(svc, SETTINGS, RegistrySettings(prefix="owner-"))

    assert bool(result.endpoints) is published
    assert bool(result.problems) is not published
    if not published:
        assert "needs the ownership TXT record \"owner-" in result.problems[0]


def test_holders_are_read_from_ownership_labels_of_our_owner_only() -> None:
    records = [
        endpoint.make("a.goldentooth.net", "A", ["10.0.0.1"],
                      labels={endpoint.OWNER: "me", endpoint.RESOURCE: "service/apps/web"}),
        endpoint.make("a.goldentooth.net", "A", ["10.0.0.2"], set_identifier="blue",
                      labels={endpoint.OWNER: "me", endpoint.RESOURCE: "service/apps/blue"}),
        endpoint.make("b.goldentooth.net", "A", ["10.0.0.1"],
                      labels={endpoint.OWNER: "other", endpoint.RESOURCE: "service/apps/x"}),
        endpoint.make("c.goldentooth.net", "A", ["10.0.0.1"],
                      labels={endpoint.OWNER: "me", endpoint.RESOURCE: "ingress/apps/y"}),
        endpoint.make("d.goldentooth.net", "A", ["10.0.0.1"]),
        endpoint.make("e.goldentooth.net", "A", ["10.0.0.1"],
                      labels={endpoint.OWNER: "me", endpoint.RESOURCE: "node/n1"}),
    ]

    found = source.holders(records, "me")

    # A Service and an Ingress hold record sets alike, each under its own key; a node does
    # not; a row is held by the TXT of that row (same name, same set identifier).
    assert found == {("a.goldentooth.net", ""): frozenset({"service/apps/web"}),
                     ("a.goldentooth.net", "blue"): frozenset({"service/apps/blue"}),
                     ("c.goldentooth.net", ""): frozenset({"ingress/apps/y"})}
    assert source.held_by_service(found) == {
        "service/apps/web": (("a.goldentooth.net", ""),),
        "service/apps/blue": (("a.goldentooth.net", "blue"),),
        "ingress/apps/y": (("c.goldentooth.net", ""),)}


WWW = "web.goldentooth.net"
TEAM_A = "2026-03-01T00:00:00Z"  # team A's Service is the newer one
TEAM_B = "2020-01-01T00:00:00Z"


def weighted(set_identifier: str | None, weight: str = "1") -> dict[str, str]:
    if set_identifier is None:
        return HOST
    return {**HOST, ALPHA + "set-identifier": set_identifier, ALPHA + "aws-weight": weight}


@pytest.mark.parametrize(("b_asks", "b_held"), [
    ("blue", "green"),
    (None, "green"),
    ("blue", None),
], ids=["moves-to-the-held-set-id", "drops-its-set-id", "adds-the-held-set-id"])
def test_the_holder_of_a_row_keeps_it_whatever_row_the_older_service_held(
        b_asks: str | None, b_held: str | None) -> None:
    """Team A's newer Service holds (web, blue); team B's older one held another row of the
    name and now asks for a row that conflicts with team A's: team A keeps its record."""
    team_a = service("web", weighted("blue", "100"), ingress=[{"ip": "10.0.0.1"}],
                     created=TEAM_A, namespace="team-a")
    team_b = service("web", weighted(b_asks), ingress=[{"ip": "10.0.0.2"}], created=TEAM_B,
                     namespace="team-b")
    holders = {(WWW, "blue"): frozenset({"service/team-a/web"}),
               (WWW, b_held or ""): frozenset({"service/team-b/web"})}

    desired = source.desired([team_a, team_b], SETTINGS, holders=holders)

    assert [(e.set_identifier, e.targets, e.label(endpoint.RESOURCE))
            for e in desired.endpoints] == [("blue", ("10.0.0.1",), "service/team-a/web")]
    assert desired.conflicts == (
        source.Conflict("service/team-b/web", WWW, "service/team-a/web", holds=True),)


ELB = "k8s-web-0123456789.us-east-1.elb.amazonaws.com"
ELB_INGRESS = [{"hostname": ELB}]
UUID = "12345678-1234-1234-1234-123456789abc"
ALIAS_ON = ((endpoint.ALIAS, "true"), (endpoint.EVALUATE_TARGET_HEALTH, "true"))
ALIAS_OFF = ((endpoint.ALIAS, "true"), (endpoint.EVALUATE_TARGET_HEALTH, "false"))
Row = tuple[str, str, tuple[str, ...], int, tuple[tuple[str, str], ...]]


def record_sets(svc: dict[str, Any], settings: SourceSettings = SETTINGS) -> list[Row]:
    result = source.records(svc, settings)
    assert result.problems == ()
    return [(e.dnsname, e.record_type, e.targets, e.ttl, e.properties) for e in result.endpoints]


def aliased(name: str, target: str, properties: tuple[tuple[str, str], ...] = ALIAS_ON
            ) -> list[Row]:
    return [(name, kind, (target,), 300, properties) for kind in ("A", "AAAA")]


@pytest.mark.parametrize(("svc", "settings", "expected"), [
    (service(annotations=HOST, ingress=ELB_INGRESS), SETTINGS,
     aliased("web.goldentooth.net", ELB)),
    (service(annotations={**HOST, ALPHA + "ttl": "60"}, ingress=ELB_INGRESS), SETTINGS,
     aliased("web.goldentooth.net", ELB)),
    (service(annotations={**HOST, ALPHA + "aws-evaluate-target-health": "false"},
             ingress=ELB_INGRESS), SETTINGS, aliased("web.goldentooth.net", ELB, ALIAS_OFF)),
    (service(annotations=HOST, ingress=ELB_INGRESS),
     SourceSettings(DOMAINS, aliases=AliasSettings(evaluate_target_health=False)),
     aliased("web.goldentooth.net", ELB, ALIAS_OFF)),
    (service(annotations={**HOST, ALPHA + "ttl": "60"}, ingress=ELB_INGRESS),
     SourceSettings(DOMAINS, aliases=AliasSettings(prefer_cname=True)),
     [("web.goldentooth.net", "CNAME", (ELB,), 60, ())]),
    (service(annotations={**HOST, ALPHA + "alias": "true",
                          ALPHA + "target": "app.goldentooth.net"}),
     SourceSettings(DOMAINS, aliases=AliasSettings(prefer_cname=True)),
     aliased("web.goldentooth.net", "app.goldentooth.net")),
    (service(annotations=HOST, ingress=[{"hostname": "lb.example.com"}]), SETTINGS,
     [("web.goldentooth.net", "CNAME", ("lb.example.com",), 300, ())]),
    (service(annotations={**HOST, ALPHA + "set-identifier": "eu", ALPHA + "aws-weight": "20"},
             ingress=ELB_INGRESS), SETTINGS,
     aliased("web.goldentooth.net", ELB, ((endpoint.ALIAS, "true"),
                                         (endpoint.EVALUATE_TARGET_HEALTH, "true"),
                                         (endpoint.WEIGHT, "20")))),
], ids=["load-balancer-alias", "alias-ttl-is-300", "evaluate-target-health-annotation",
        "evaluate-target-health-flag", "prefer-cname", "alias-annotation-same-zone",
        "other-hostname-cname", "weighted-alias"])
def test_load_balancer_hostnames_become_aliases(
        svc: dict[str, Any], settings: SourceSettings, expected: list[Row]) -> None:
    assert record_sets(svc, settings) == expected


IP = [{"ip": "10.4.11.1"}]


@pytest.mark.parametrize(("annotations", "expected"), [
    ({ALPHA + "aws-health-check-id": UUID}, ((endpoint.HEALTH_CHECK_ID, UUID),)),
    ({ALPHA + "set-identifier": "eu", ALPHA + "aws-region": "eu-west-1"},
     ((endpoint.REGION, "eu-west-1"),)),
    ({ALPHA + "set-identifier": "de", ALPHA + "aws-geolocation-country-code": "DE"},
     ((endpoint.GEO_COUNTRY, "DE"),)),
    ({ALPHA + "set-identifier": "ca", ALPHA + "aws-geolocation-country-code": "US",
      ALPHA + "aws-geolocation-subdivision-code": "CA"},
     ((endpoint.GEO_COUNTRY, "US"), (endpoint.GEO_SUBDIVISION, "CA"))),
    ({ALPHA + "set-identifier": "eu", ALPHA + "aws-geolocation-continent-code": "EU"},
     ((endpoint.GEO_CONTINENT, "EU"),)),
    ({ALPHA + "set-identifier": "m1", ALPHA + "aws-multi-value-answer": "true"},
     ((endpoint.MULTI_VALUE_ANSWER, ""),)),
    ({ALPHA + "set-identifier": "p", ALPHA + "aws-failover": "PRIMARY",
      ALPHA + "aws-health-check-id": UUID},
     ((endpoint.FAILOVER, "PRIMARY"), (endpoint.HEALTH_CHECK_ID, UUID))),
    ({ALPHA + "aws-evaluate-target-health": "false"}, ()),
], ids=["health-check-without-set-identifier", "latency", "geolocation-country",
        "geolocation-subdivision", "geolocation-continent", "multi-value-answer",
        "failover-with-health-check", "evaluate-target-health-only-for-aliases"])
def test_routing_annotations_become_record_properties(
        annotations: dict[str, str], expected: tuple[tuple[str, str], ...]) -> None:
    (record,) = source.records(service(annotations={**HOST, **annotations}, ingress=IP),
                               SETTINGS).endpoints

    assert record.properties == expected


INTERNAL = {ALPHA + "internal-hostname": "web.internal.goldentooth.net"}


@pytest.mark.parametrize(("svc", "settings", "expected"), [
    (service(annotations={**HOST, **INTERNAL}, ingress=IP, clusterIP="10.96.0.10"), SETTINGS,
     [("web.goldentooth.net", "A", ("10.4.11.1",)),
      ("web.internal.goldentooth.net", "A", ("10.96.0.10",))]),
    (service(annotations=INTERNAL, kind="ClusterIP", clusterIP="10.96.0.11"), SETTINGS,
     [("web.internal.goldentooth.net", "A", ("10.96.0.11",))]),
    (service(annotations=HOST, kind="ClusterIP", clusterIP="10.96.0.12"), SETTINGS, []),
    (service(annotations=HOST, kind="ClusterIP", clusterIP="10.96.0.12"),
     SourceSettings(DOMAINS, publish_internal=True),
     [("web.goldentooth.net", "A", ("10.96.0.12",))]),
    (service(annotations=HOST, kind="ClusterIP", clusterIP="fd00::12"),
     SourceSettings(DOMAINS, publish_internal=True),
     [("web.goldentooth.net", "AAAA", ("fd00::12",))]),
    (service(annotations=HOST, kind="ExternalName", externalName="db.example.org"), SETTINGS,
     [("web.goldentooth.net", "CNAME", ("db.example.org",))]),
    (service(annotations={**HOST, ALPHA + "target": "10.1.2.3"}, kind="NodePort"), SETTINGS,
     [("web.goldentooth.net", "A", ("10.1.2.3",))]),
    (service(annotations={**INTERNAL, ALPHA + "target": "10.1.2.4"}, kind="ClusterIP",
             clusterIP="None"), SETTINGS,
     [("web.internal.goldentooth.net", "A", ("10.1.2.4",))]),
    (service(annotations={**HOST, ALPHA + "controller": "dns-controller"}, ingress=IP), SETTINGS,
     [("web.goldentooth.net", "A", ("10.4.11.1",))]),
    (service(annotations={**HOST, ALPHA + "controller": "kops"}, ingress=IP), SETTINGS, []),
], ids=["internal-hostname-gets-cluster-ip", "internal-hostname-on-cluster-ip",
        "cluster-ip-unpublished-by-default", "publish-internal-services",
        "publish-internal-ipv6", "external-name", "node-port-with-target",
        "headless-with-target", "controller-dns-controller", "controller-other"])
def test_what_each_service_type_publishes(
        svc: dict[str, Any], settings: SourceSettings,
        expected: list[tuple[str, str, tuple[str, ...]]]) -> None:
    assert [row[:3] for row in record_sets(svc, settings)] == expected


@pytest.mark.parametrize(("svc", "message"), [
    (service(annotations=HOST, kind="NodePort"), "is on a NodePort Service"),
    (service(annotations=INTERNAL, kind="ClusterIP", clusterIP="None"),
     "is on a headless Service"),
    (service(annotations={**HOST, ALPHA + "alias": "true"}, ingress=IP),
     "asks for a Route53 alias, but the targets are IP addresses (10.4.11.1)"),
    (service(annotations=HOST, ingress=[{"ip": "10.4.11.1"}, {"hostname": ELB}]),
     f"the targets mix IP addresses (10.4.11.1) and hostnames ({ELB})"),
    (service(annotations={**HOST, ALPHA + "set-identifier": "m",
                          ALPHA + "aws-multi-value-answer": "true"}, ingress=ELB_INGRESS),
     "Route53 has no multivalue answer alias records"),
], ids=["node-port", "headless", "alias-to-addresses", "mixed-status", "multi-value-alias"])
def test_services_dnsgate_cannot_publish_are_reported(svc: dict[str, Any], message: str) -> None:
    result = source.records(svc, SETTINGS)

    assert result.endpoints == ()
    assert message in result.problems[0]
