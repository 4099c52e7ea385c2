"""dnsgate's Gateway API route rules (`dnsgate.gateway.resolve`) against ExternalDNS's own
route sources (devstack/oracle, `oracle gateway`), v0.14.2 and v0.23.0, for every route kind:
over generated Gateways, routes and Namespaces (tests/reconcile/gateway_corpus.py), each
route's hosts and their targets are equal.

ExternalDNS's endpoints are reduced to (resource label, name, sorted targets of every record
type); dnsgate's to the same from each route's `Resolution.hosts`. The corpus gives every
route of a request its own TTL, so v0.23.0's merge of equal endpoints across routes never
joins two routes; `test_latest_merges_routes_asking_for_one_name` pins that merge, which
dnsgate does not do (docs/gateway-api.md, "Differences from ExternalDNS"). The v0.14.2 cases
leave out what that release reads differently; the `test_seed_*` tests pin those
differences.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from devstack import oracle
from dnsgate import gateway, labels, publication
from dnsgate.errors import ConfigError
from tests.reconcile import gateway_corpus as corpus

CASES = 50
"""Requests per release and kind; each holds 1-8 routes (~4.5 on average)."""
Hosts = dict[str, dict[str, tuple[str, ...]]]  # resource -> host -> targets
PROFILE = {oracle.SEED: corpus.SEED, oracle.LATEST: corpus.LATEST}


@pytest.fixture(scope="module")
def oracles() -> Iterator[dict[str, oracle.Oracle]]:
    """One `oracle gateway` process per release for the whole module."""
    with contextlib.ExitStack() as stack:
        yield {version: stack.enter_context(oracle.Oracle(version, "gateway"))
               for version in oracle.VERSIONS}


@pytest.fixture(params=oracle.VERSIONS)
def external_dns(request: pytest.FixtureRequest,
                 oracles: dict[str, oracle.Oracle]) -> oracle.Oracle:
    return oracles[request.param]


@pytest.fixture
def latest(oracles: dict[str, oracle.Oracle]) -> oracle.Oracle:
    return oracles[oracle.LATEST]


@pytest.fixture
def seed(oracles: dict[str, oracle.Oracle]) -> oracle.Oracle:
    return oracles[oracle.SEED]


def theirs(answer: dict[str, Any]) -> Hosts:
    assert not answer.get("error"), answer["error"]
    found: Hosts = {}
    for record in answer["endpoints"]:
        resource = (record.get("labels") or {}).get("resource", "")
        hosts = found.setdefault(resource, {})
        hosts[record["name"]] = tuple(sorted({*hosts.get(record["name"], ()),
                                              *record["targets"]}))
    return found


def gateway_settings(case: corpus.Case) -> gateway.GatewaySettings:
    """The case's Gateway flags as dnsgate parses them at start (dnsgate.publication)."""
    gateway_labels = publication.gateway_label_selector(
        case.settings.get("gateway_label_filter", ""))
    return gateway.GatewaySettings(name=case.settings.get("gateway_name", ""),
                                   namespace=case.settings.get("gateway_namespace", ""),
                                   label_filter=gateway_labels.text)


def view_of(case: corpus.Case) -> gateway.View:
    return gateway.View(
        gateways={(gw["metadata"]["namespace"], gw["metadata"]["name"]): gateway.slim_gateway(gw)
                  for gw in case.gateways},
        namespace_labels=case.namespace_labels())


def read_routes(case: corpus.Case) -> list[dict[str, Any]]:
    """The routes --namespace and --label-filter leave in (the API server's list)."""
    route_filter = labels.parse(case.settings.get("label_filter", ""))
    return [route for route in case.routes
            if case.settings.get("namespace") in (None, route["metadata"]["namespace"])
            and route_filter.matches(route["metadata"].get("labels") or {})]


def ours(case: corpus.Case) -> Hosts:
    """What dnsgate resolves for each route the source's own flags leave in."""
    chosen, view = gateway_settings(case), view_of(case)
    found: Hosts = {}
    for route in read_routes(case):
        meta = route["metadata"]
        resolution = gateway.resolve(
            gateway.slim_route(route, case.kind), view, chosen,
            ignore_hostname_annotation=case.settings.get("ignore_hostname_annotation", False))
        if resolution.hosts:
            # Each record drops a target's trailing dot (ExternalDNS's NewEndpointWithTTL,
            # dnsgate's record typing): a Gateway address may carry one.
            found[f"{case.kind.lower()}/{meta['namespace']}/{meta['name']}"] = {
                host: tuple(sorted({t.removesuffix(".") for t in targets}))
                for host, targets in resolution.hosts}
    return found


def differences(external_dns: oracle.Oracle, cases: list[corpus.Case]
                ) -> list[tuple[corpus.Case, Hosts, Hosts]]:
    answers = external_dns.ask_many([case.request() for case in cases])
    compared = ((case, ours(case), theirs(answer))
                for case, answer in zip(cases, answers, strict=True))
    return [(case, mine, them) for case, mine, them in compared if mine != them]


def generated(version: str, kind: str, count: int = CASES) -> list[corpus.Case]:
    return corpus.cases(kind, seed=1, count=count, profile=PROFILE[version])


@pytest.mark.parametrize("kind", corpus.KINDS)
def test_route_hosts_equal_external_dns(external_dns: oracle.Oracle, kind: str) -> None:
    cases = generated(external_dns.version, kind)

    found = differences(external_dns, cases)

    assert not found, describe(found[0])


@pytest.mark.parametrize("version", oracle.VERSIONS)
@pytest.mark.parametrize("kind", corpus.KINDS)
def test_corpus_publishes_some_routes_and_not_others(version: str, kind: str) -> None:
    """A comparison of empty answers proves nothing: the corpus must give a fair number of
    routes a record and leave a fair share without one."""
    cases = generated(version, kind)
    routes = sum(len(case.routes) for case in cases)
    published = sum(len(ours(case)) for case in cases)

    assert published >= 25
    assert routes - published >= 0.3 * routes


MATCHING_HOST = gateway.matching_host


def wildcards_matched_exactly(listener: str, route: str) -> str | None:
    """The host rule with `*.example.com` covering only itself."""
    a, b = gateway._canonical(listener), gateway._canonical(route)
    if a is None or b is None:
        return None
    if not a:
        return b
    return a if not b or a == b else None


def listener_hostname_ignored(listener: str, route: str) -> str | None:
    return MATCHING_HOST("", route)


MUTATIONS = {"wildcards matched exactly": wildcards_matched_exactly,
             "listener hostname ignored": listener_hostname_ignored}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_comparison_catches_a_changed_host_rule(latest: oracle.Oracle,
                                                monkeypatch: pytest.MonkeyPatch,
                                                mutation: str) -> None:
    monkeypatch.setattr(gateway, "matching_host", MUTATIONS[mutation])

    assert differences(latest, generated(oracle.LATEST, "HTTPRoute"))


def describe(found: tuple[corpus.Case, Hosts, Hosts]) -> str:
    case, mine, them = found
    return (f"dnsgate {mine}\nExternalDNS {them}\nrequest {case.request()}")


GW: dict[str, Any] = {"apiVersion": f"{corpus.GROUP}/v1", "kind": "Gateway",
      "metadata": {"namespace": "infra", "name": "gw", "annotations": {}},
      "spec": {"gatewayClassName": "example", "listeners": [
          {"name": "http", "protocol": "HTTP", "port": 80, "hostname": "*.example.com",
           "allowedRoutes": {"namespaces": {"from": "All"}}}]},
      "status": {"addresses": [{"type": "IPAddress", "value": "10.0.0.1"}]}}
ACCEPTED = [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
             "lastTransitionTime": "2026-01-01T00:00:00Z"}]
NAMESPACES = [{"metadata": {"name": name}} for name in ("infra", "shop")]


def a_case(*routes: dict[str, Any], gateways: tuple[dict[str, Any], ...] = (GW,),
           settings: dict[str, Any] | None = None) -> corpus.Case:
    return corpus.Case("HTTPRoute", NAMESPACES, list(gateways), list(routes), settings or {})


def a_route(name: str, *, hostnames: tuple[str, ...] = ("web.example.com",),
            notes: dict[str, str] | None = None, spec_parents: bool = True,
            gateway_ref: dict[str, str] | None = None) -> dict[str, Any]:
    ref = gateway_ref or {"name": "gw", "namespace": "infra"}
    spec: dict[str, Any] = {"parentRefs": [ref] if spec_parents else []}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {"apiVersion": f"{corpus.GROUP}/v1", "kind": "HTTPRoute",
            "metadata": {"namespace": "shop", "name": name,
                         "annotations": corpus.both_prefixes(notes or {})},
            "spec": spec,
            "status": {"parents": [{"parentRef": ref, "controllerName": "example.com/gw",
                                    "conditions": ACCEPTED}]}}


def test_latest_merges_routes_asking_for_one_name(latest: oracle.Oracle,
                                                  seed: oracle.Oracle) -> None:
    """ExternalDNS v0.23.0 (not v0.14.2) joins equal endpoints of two routes into one, with
    both Gateways' targets and the first route's resource label; dnsgate resolves each route
    on its own, and its claim rule then gives the name to one of them (docs/gateway-api.md,
    "Differences from ExternalDNS")."""
    other = {**GW, "metadata": {**GW["metadata"], "name": "gw-2"},
             "status": {"addresses": [{"type": "IPAddress", "value": "10.0.0.2"}]}}
    case = a_case(a_route("one"),
                  a_route("two", gateway_ref={"name": "gw-2", "namespace": "infra"}),
                  gateways=(GW, other))

    merged = latest.ask(case.request())["endpoints"]
    apart = seed.ask(case.request())["endpoints"]

    assert [(e["name"], e["targets"]) for e in merged] == [
        ("web.example.com", ["10.0.0.1", "10.0.0.2"])]
    assert merged[0]["labels"]["resource"] in ("httproute/shop/one", "httproute/shop/two")
    assert sorted((e["labels"]["resource"], e["targets"][0]) for e in apart) == [
        ("httproute/shop/one", "10.0.0.1"), ("httproute/shop/two", "10.0.0.2")]
    assert ours(case) == {"httproute/shop/one": {"web.example.com": ("10.0.0.1",)},
                          "httproute/shop/two": {"web.example.com": ("10.0.0.2",)}}


def test_merge_keeps_routes_apart_when_their_ttls_differ(latest: oracle.Oracle) -> None:
    """Why the corpus gives each route its own TTL: equal endpoints are merged only with equal
    TTLs, so the per-route comparison sees each route's own answer."""
    case = a_case(a_route("one", notes={"ttl": "60"}), a_route("two", notes={"ttl": "120"}))

    assert theirs(latest.ask(case.request())) == ours(case) == {
        "httproute/shop/one": {"web.example.com": ("10.0.0.1",)},
        "httproute/shop/two": {"web.example.com": ("10.0.0.1",)}}


# What v0.14.2 reads differently from v0.23.0 (docs/gateway-api.md): (case, v0.14.2's hosts,
# v0.23.0's hosts, which are dnsgate's).
RELEASE_DIFFERENCES = {
    "a status parent the spec does not name attaches in v0.14.2": (
        a_case(a_route("web", spec_parents=False)),
        {"httproute/shop/web": {"web.example.com": ("10.0.0.1",)}}, {}),
    "v0.14.2 has no gateway-hostname-source annotation": (
        a_case(a_route("web", notes={"gateway-hostname-source": "annotation-only",
                                     "hostname": "note.example.com"})),
        {"httproute/shop/web": {"web.example.com": ("10.0.0.1",),
                                "note.example.com": ("10.0.0.1",)}},
        {"httproute/shop/web": {"note.example.com": ("10.0.0.1",)}}),
    "an empty hostname annotation entry stands for the listener's hostname in v0.14.2": (
        a_case(a_route("web", notes={"hostname": "note.example.com,"})),
        {"httproute/shop/web": {"web.example.com": ("10.0.0.1",),
                                "note.example.com": ("10.0.0.1",),
                                "*.example.com": ("10.0.0.1",)}},
        {"httproute/shop/web": {"web.example.com": ("10.0.0.1",),
                                "note.example.com": ("10.0.0.1",)}}),
    "v0.14.2 reads a Gateway whatever its controller annotation says": (
        a_case(a_route("web"), gateways=({**GW, "metadata": {
            **GW["metadata"], "annotations": corpus.both_prefixes(
                {"controller": "someone-else"})}},)),
        {"httproute/shop/web": {"web.example.com": ("10.0.0.1",)}}, {}),
}


@pytest.mark.parametrize("difference", RELEASE_DIFFERENCES)
def test_seed_release_reads_routes_differently(seed: oracle.Oracle, latest: oracle.Oracle,
                                               difference: str) -> None:
    case, seed_hosts, latest_hosts = RELEASE_DIFFERENCES[difference]

    assert theirs(seed.ask(case.request())) == seed_hosts
    assert theirs(latest.ask(case.request())) == latest_hosts == ours(case)


def test_seed_release_has_no_gateway_name_flag(seed: oracle.Oracle) -> None:
    answer = seed.ask(a_case(a_route("web"), settings={"gateway_name": "gw"}).request())

    assert "no --gateway-name" in answer["error"]


GATEWAY_LABEL_FILTERS = ["tier=5", "tier==5", "tier=4,tier=5", "tier=5,tier=4",
                         "tier in (4,5),tier notin (4)", "tier,!zone", "tier!=4", "tier>1",
                         "tier<9", "zone notin (a),tier=5"]


@pytest.mark.parametrize("selector", GATEWAY_LABEL_FILTERS)
def test_gateway_label_filter_reads_as_external_dns_reads_it(external_dns: oracle.Oracle,
                                                             selector: str) -> None:
    """ExternalDNS reads --gateway-label-filter as a label selector object: a later `key=`
    replaces an earlier one, and `!=`, `>`, `<` stop it at start (docs/label-selectors.md)."""
    labelled = {**GW, "metadata": {**GW["metadata"], "labels": {"tier": "5"}}}
    case = a_case(a_route("web"), gateways=(labelled,),
                  settings={"gateway_label_filter": selector})

    answer = external_dns.ask(case.request())

    if answer.get("error"):
        with pytest.raises(ConfigError, match="--gateway-label-filter"):
            ours(case)
    else:
        assert ours(case) == theirs(answer)


def test_a_forged_acceptance_does_not_pass_allowed_routes(external_dns: oracle.Oracle) -> None:
    """A tenant able to write its route's status (or a careless controller) cannot attach it
    to a listener that admits only its Gateway's namespace: both read allowedRoutes
    themselves, whatever status.parents says."""
    same_only = {**GW, "spec": {**GW["spec"], "listeners": [
        {**GW["spec"]["listeners"][0], "allowedRoutes": {"namespaces": {"from": "Same"}}}]}}
    case = a_case(a_route("web"), gateways=(same_only,))

    assert theirs(external_dns.ask(case.request())) == ours(case) == {}
