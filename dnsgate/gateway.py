"""What a Gateway API route asks for, read as ExternalDNS's Gateway route sources read it
(docs/gateway-api.md): pure functions the reconciler, the webhook and the oracle's comparison
share.

A route names hostnames (`spec.hostnames`, the hostname annotation, or none, which means "the
listeners' hostnames"); the Gateways it is attached to decide which of them get records and
where they point. A Gateway attaches a route when the route's `status.parents` (written by
the gateway controller) holds an entry for a parentRef of the route's spec with
`Accepted=True`; then each of that Gateway's listeners (or the one its sectionName names) of
a matching protocol and port, that allows the route's namespace and kind, gives the route
every hostname of its own that overlaps the listener's hostname (the more specific of the
two, `*.` matching any deeper name). The targets are the Gateway's `target` annotation, or
else its `status.addresses`. `resolve` says, for a route that gets no name, why.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dnsgate import annotations as dns_annotations
from dnsgate import labels, objectkey, txtname
from dnsgate.domains import DomainFilter
from dnsgate.values import Problem

GROUP = "gateway.networking.k8s.io"
GATEWAY = "Gateway"
LISTENER_SET = "ListenerSet"
HOSTNAME_SOURCE = "gateway-hostname-source"
ANNOTATION_ONLY = "annotation-only"
DEFINED_HOSTS_ONLY = "defined-hosts-only"

HTTPROUTE, GRPCROUTE, TLSROUTE = objectkey.HTTPROUTE, objectkey.GRPCROUTE, objectkey.TLSROUTE
TCPROUTE, UDPROUTE = objectkey.TCPROUTE, objectkey.UDPROUTE
ROUTE_KINDS = objectkey.ROUTE_KINDS
SOURCES: Mapping[str, objectkey.Kind] = {kind.source_name: kind for kind in ROUTE_KINDS}
"""--source value -> the route kind it publishes, as ExternalDNS names its sources."""

# The protocol ExternalDNS gives each route kind, matched against a listener's protocol.
_PROTOCOL = {HTTPROUTE.name: "HTTP", GRPCROUTE.name: "HTTP", TLSROUTE.name: "TLS",
             TCPROUTE.name: "TCP", UDPROUTE.name: "UDP"}
_HOSTNAMED = frozenset({HTTPROUTE.name, GRPCROUTE.name, TLSROUTE.name})
"""Kinds with `spec.hostnames`; TCP and UDP routes name theirs only by annotation."""

GatewayKey = tuple[str, str]  # (namespace, name)
RESOLVED = "dnsgate.io/resolved"
"""Where a route copy carries its `Resolution` (`with_resolution`), so the per-object rules
(`parse`, the claims, the reconciler's records) read a route alone, as they read a Service."""
NAMES_FIELD = "spec.hostnames, the hostname annotation or the listeners' hostnames"


@dataclass(frozen=True)
class GatewaySettings:
    """ExternalDNS's Gateway flags, as the reconciler and the webhook both read them."""

    name: str = ""
    """--gateway-name: only Gateways of this name attach routes; empty: any."""
    namespace: str = ""
    """--gateway-namespace: only Gateways in this namespace; empty: every one."""
    label_filter: str = ""
    """--gateway-label-filter: only Gateways whose labels match this selector."""


DEFAULT = GatewaySettings()


@dataclass(frozen=True)
class View:
    """What routes resolve against: the Gateways dnsgate watches (keyed (namespace, name), as
    `slim_gateway` keeps them) and the labels of namespaces (for `allowedRoutes` selectors)."""

    gateways: Mapping[GatewayKey, Mapping[str, Any]] = field(default_factory=dict)
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Resolution:
    hosts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """host -> its targets (sorted, unique), for each host that gets a record."""
    reasons: tuple[str, ...] = ()
    """Why parents gave no record (empty when every parent gave one)."""
    unwatched: bool = False
    """No host, only because every parent is a Gateway the Gateway flags leave out (or one
    not there): the route says nothing about its records then (docs/deletes.md)."""

    def targets(self) -> dict[str, tuple[str, ...]]:
        return dict(self.hosts)


def kind_of_source(source: str) -> objectkey.Kind | None:
    return SOURCES.get(source)


def is_route(obj: Mapping[str, Any]) -> bool:
    return str(obj.get("kind") or "") in _PROTOCOL


def route_names(route: Mapping[str, Any], *, ignore_hostname_annotation: bool = False
                ) -> tuple[str, ...]:
    """The names a route asks for by itself, before any Gateway is known: ExternalDNS's
    order (the route's `spec.hostnames`, then the hostname annotation, as the
    `gateway-hostname-source` annotation chooses), empty names left out."""
    return tuple(name for name in _hostnames(route, ignore_hostname_annotation) if name)


def _hostnames(route: Mapping[str, Any], ignore_annotation: bool) -> list[str]:
    """ExternalDNS's resolveHostnames: "" stands for "each listener's hostname"."""
    spec_names = _spec_hostnames(route)
    notes = _annotations(route)
    source = dns_annotations.find(notes, HOSTNAME_SOURCE)
    chosen = source.value.lower() if source is not None else ""
    if chosen == ANNOTATION_ONLY:
        # Empty entries are kept here: ExternalDNS then matches them to listeners' names.
        return [] if ignore_annotation else _annotated_names(notes)
    if chosen == DEFINED_HOSTS_ONLY:
        return spec_names
    names = list(spec_names)
    if not ignore_annotation:
        names += [name for name in _annotated_names(notes) if name]
    if not spec_names:
        names.append("")
    return names


def _spec_hostnames(route: Mapping[str, Any]) -> list[str]:
    if str(route.get("kind") or "") not in _HOSTNAMED:
        return []
    return [str(name) for name in (route.get("spec") or {}).get("hostnames") or ()]


def _annotated_names(notes: Mapping[str, str]) -> list[str]:
    """ExternalDNS's SplitHostnameAnnotation: spaces removed, split on commas."""
    raw = dns_annotations.find(notes, dns_annotations.HOSTNAME)
    if raw is None:
        return []
    return raw.value.replace(" ", "").strip().split(",")


def parent_gateways(route: Mapping[str, Any]) -> frozenset[GatewayKey]:
    """The Gateways the route's spec.parentRefs name: a change to one of them is a change to
    what the route publishes."""
    namespace = _meta(route).get("namespace") or ""
    return frozenset(
        (_or(ref.get("namespace"), namespace), str(ref.get("name") or ""))
        for ref in _parent_refs(route)
        if _or(ref.get("group"), GROUP) == GROUP and _or(ref.get("kind"), GATEWAY) == GATEWAY)


def resolve(route: Mapping[str, Any], view: View, settings: GatewaySettings = DEFAULT, *,
            ignore_hostname_annotation: bool = False) -> Resolution:
    """The route's hosts and their targets, and why the route's parents gave none."""
    kind = str(route.get("kind") or "")
    if controller_skipped(route):
        return Resolution(reasons=(_controller_reason(route),))
    # Each name once: a repeated one adds nothing (ExternalDNS dedupes the targets it adds
    # again), and the hostname annotation may repeat "" 200,000 times under annotation-only.
    names = list(dict.fromkeys(_hostnames(route, ignore_hostname_annotation)))
    refs = _parent_refs(route)
    if not refs:
        return Resolution(reasons=(f"{kind} names no parent Gateway (spec.parentRefs is "
                                   "empty)",))
    found: dict[str, list[str]] = {}
    reasons: list[str] = []
    unwatched = True  # every parent's reason is a Gateway the settings leave out
    parents = ((route.get("status") or {}).get("parents")) or ()
    for status in parents:
        if not isinstance(status, Mapping):
            continue
        reason, left_out = _attach(route, kind, names, refs, status, view, settings, found)
        if reason:
            reasons.append(reason)
            unwatched &= left_out
    if not parents:
        reasons.append(f"no Gateway has accepted the {kind} yet: its status.parents is empty "
                       "(the gateway controller writes it)")
    else:
        pending = _pending(route, refs, parents)
        reasons += pending
        unwatched &= not pending  # a Gateway yet to accept it is no setting's doing
    published = _published_names(found)
    hosts = tuple((host, tuple(sorted(targets))) for host, targets in published.items()
                  if targets)
    for host, targets in published.items():
        if not targets:
            reasons.append(f"{host}: the Gateways it matched have no address yet "
                           "(status.addresses is empty and no target annotation)")
            unwatched = False  # a watched Gateway that matched: no setting's doing
    if not hosts and not reasons:
        reasons.append(f"no hostname to publish: {kind} names none and no listener has one")
    return Resolution(hosts, tuple(dict.fromkeys(reasons)),
                      unwatched=not hosts and bool(reasons) and unwatched and bool(parents))


def _published_names(found: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    """Hosts as ExternalDNS's endpoints name them: a matched `t.example.com.` (a hostname
    annotation may end in a dot) becomes the record `t.example.com`, its targets joined with
    those the same name got without the dot (v0.23.0 merges the two equal endpoints)."""
    published: dict[str, set[str]] = {}
    for host, targets in found.items():
        published.setdefault(host.removesuffix("."), set()).update(targets)
    return published


def _attach(route: Mapping[str, Any], kind: str, names: Sequence[str],
            refs: Sequence[Mapping[str, Any]], status: Mapping[str, Any], view: View,
            settings: GatewaySettings, found: dict[str, list[str]]) -> tuple[str, bool]:
    """One `status.parents` entry: its listeners' hosts added to `found`, or why none was,
    and whether that is only because the Gateway is one the settings leave out (or gone)."""
    meta = _meta(route)
    ref = status.get("parentRef") or {}
    namespace = _or(ref.get("namespace"), str(meta.get("namespace") or ""))
    name = str(ref.get("name") or "")
    if not _in_spec(refs, ref, str(meta.get("namespace") or "")):
        return "", False  # a parent the route no longer names: ExternalDNS passes over it
    group, parent_kind = _or(ref.get("group"), GROUP), _or(ref.get("kind"), GATEWAY)
    if group != GROUP or parent_kind != GATEWAY:
        return (f"parent {parent_kind} {namespace}/{name} ({group}) is not a Gateway; dnsgate "
                "reads Gateways only"), False
    gateway = view.gateways.get((namespace, name))
    if gateway is None or not gateway_selected(gateway, settings):
        return (f"Gateway {namespace}/{name} is not one dnsgate watches (it does not exist, or "
                "--gateway-namespace, --gateway-label-filter or its controller annotation "
                "leave it out)"), True
    if settings.name and settings.name != name:
        return f"Gateway {namespace}/{name} is not --gateway-name={settings.name}", True
    if not _accepted(status):
        return (f"Gateway {namespace}/{name} has not accepted it (status.parents: condition "
                "Accepted is not True)"), False
    section = str(ref.get("sectionName") or "")
    listeners = [lis for lis in _listeners(gateway)
                 if not section or str(lis.get("name") or "") == section]
    if not listeners:
        return (f"Gateway {namespace}/{name} has no listener named {section!r}" if section
                else f"Gateway {namespace}/{name} has no listeners"), False
    targets = _targets(gateway)
    matched = False
    for listener in listeners:
        if not _fits(route, kind, ref, listener, namespace, view):
            continue
        listener_host = str(listener.get("hostname") or "")
        for name_asked in names:
            if not listener_host and not name_asked:
                continue
            host = matching_host(listener_host, name_asked)
            if host is None:
                continue
            found.setdefault(host, []).extend(targets)
            matched = True
    if matched:
        return "", False
    asked = ", ".join(n for n in names if n) or "(none: the listeners' own)"
    where = f"listener {section!r}" if section else "no listener"
    return (f"{where} of Gateway {namespace}/{name} matches the {kind}'s hostnames {asked} "
            "(protocol, port, allowedRoutes and hostname must all fit)"), False


def _fits(route: Mapping[str, Any], kind: str, ref: Mapping[str, Any],
          listener: Mapping[str, Any], owner_namespace: str, view: View) -> bool:
    """Protocol, port (when the parentRef names one) and allowedRoutes."""
    if not protocols_match(_PROTOCOL.get(kind, ""), str(listener.get("protocol") or "")):
        return False
    port = ref.get("port")
    if port is not None and port != listener.get("port"):
        return False
    return route_allowed(route, kind, listener, owner_namespace, view)


def protocols_match(route: str, listener: str) -> bool:
    """ExternalDNS's rule: HTTPS counts as HTTP, and a TCP route fits a TLS listener."""
    route = "HTTP" if route == "HTTPS" else route
    listener = "HTTP" if listener == "HTTPS" else listener
    if route == "TCP" and listener == "TLS":
        listener = "TCP"
    return route == listener


def route_allowed(route: Mapping[str, Any], kind: str, listener: Mapping[str, Any],
                  owner_namespace: str, view: View) -> bool:
    """The listener's allowedRoutes: the route's namespace (Same by default), then kinds."""
    namespace = str(_meta(route).get("namespace") or "")
    allowed = listener.get("allowedRoutes") or {}
    namespaces = allowed.get("namespaces") or {}
    origin = str(namespaces.get("from") or "Same")
    if origin == "Same" and owner_namespace != namespace:
        return False
    if origin == "Selector":
        selector = selector_of(namespaces.get("selector"))
        if selector is None or namespace not in view.namespace_labels:
            return False
        if not selector.matches(view.namespace_labels[namespace]):
            return False
    elif origin not in ("All", "Same"):
        return False
    kinds = allowed.get("kinds") or ()
    return not kinds or any(
        _or(k.get("group"), GROUP) == GROUP and str(k.get("kind") or "") == kind
        for k in kinds if isinstance(k, Mapping))


def selector_of(selector: Any) -> labels.Selector | None:
    """apimachinery's LabelSelectorAsSelector: None (no selector, or an invalid one) matches
    nothing; an empty selector matches everything."""
    if not isinstance(selector, Mapping):
        return None
    requirements: list[labels.Requirement] = []
    for key, value in sorted((selector.get("matchLabels") or {}).items()):
        requirements.append(labels.Requirement(str(key), "=", (str(value),)))
    operators = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expression in selector.get("matchExpressions") or ():
        operator = operators.get(str((expression or {}).get("operator") or ""))
        values = tuple(str(v) for v in (expression.get("values") or ()))
        if operator is None or (operator in ("in", "notin")) != bool(values):
            return None
        requirements.append(labels.Requirement(str(expression.get("key") or ""), operator,
                                               values))
    return labels.Selector("", tuple(requirements))


def matching_host(listener: str, route: str) -> str | None:
    """ExternalDNS's gwMatchingHost: the more specific of two overlapping hostnames, or None.
    "" matches anything; `*.example.com` matches any name below example.com (not itself)."""
    a, b = _canonical(listener), _canonical(route)
    if a is None or b is None:
        return None
    if not a:
        return b
    if not b or a == b:
        return a
    if len(b) < len(a) or (len(a) == len(b) and b.startswith("*.")):
        a, b = b, a
    if a.startswith("*.") and b.endswith(a[1:]):
        return b
    return None


# A route may ask for thousands of names (its hostname annotation), each matched against every
# fitting listener: remembering each name's canonical form keeps that a lookup, not a parse.
@functools.lru_cache(maxsize=16384)
def _canonical(host: str) -> str | None:
    """ExternalDNS's gwHost: lower-cased ASCII, or None for an IP address or a name that is
    not an RFC 1123 domain (after an optional `*.`)."""
    if not host:
        return ""
    if _is_address(host) or not _dns1123_domain(host.removeprefix("*.")):
        return None
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in host)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _dns1123_domain(text: str) -> bool:
    """ExternalDNS's isDNS1123Domain, whose label loop ends when nothing follows the last
    dot: one trailing dot passes (`t.example.com.`), two do not."""
    if not 0 < len(text) <= 255:
        return False
    body = text.removesuffix(".")
    return bool(body) and all(_dns1123_label(label) for label in body.split("."))


def _dns1123_label(label: str) -> bool:
    if not 0 < len(label) <= 63:
        return False
    alnum = _alnum(label[0]) and _alnum(label[-1])
    return alnum and all(c == "-" or _alnum(c) for c in label[1:-1])


def _alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def gateway_selected(gateway: Mapping[str, Any], settings: GatewaySettings) -> bool:
    """--gateway-namespace, --gateway-label-filter and the controller annotation."""
    meta = _meta(gateway)
    if settings.namespace and meta.get("namespace") != settings.namespace:
        return False
    if settings.label_filter and not labels.parse(settings.label_filter).matches(
            meta.get("labels") or {}):
        return False
    return not controller_skipped(gateway)


def controller_skipped(obj: Mapping[str, Any]) -> bool:
    """ExternalDNS skips an object whose controller annotation names another controller."""
    raw = dns_annotations.find(_annotations(obj), dns_annotations.CONTROLLER)
    return raw is not None and raw.value != dns_annotations.CONTROLLER_VALUE


def _controller_reason(obj: Mapping[str, Any]) -> str:
    raw = dns_annotations.find(_annotations(obj), dns_annotations.CONTROLLER)
    value = raw.value if raw is not None else ""
    return (f"its {dns_annotations.CONTROLLER} annotation is {value!r}, not "
            f"{dns_annotations.CONTROLLER_VALUE!r}, so ExternalDNS and dnsgate leave it alone")


def _targets(gateway: Mapping[str, Any]) -> list[str]:
    """The Gateway's target annotation (spaces removed, trailing dots cut), else every
    `status.addresses[].value`."""
    raw = dns_annotations.find(_annotations(gateway), dns_annotations.TARGET)
    if raw is not None and raw.value:
        return [t.removesuffix(".") for t in raw.value.replace(" ", "").strip().split(",")]
    addresses = (gateway.get("status") or {}).get("addresses") or ()
    return [str(a.get("value")) for a in addresses
            if isinstance(a, Mapping) and a.get("value") is not None]


def _accepted(status: Mapping[str, Any]) -> bool:
    for condition in status.get("conditions") or ():
        if isinstance(condition, Mapping) and condition.get("type") == "Accepted":
            return condition.get("status") == "True"
    return False


def _in_spec(refs: Iterable[Mapping[str, Any]], ref: Mapping[str, Any], namespace: str) -> bool:
    """ExternalDNS's gwRouteHasParentRef: group, kind, namespace and name (not section or
    port) of a status entry's parentRef match one in the route's spec."""
    return _identity(ref, namespace) in {_identity(r, namespace) for r in refs}


def _identity(ref: Mapping[str, Any], namespace: str) -> tuple[str, str, str, str]:
    return (_or(ref.get("group"), GROUP), _or(ref.get("kind"), GATEWAY),
            _or(ref.get("namespace"), namespace), str(ref.get("name") or ""))


def _pending(route: Mapping[str, Any], refs: Sequence[Mapping[str, Any]],
             parents: Iterable[Any]) -> list[str]:
    """The Gateways the spec names that status.parents has no entry for yet (a route moved
    to another Gateway keeps the old one's entry until the controllers rewrite it)."""
    namespace = str(_meta(route).get("namespace") or "")
    reported = {_identity(entry.get("parentRef") or {}, namespace) for entry in parents
                if isinstance(entry, Mapping)}
    kind = str(route.get("kind") or "")
    reasons = []
    for group, parent_kind, ref_namespace, name in dict.fromkeys(
            _identity(ref, namespace) for ref in refs):
        if (group, parent_kind, ref_namespace, name) in reported or (
                group, parent_kind) != (GROUP, GATEWAY):
            continue
        reasons.append(f"Gateway {ref_namespace}/{name} has not accepted it yet: the {kind}'s "
                       "status.parents has no entry for it (the gateway controller writes it)")
    return reasons


def _listeners(gateway: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [lis for lis in (gateway.get("spec") or {}).get("listeners") or ()
            if isinstance(lis, Mapping)]


def _parent_refs(route: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The spec's parentRefs; none when a body sent to the webhook holds no list there."""
    refs = (route.get("spec") or {}).get("parentRefs")
    return [ref for ref in refs if isinstance(ref, Mapping)] if isinstance(refs, list) else []


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return _meta(obj).get("annotations") or {}


def _or(value: Any, default: str) -> str:
    """ExternalDNS's strVal: nil or empty is the default."""
    return str(value) if value else default


_KEPT_META = ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
              "deletionTimestamp", "labels")


def _slim_meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = _meta(obj)
    kept = {name: meta[name] for name in _KEPT_META if name in meta}
    notes = meta.get("annotations")
    if notes:
        kept["annotations"] = {k: v for k, v in notes.items()
                               if k != "kubectl.kubernetes.io/last-applied-configuration"}
    return kept


def slim_route(route: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The part of a route dnsgate reads, marked with its kind (list items carry none): its
    rules and backends are most of its JSON and say nothing about names."""
    spec = route.get("spec") or {}
    parents = [{"parentRef": entry.get("parentRef") or {},
                "conditions": [{"type": c.get("type"), "status": c.get("status")}
                               for c in entry.get("conditions") or ()
                               if isinstance(c, Mapping)]}
               for entry in (route.get("status") or {}).get("parents") or ()
               if isinstance(entry, Mapping)]
    kept_spec = {"parentRefs": list(spec.get("parentRefs") or ())}
    if spec.get("hostnames"):
        kept_spec["hostnames"] = list(spec["hostnames"])
    return {"kind": kind, "metadata": _slim_meta(route), "spec": kept_spec,
            "status": {"parents": parents}}


def slim_gateway(gateway: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a Gateway routes resolve against: listeners and addresses."""
    listeners = [{k: lis[k] for k in ("name", "hostname", "port", "protocol", "allowedRoutes")
                  if k in lis} for lis in _listeners(gateway)]
    addresses = (gateway.get("status") or {}).get("addresses") or ()
    return {"kind": GATEWAY, "metadata": _slim_meta(gateway),
            "spec": {"listeners": listeners}, "status": {"addresses": list(addresses)}}


def serving_key(route: Mapping[str, Any], parsed: dns_annotations.Parsed) -> str:
    """What routes serving one host together share (`dnsgate.claims.together`): the Gateways
    their spec names and the TTL they ask for (the set identifier is part of the row)."""
    ttl = parsed.dns.ttl if parsed.dns is not None else None
    return json.dumps([sorted(parent_gateways(route)), ttl])


def with_resolution(route: Mapping[str, Any], view: View,
                    settings: GatewaySettings = DEFAULT) -> dict[str, Any]:
    """A copy of the route carrying what it resolves to against `view`."""
    resolved = resolve(route, view, settings)
    return {**route, RESOLVED: {"hosts": [[host, list(targets)] for host, targets in
                                          resolved.hosts],
                                "reasons": list(resolved.reasons),
                                "unwatched": resolved.unwatched}}


def resolution_of(route: Mapping[str, Any]) -> Resolution | None:
    """What `with_resolution` put on the route; None on a route never resolved (one being
    reviewed at the door, before any Gateway has attached it)."""
    carried = route.get(RESOLVED)
    if not isinstance(carried, Mapping):
        return None
    return Resolution(tuple((str(host), tuple(targets)) for host, targets in carried["hosts"]),
                      tuple(carried["reasons"]), bool(carried.get("unwatched")))


def addresses(route: Mapping[str, Any]) -> tuple[str, ...]:
    """Every target the route's hosts point at (for the ownership TXT names' record types)."""
    resolved = resolution_of(route)
    if resolved is None:
        return ()
    return tuple(dict.fromkeys(t for _, targets in resolved.hosts for t in targets))


def parse(route: Mapping[str, Any], domains: DomainFilter,
          txt: txtname.Naming = txtname.DEFAULT) -> dns_annotations.Parsed:
    """The route's names and DNS annotations, checked by the rules Services follow. The names
    are the hosts its Gateways give it when it carries a resolution, else those it asks for
    by itself. A name from its spec or a listener outside --domain-filter is left out
    silently, as ExternalDNS's domain filter leaves it; one from the hostname annotation is
    refused, as on a Service. Annotations ExternalDNS does not read on a route are refused,
    so that they do not look honoured."""
    notes = dict(_annotations(route))
    kind = str(route.get("kind") or "route")
    # Taken off before the Service rules run, so their values under the two prefixes are
    # compared here, as the Service rules compare every other key's.
    problems = [conflict for key in (dns_annotations.HOSTNAME, HOSTNAME_SOURCE)
                if (conflict := dns_annotations.prefix_conflict(notes, key)) is not None]
    source = dns_annotations.find(notes, HOSTNAME_SOURCE)
    if source is not None and source.value.lower() not in (ANNOTATION_ONLY, DEFINED_HOSTS_ONLY):
        problems.append(Problem(
            source.key, source.value,
            f"is neither {ANNOTATION_ONLY} nor {DEFINED_HOSTS_ONLY}; ExternalDNS would "
            "ignore it and publish both the spec's and the annotation's names; use one of the "
            "two, or remove it", "gateway-hostname-source"))
    for key, why in ((dns_annotations.TARGET, "ExternalDNS reads the target annotation on the "
                      "Gateway, not on a route: put it on the Gateway, or remove it"),
                     (dns_annotations.INTERNAL_HOSTNAME, "applies to Services only: "
                      "ExternalDNS's route sources do not read it; name the hosts in "
                      "spec.hostnames or in the hostname annotation")):
        found = dns_annotations.find(notes, key)
        if found is not None:
            problems.append(Problem(found.key, found.value, f"on a {kind}: {why}",
                                    f"route-{key}"))
        for prefix in dns_annotations.PREFIXES:
            notes.pop(prefix + key, None)
    annotated = {name.rstrip(".").lower() for name in _annotated_names(notes) if name}
    resolved = resolution_of(route)
    names = ([host for host, _ in resolved.hosts] if resolved is not None
             else list(route_names(route)))
    kept = tuple(name for name in names if name.rstrip(".").lower() in annotated
                 or domains.rejection(name.rstrip(".")) is None)
    for prefix in dns_annotations.PREFIXES:
        notes.pop(prefix + dns_annotations.HOSTNAME, None)
        notes.pop(prefix + HOSTNAME_SOURCE, None)
    parsed = dns_annotations.parse(notes, domains, txt, addresses(route), hosts=kept,
                                   hosts_field=NAMES_FIELD)
    hostname = dns_annotations.find(_annotations(route), dns_annotations.HOSTNAME)
    if hostname is not None and any(p.annotation == NAMES_FIELD for p in parsed.problems):
        # A name only the annotation asks for is refused naming the annotation.
        parsed = replace(parsed, problems=tuple(
            replace(p, annotation=hostname.key) if p.annotation == NAMES_FIELD
            and p.value.rstrip(".").lower() in annotated - {
                n.rstrip(".").lower() for n in _spec_hostnames(route)} else p
            for p in parsed.problems))
    if not problems or parsed.ignored:
        return parsed
    return dns_annotations.Parsed(None, (*problems, *parsed.problems), parsed.warnings,
                                  parsed.hostnames, parsed.set_identifier)
