"""Random but valid Gateway API objects, seeded, for comparing dnsgate's route rules with
ExternalDNS's own route sources (tests/reconcile/test_oracle_gateway.py).

A `Case` is what one `oracle gateway` request holds: Namespaces (with labels, for
`allowedRoutes` selectors), Gateways, routes of one kind and the source's flags. The objects
are ones the API server would store under the v1.6.2 CRDs (lower-case spec hostnames, no
hostname on TCP and UDP listeners); what the CRDs cannot refuse is varied freely: annotations
(upper-case, wildcard, trailing-dot and malformed hostnames), status entries naming parents
the spec does not, conditions missing or False.

Within one case every route has its own TTL annotation (one route may have none or an
invalid one), so ExternalDNS v0.23.0 never merges two routes' endpoints
(endpoint.MergeEndpoints keys on name, type, set identifier and TTL): each endpoint's
resource label then names the one route that asked for it. The merge itself is tested on its
own.

`profile` leaves out what v0.14.2 reads differently from v0.23.0 (docs/gateway-api.md,
"ExternalDNS v0.14.2 and v0.23.0"): status parents absent from the spec, the
`gateway-hostname-source` annotation, empty entries in the hostname annotation and
--gateway-name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

PREFIXES = ("external-dns.alpha.kubernetes.io/", "external-dns.kubernetes.io/")
"""v0.14.2 reads only the alpha prefix, v0.23.0 (without --enable-legacy-annotation-prefix)
only the stable one: annotations are written under both with one value."""
GROUP = "gateway.networking.k8s.io"
KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
HOSTNAMED = ("HTTPRoute", "GRPCRoute", "TLSRoute")

NAMESPACES = ("default", "team-a", "team-b", "edge")
NAMESPACE_LABELS: tuple[dict[str, str], ...] = (
    {}, {"env": "prod"}, {"env": "dev"}, {"env": "prod", "shared": "true"})
GATEWAY_NAMES = ("gw-a", "gw-b", "gw-c")
LISTENER_HOSTS = (None, None, "*.example.com", "a.example.com", "*.apps.example.com",
                  "x.other.org", "example.com")
ROUTE_HOSTS = ("a.example.com", "b.example.com", "*.example.com", "deep.x.apps.example.com",
               "y.apps.example.com", "*.apps.example.com", "x.other.org", "example.com")
ANNOTATED_HOSTS = ("c.example.com", "UP.Example.com", "*.example.com", "t.example.com.",
                   "bad_host.example.com", "z.apps.example.com", "10.1.2.3", "q.other.org",
                   "*", "*.*.example.com", "2001:db8::9", "a" * 64 + ".example.com",
                   "x" * 63 + ".apps.example.com")
ADDRESSES = ({"type": "IPAddress", "value": "10.0.0.1"}, {"type": "IPAddress", "value": "10.0.0.2"},
             {"type": "IPAddress", "value": "2001:db8::1"}, {"value": "10.0.0.3"},
             {"type": "Hostname", "value": "lb-1.elb.example.net"},
             {"type": "Hostname", "value": "lb-2.elb.example.net"},
             # An implementation's own address type: the CRD checks no value of it.
             {"type": "example.com/lb", "value": "Lb-3.Example.NET."})
GATEWAY_TARGETS = ("203.0.113.7", "edge.example.net", "198.51.100.2, edge.example.net.",
                   "Edge.Example.NET")
PROTOCOL_PORTS = {"HTTP": (80, 8080), "HTTPS": (443,), "TLS": (443, 8443), "TCP": (5432, 443),
                  "UDP": (53,)}
ALLOWED_KINDS = ([{"kind": "HTTPRoute"}], [{"group": GROUP, "kind": "GRPCRoute"}],
                 [{"kind": "TLSRoute"}, {"kind": "TCPRoute"}], [{"kind": "UDPRoute"}],
                 [{"group": "example.com", "kind": "HTTPRoute"}],
                 [{"group": "", "kind": "HTTPRoute"}, {"group": "", "kind": "TCPRoute"}])
SELECTORS: tuple[dict[str, Any], ...] = ({"matchLabels": {"env": "prod"}},
             {"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev", "qa"]}]},
             {"matchExpressions": [{"key": "shared", "operator": "Exists"}]}, {},
             {"matchLabels": {"env": "prod"},
              "matchExpressions": [{"key": "shared", "operator": "DoesNotExist"}]},
             {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]},
             # In without values: apimachinery refuses the selector, which then matches
             # nothing.
             {"matchExpressions": [{"key": "env", "operator": "In", "values": []}]})
LISTENER_PROTOCOLS = {"HTTPRoute": ("HTTP", "HTTPS"), "GRPCRoute": ("HTTPS", "HTTP"),
                      "TLSRoute": ("TLS",), "TCPRoute": ("TCP", "TLS"), "UDPRoute": ("UDP",)}
"""The listener protocols each kind attaches to (ExternalDNS: HTTPS counts as HTTP, a TCP route
fits a TLS listener); most listeners get one of them, so most routes have a chance."""
LATEST, SEED = "latest", "seed"
"""Profiles: every v0.23.0 feature, or only what v0.14.2 reads the same way."""


@dataclass
class Case:
    kind: str
    namespaces: list[dict[str, Any]]
    gateways: list[dict[str, Any]]
    routes: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)

    def request(self) -> dict[str, Any]:
        """The `oracle gateway` request (devstack/oracle.py)."""
        return {"kind": self.kind, "namespaces": self.namespaces, "gateways": self.gateways,
                "routes": self.routes, "settings": self.settings}

    def namespace_labels(self) -> dict[str, dict[str, str]]:
        return {ns["metadata"]["name"]: dict(ns["metadata"].get("labels") or {})
                for ns in self.namespaces}


def both_prefixes(notes: dict[str, str]) -> dict[str, str]:
    return {prefix + key: value for key, value in notes.items() for prefix in PREFIXES}


def api_version(kind: str, release_profile: str) -> str:
    """v0.23.0 reads HTTP, GRPC and TLS routes in v1; v0.14.2 only HTTPRoute (the rest in
    v1alpha2). TCP and UDP routes are v1alpha2 in both."""
    if kind == "HTTPRoute" or (kind in HOSTNAMED and release_profile == LATEST):
        return f"{GROUP}/v1"
    return f"{GROUP}/v1alpha2"


def cases(kind: str, seed: int, count: int, profile: str = LATEST) -> list[Case]:
    rng = random.Random(f"{kind}/{seed}/{profile}")
    return [_case(rng, kind, profile) for _ in range(count)]


def _case(rng: random.Random, kind: str, profile: str) -> Case:
    namespaces = [{"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": name, "labels": dict(rng.choice(NAMESPACE_LABELS))}}
                  for name in NAMESPACES]
    if rng.random() < 0.1:
        # A namespace the source has not listed (just created, or deleted): a Selector
        # listener admits no route of it.
        namespaces.pop(rng.randrange(len(namespaces)))
    keys = rng.sample([(ns, name) for ns in NAMESPACES for name in GATEWAY_NAMES],
                      rng.randint(1, 4))
    gateways = [_gateway(rng, kind, profile, ns, name) for ns, name in keys]
    ttls = rng.sample(range(30, 3600), 12)
    routes = [_route(rng, kind, profile, f"r{i}", keys, ttl=None if i == 0 else ttls[i])
              for i in range(rng.randint(1, 8))]
    return Case(kind, namespaces, gateways, routes, _settings(rng, profile))


def _settings(rng: random.Random, profile: str) -> dict[str, Any]:
    if rng.random() < 0.8:
        return {}
    chosen: dict[str, Any] = rng.choice([
        {"gateway_namespace": "edge"}, {"gateway_namespace": "default"},
        {"gateway_label_filter": "tier=public"},
        {"gateway_label_filter": "tier in (public,internal)"},
        {"gateway_label_filter": "!internal-only"},
        {"gateway_label_filter": "tier=internal,tier=public"},
        {"gateway_name": "gw-a"}, {"gateway_name": "gw-b"},
        {"namespace": "team-a"}, {"label_filter": "app=web"},
        {"ignore_hostname_annotation": True}])
    if "gateway_name" in chosen and profile != LATEST:
        return {}
    return chosen


def _gateway(rng: random.Random, kind: str, profile: str, namespace: str, name: str
             ) -> dict[str, Any]:
    count = rng.choice([1, 2, 2, 3])
    listeners = [_listener(rng, kind, f"l{i}") for i in range(count)]
    notes = {"target": rng.choice(GATEWAY_TARGETS)} if rng.random() < 0.15 else {}
    if profile == LATEST and rng.random() < 0.08:
        # v0.14.2 reads a Gateway whatever its controller annotation says.
        notes["controller"] = rng.choice(["dns-controller", "someone-else"])
    labels = rng.choice([{}, {"tier": "public"}, {"tier": "internal"},
                         {"tier": "internal", "internal-only": "yes"}])
    addresses = rng.sample(ADDRESSES, rng.choice([0, 1, 1, 2, 3]))
    return {"apiVersion": f"{GROUP}/v1", "kind": "Gateway",
            "metadata": {"namespace": namespace, "name": name, "labels": labels,
                         "annotations": both_prefixes(notes)},
            "spec": {"gatewayClassName": "example", "listeners": listeners},
            "status": {"addresses": addresses}}


def _listener(rng: random.Random, kind: str, name: str) -> dict[str, Any]:
    protocol = rng.choice(LISTENER_PROTOCOLS[kind] if rng.random() < 0.75
                          else tuple(PROTOCOL_PORTS))
    listener: dict[str, Any] = {"name": name, "protocol": protocol,
                                "port": rng.choice(PROTOCOL_PORTS[protocol])}
    host = rng.choice(LISTENER_HOSTS)
    if host is not None and protocol not in ("TCP", "UDP"):
        listener["hostname"] = host  # the CRD refuses a hostname on TCP and UDP listeners
    allowed: dict[str, Any] = {}
    origin = rng.choice([None, "All", "All", "All", "Same", "Selector"])
    if origin is not None:
        allowed["namespaces"] = {"from": origin}
        if origin == "Selector":
            allowed["namespaces"]["selector"] = rng.choice(SELECTORS)
    if rng.random() < 0.25:
        allowed["kinds"] = rng.choice(ALLOWED_KINDS)
    if allowed:
        listener["allowedRoutes"] = allowed
    return listener


def _route(rng: random.Random, kind: str, profile: str, name: str,
           gateways: list[tuple[str, str]], ttl: int | None) -> dict[str, Any]:
    namespace = rng.choice(NAMESPACES) if rng.random() < 0.5 else rng.choice(gateways)[0]
    refs = [_parent_ref(rng, namespace, gateways)
            for _ in range(rng.choice([0] + [1] * 8 + [2] * 3))]
    if rng.random() < 0.08:
        refs.append(rng.choice([{"group": "", "kind": "Service", "name": "mesh"},
                                {"group": GROUP, "kind": "ListenerSet", "name": "gw-a"}]))
    spec: dict[str, Any] = {"parentRefs": refs}
    if kind in HOSTNAMED and rng.random() < 0.7:
        spec["hostnames"] = rng.sample(ROUTE_HOSTS, rng.randint(1, 3))
    parents = [_parent_status(rng, _status_ref(rng, ref)) for ref in refs
               if rng.random() < 0.95]
    if parents and rng.random() < 0.1:
        parents.append(_parent_status(rng, parents[0]["parentRef"]))  # a second controller
    if profile == LATEST and rng.random() < 0.15:
        # Written for a parent the route no longer names: v0.23.0 passes over it.
        parents.append(_parent_status(rng, _parent_ref(rng, namespace, gateways), accept=True))
    metadata: dict[str, Any] = {"namespace": namespace, "name": name,
                                "annotations": both_prefixes(_route_notes(rng, kind, profile, ttl))}
    if rng.random() < 0.3:
        metadata["labels"] = {"app": rng.choice(["web", "api"])}
    return {"apiVersion": api_version(kind, profile), "kind": kind, "metadata": metadata,
            "spec": spec, "status": {"parents": parents}}


def _parent_ref(rng: random.Random, namespace: str,
                gateways: list[tuple[str, str]]) -> dict[str, Any]:
    gw_namespace, gw_name = (rng.choice(gateways) if rng.random() < 0.95
                             else (rng.choice(NAMESPACES), "gw-missing"))
    ref: dict[str, Any] = {"name": gw_name}
    if gw_namespace != namespace or rng.random() < 0.3:
        ref["namespace"] = gw_namespace
    if rng.random() < 0.2:
        ref |= rng.choice([{"group": GROUP, "kind": "Gateway"}, {"group": ""}])
    if rng.random() < 0.25:
        ref["sectionName"] = rng.choice(["l0", "l0", "l0", "l1", "nope"])
    if rng.random() < 0.2:
        ref["port"] = rng.choice([80, 443, 53, 5432])
    return ref


def _status_ref(rng: random.Random, ref: dict[str, Any]) -> dict[str, Any]:
    """The parentRef a status entry names: the spec's, now and then with a section or port
    of the controller's own (the spec match compares group, kind, namespace and name)."""
    if rng.random() < 0.1:
        return ref | rng.choice([{"sectionName": "l0"}, {"sectionName": "l1"}, {"port": 80}])
    return dict(ref)


def _parent_status(rng: random.Random, ref: dict[str, Any], accept: bool = False
                   ) -> dict[str, Any]:
    state = "True" if accept else rng.choice(["True"] * 9 + ["False", None])
    conditions = [] if state is None else [
        {"type": "Accepted", "status": state, "reason": "Accepted",
         "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]
    if rng.random() < 0.2:
        conditions.insert(0, {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs",
                              "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"})
    return {"parentRef": dict(ref), "controllerName": "example.com/gateway-controller",
            "conditions": conditions}


def _route_notes(rng: random.Random, kind: str, profile: str, ttl: int | None
                 ) -> dict[str, str]:
    notes: dict[str, str] = {}
    if ttl is not None:
        notes["ttl"] = str(ttl)
    elif rng.random() < 0.3:
        notes["ttl"] = rng.choice(["0", "abc"])  # refused by ExternalDNS: no TTL set
    # TCP and UDP routes have no spec.hostnames, and their listeners no hostname: the
    # annotation is their only name.
    if rng.random() < (0.35 if kind in HOSTNAMED else 0.9):
        hosts = rng.sample(ANNOTATED_HOSTS, rng.randint(1, 2))
        if profile == LATEST and rng.random() < 0.3:
            hosts.append("")  # "a,,b" or "a,": v0.23.0 skips the empty entry
        notes["hostname"] = rng.choice([",", ", "]).join(hosts)
    if rng.random() < 0.2:
        notes |= {"set-identifier": "blue", "aws-weight": "10"}
    if rng.random() < 0.06:
        notes["controller"] = rng.choice(["dns-controller", "someone-else"])
    if profile == LATEST and rng.random() < 0.2:
        notes["gateway-hostname-source"] = rng.choice(
            ["annotation-only", "defined-hosts-only", "Annotation-Only", "bogus"])
    return notes
