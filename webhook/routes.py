"""The parts of a Gateway API route's review that are the route's own: which field asks for
a name (for the message refusing it) and under which prefixes the default TTL goes. The
rules themselves are `dnsgate.gateway`'s, shared with the reconciler."""

from collections.abc import Callable, Mapping
from typing import Any

from dnsgate import annotations, domains, gateway
from dnsgate.domains import DomainFilter
from dnsgate.values import Raw

SPEC_HOSTNAMES = "spec.hostnames"


def as_written(route: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The route of a request, marked with its kind as the watch cache marks its copies, and
    without any resolution it carries: the hosts a route resolves to are dnsgate's to
    compute (`gateway.with_resolution`), never a body's to say. The apiserver prunes such a
    field from a route; a body sent to the webhook directly could carry anything there."""
    return {**{k: v for k, v in route.items() if k != gateway.RESOLVED}, "kind": kind}


def source_of(route: Mapping[str, Any]) -> Callable[[str], Raw]:
    """Where the route asks for each name: the hostname annotation when it lists the name,
    else `spec.hostnames`."""
    notes = _annotations(route)
    hostname = annotations.find(notes, annotations.HOSTNAME)
    in_annotation = {domains.normalize(entry) for entry in
                     "".join((hostname.value if hostname else "").split()).split(",") if entry}
    spec = Raw(SPEC_HOSTNAMES, ",".join(gateway.route_names(
        route, ignore_hostname_annotation=True)))

    def where(name: str) -> Raw:
        return hostname if hostname is not None and name in in_annotation else spec

    return where


def ttl_prefixes(route: Mapping[str, Any], filter_: DomainFilter) -> list[str]:
    """The prefixes the default TTL is added under: none unless the route asks for a name by
    itself (`gateway.route_names`) that is not left out by --domain-filter; both when its
    spec names one (as for an Ingress's hosts), else those its hostname annotation is
    under. A route naming no host of its own (the listeners' hostnames) gets none: the
    webhook cannot tell here which names its Gateways will give it. One whose controller
    annotation names another controller is not dnsgate's."""
    if gateway.controller_skipped(route):
        return []
    spec = gateway.route_names(route, ignore_hostname_annotation=True)
    if any(filter_.rejection(name.rstrip(".")) is None for name in spec):
        return list(annotations.PREFIXES)
    if len(gateway.route_names(route)) == len(spec):  # the annotation asks for nothing
        return []
    notes = _annotations(route)
    return [p for p in annotations.PREFIXES if p + annotations.HOSTNAME in notes]


def _annotations(route: Mapping[str, Any]) -> Mapping[str, str]:
    return (route.get("metadata") or {}).get("annotations") or {}
