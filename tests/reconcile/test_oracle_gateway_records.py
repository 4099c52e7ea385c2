"""The records dnsgate's reconciler makes of Gateway API routes (`reconciler.source.records`
over a route resolved by `dnsgate.gateway`) against the endpoints of ExternalDNS's own route
sources (devstack/oracle, `oracle gateway`), v0.14.2 and v0.23.0, over the generated corpus of
tests/reconcile/gateway_corpus.py: names, record types, targets, TTL, set identifier,
provider-specific properties and resource label are equal for every route dnsgate publishes.

ExternalDNS's endpoints are compared as its plan would take them: names outside
--domain-filter dropped, an unset TTL as the 300 s Route53 gets, a CNAME's target in lower
case (Route53 compares names case-insensitively; dnsgate writes them lower-cased). A route
dnsgate refuses is not compared record by record: each refusal must be one of the rules
dnsgate enforces beyond ExternalDNS (a bad annotation, targets mixing addresses and hostnames
or naming several hostnames, which Route53 refuses as one record set), and the share of
routes compared is checked. --ignore-hostname-annotation is left out: dnsgate refuses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from devstack import oracle
from dnsgate import gateway
from dnsgate.domains import DomainFilter
from reconciler import endpoint, source
from reconciler.settings import SourceSettings
from tests.reconcile import gateway_corpus as corpus
from tests.reconcile import test_oracle_gateway as hosts

DOMAINS = DomainFilter.of(["example.com", "other.org"])
Compared = frozenset[tuple[str, str, tuple[str, ...], int, str, tuple[tuple[str, str], ...],
                           str]]
REFUSALS = ("mix IP addresses", "not a valid TTL", "is out of range", "is not a valid hostname",
            "gateway-hostname-source", "one hostname", "is not a DNS name", "CNAME",
            "a label has at most 63")
"""What a refusal names: each of these rules is dnsgate's beyond ExternalDNS."""


@pytest.fixture(scope="module")
def oracles() -> Iterator[dict[str, oracle.Oracle]]:
    with contextlib.ExitStack() as stack:
        yield {version: stack.enter_context(oracle.Oracle(version, "gateway"))
               for version in oracle.VERSIONS}


def compared(name: str, record_type: str, targets: Any, ttl: int, set_identifier: str,
             properties: dict[str, str], resource: str
             ) -> tuple[str, str, tuple[str, ...], int, str, tuple[tuple[str, str], ...], str]:
    if record_type == endpoint.CNAME:
        targets = [t.rstrip(".").lower() for t in targets]
    return (name.rstrip(".").lower(), record_type, tuple(sorted(targets)),
            ttl or endpoint.DEFAULT_TTL, set_identifier, tuple(sorted(properties.items())),
            resource)


def theirs(answer: dict[str, Any]) -> dict[str, Compared]:
    assert not answer.get("error"), answer["error"]
    found: dict[str, set[Any]] = {}
    for e in answer["endpoints"]:
        if not DOMAINS.matches(e["name"].rstrip(".")):
            continue
        resource = e["labels"]["resource"]
        found.setdefault(resource, set()).add(compared(
            e["name"], e["type"], e["targets"], e.get("ttl", 0), e.get("set_identifier", ""),
            e.get("properties") or {}, resource))
    return {resource: frozenset(records) for resource, records in found.items()}


def ours(case: corpus.Case) -> tuple[dict[str, Compared], dict[str, tuple[str, ...]]]:
    """Each route's records, and the problems of those dnsgate refuses."""
    chosen, view = hosts.gateway_settings(case), hosts.view_of(case)
    settings = SourceSettings(DOMAINS, sources=(f"gateway-{case.kind.lower()}",),
                              gateway=chosen)
    made: dict[str, Compared] = {}
    refused: dict[str, tuple[str, ...]] = {}
    for route in hosts.read_routes(case):
        resolved = gateway.with_resolution(gateway.slim_route(route, case.kind), view, chosen)
        result = source.records(resolved, settings)
        if result.problems:
            refused[result.service] = result.problems
        elif result.endpoints:
            made[result.service] = frozenset(
                compared(e.dnsname, e.record_type, e.targets, e.ttl, e.set_identifier,
                         dict(e.properties), e.label(endpoint.RESOURCE) or "")
                for e in result.endpoints)
    return made, refused


def generated(version: str, kind: str) -> list[corpus.Case]:
    return [case for case in hosts.generated(version, kind)
            if not case.settings.get("ignore_hostname_annotation")]


@pytest.mark.parametrize("version", oracle.VERSIONS)
@pytest.mark.parametrize("kind", corpus.KINDS)
def test_route_records_equal_external_dns(oracles: dict[str, oracle.Oracle], version: str,
                                          kind: str) -> None:
    cases = generated(version, kind)
    answers = oracles[version].ask_many([case.request() for case in cases])
    equal = 0
    for case, answer in zip(cases, answers, strict=True):
        made, refused = ours(case)
        external = theirs(answer)

        for problems in refused.values():
            assert all(any(rule in p for rule in REFUSALS) for p in problems), problems
        kept = {resource: records for resource, records in external.items()
                if resource not in refused}
        assert made == kept, hosts.describe((case, {}, {}))
        equal += len(made)

    assert equal >= 10
