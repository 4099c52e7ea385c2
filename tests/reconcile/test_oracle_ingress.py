"""dnsgate's Ingress source against ExternalDNS's own (devstack/oracle, `oracle ingress`),
v0.14.2 and v0.23.0: for generated Ingresses and Ingress flags, the endpoints each would
publish (name, type, targets, TTL, set identifier, provider-specific properties, resource
label) are equal.

ExternalDNS's source is run over one Ingress per request (through a fake clientset), since
its latest release merges the targets of different Ingresses asking for one name, where
dnsgate gives the name to one holder (README, "Deliberate differences"). Its endpoints are
compared as its plan would take them: outside --domain-filter dropped, identical ones once,
an unset TTL as the 300 s Route53 gets. Annotations are written under both prefixes with
one value, since v0.14.2 reads only the alpha prefix and v0.23.0 only the stable one.
Targets are not AWS load balancers: ExternalDNS turns those into aliases in its AWS
provider, after the source (tests/reconcile/test_e2e_alias.py covers dnsgate's aliases), and
dnsgate's Ingress rules refuse what ExternalDNS would publish anyway (a bad TTL, an unknown
`ingress-hostname-source`), so the generated annotations are valid ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from devstack import oracle
from dnsgate.domains import DomainFilter
from dnsgate.ingress import IngressSettings
from reconciler import endpoint, source
from reconciler.settings import SourceSettings

DOMAINS = DomainFilter.of(["goldentooth.net"])
PREFIXES = ("external-dns.alpha.kubernetes.io/", "external-dns.kubernetes.io/")
HOSTS = ["app.goldentooth.net", "api.goldentooth.net", "*.goldentooth.net",
         "shop.elsewhere.test", ""]
Compared = frozenset[tuple[str, str, tuple[str, ...], int, str, tuple[tuple[str, str], ...],
                           str]]


@pytest.fixture(scope="module", params=oracle.VERSIONS)
def external_dns(request: pytest.FixtureRequest) -> Iterator[oracle.Oracle]:
    with oracle.Oracle(request.param, "ingress") as running:
        yield running


def both_prefixes(notes: dict[str, str]) -> dict[str, str]:
    return {prefix + key: value for key, value in notes.items() for prefix in PREFIXES}


@st.composite
def an_ingress(draw: st.DrawFn) -> dict[str, Any]:
    notes: dict[str, str] = {}
    if draw(st.booleans()):
        notes["hostname"] = ",".join(draw(st.lists(st.sampled_from(HOSTS[:3]), min_size=1,
                                                   max_size=2)))
    notes |= draw(st.sampled_from([{}, {"ttl": "60"}, {"ttl": "10m"}]))
    notes |= draw(st.sampled_from([{}, {"target": "203.0.113.9"},
                                   {"target": "origin.example.net"}]))
    notes |= draw(st.sampled_from([{}, {"set-identifier": "blue", "aws-weight": "10"},
                                   {"set-identifier": "red", "aws-failover": "PRIMARY"}]))
    notes |= draw(st.sampled_from([{}, {}, {"controller": "dns-controller"},
                                   {"controller": "someone-else"},
                                   {"ingress-hostname-source": "defined-hosts-only"},
                                   {"ingress-hostname-source": "annotation-only"}]))
    annotations = both_prefixes(notes)
    class_annotation = draw(st.sampled_from(["", "public", "internal"]))
    if class_annotation:
        annotations["kubernetes.io/ingress.class"] = class_annotation
    spec: dict[str, Any] = {
        "rules": [{"host": h} if h else {} for h in draw(st.lists(st.sampled_from(HOSTS),
                                                                  max_size=2))],
        "tls": [{"hosts": draw(st.lists(st.sampled_from(HOSTS[:4]), max_size=2))}],
    }
    class_name = draw(st.sampled_from(["", "public", "internal"]))
    if class_name:
        spec["ingressClassName"] = class_name
    status = draw(st.sampled_from([[], [{"ip": "10.0.0.1"}],
                                   [{"ip": "10.0.0.1"}, {"ip": "2001:db8::1"}],
                                   [{"hostname": "lb.example.net"}]]))
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"namespace": "shop", "name": "web", "annotations": annotations,
                         "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": spec, "status": {"loadBalancer": {"ingress": status}}}


SETTINGS = st.builds(IngressSettings,
                     classes=st.sampled_from([(), ("public",), ("public", "internal")]),
                     ignore_tls_spec=st.booleans(), ignore_rules_spec=st.booleans())


def compared(name: str, kind: str, targets: list[str] | tuple[str, ...], ttl: int,
             set_identifier: str, properties: dict[str, str], resource: str
             ) -> tuple[str, str, tuple[str, ...], int, str, tuple[tuple[str, str], ...], str]:
    return (name.rstrip(".").lower(), kind, tuple(sorted(targets)), ttl or endpoint.DEFAULT_TTL,
            set_identifier, tuple(sorted(properties.items())), resource)


def theirs(answer: dict[str, Any]) -> Compared:
    assert not answer.get("error"), answer["error"]
    return frozenset(
        compared(e["name"], e["type"], e["targets"], e.get("ttl", 0),
                 e.get("set_identifier", ""), e.get("properties") or {},
                 (e.get("labels") or {}).get("resource", ""))
        for e in answer["endpoints"] if DOMAINS.matches(e["name"].rstrip(".")))


def ours(ingress: dict[str, Any], chosen: IngressSettings) -> Compared:
    copy = {**ingress, "kind": "Ingress"}
    result = source.records(copy, SourceSettings(DOMAINS, ingress=chosen))
    assert result.problems == ()
    return frozenset(
        compared(e.dnsname, e.record_type, e.targets, e.ttl, e.set_identifier,
                 dict(e.properties), e.label(endpoint.RESOURCE) or "")
        for e in result.endpoints)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ingress=an_ingress(), chosen=SETTINGS)
@example(ingress={"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                  "metadata": {"namespace": "shop", "name": "web",
                               "annotations": both_prefixes({"ttl": "60"})},
                  "spec": {"rules": [{"host": "app.goldentooth.net"}],
                           "tls": [{"hosts": ["app.goldentooth.net", "api.goldentooth.net"]}]},
                  "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}},
         chosen=IngressSettings())
def test_ingress_endpoints_equal_external_dns(external_dns: oracle.Oracle,
                                             ingress: dict[str, Any],
                                             chosen: IngressSettings) -> None:
    answer = external_dns.ask({"ingresses": [ingress], "settings": {
        "classes": list(chosen.classes), "ignore_tls_spec": chosen.ignore_tls_spec,
        "ignore_rules_spec": chosen.ignore_rules_spec}})

    assert ours(ingress, chosen) == theirs(answer)
