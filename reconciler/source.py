"""Desired record sets from Services (docs/annotations.md), decided purely from the
Service objects; `dnsgate.watch` keeps those objects current.

Only type LoadBalancer Services produce records. Targets come from the target annotation,
else `spec.externalIPs`, else `status.loadBalancer.ingress` (IPv4 -> A, IPv6 -> AAAA,
hostname -> CNAME). Annotations go through `dnsgate.annotations.parse`, the rules the webhook
enforces: a Service with any problem produces no records at all and is reported, never
half-applied. Services contesting a name are settled by `dnsgate.claims.winners`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from dnsgate import annotations as dns_annotations
from dnsgate import claims
from dnsgate.domains import DomainFilter
from dnsgate.watch import Service, service_key
from reconciler import endpoint
from reconciler.endpoint import Endpoint


@dataclass(frozen=True)
class ServiceRecords:
    """What one Service asks for: its record sets, or the problems that stop it."""

    service: str  # "namespace/name"
    created: str
    endpoints: tuple[Endpoint, ...] = ()
    problems: tuple[str, ...] = ()
    set_identifier: str | None = None


@dataclass(frozen=True)
class Conflict:
    service: str
    hostname: str
    holder: str


@dataclass(frozen=True)
class Desired:
    endpoints: tuple[Endpoint, ...]
    services: tuple[ServiceRecords, ...]
    conflicts: tuple[Conflict, ...]


def records(service: Service, domains: DomainFilter) -> ServiceRecords:
    meta = service.get("metadata", {})
    key, created = service_key(service), str(meta.get("creationTimestamp", ""))
    spec = service.get("spec", {})
    if spec.get("type") != "LoadBalancer" or not dns_annotations.has_dns_annotations(
            meta.get("annotations")):
        return ServiceRecords(key, created)
    parsed = dns_annotations.parse(meta.get("annotations"), domains)
    if parsed.problems:
        return ServiceRecords(key, created, problems=tuple(str(p) for p in parsed.problems))
    dns = parsed.dns
    if dns is None:
        return ServiceRecords(key, created)
    targets = dns.targets or tuple(spec.get("externalIPs") or ()) or tuple(
        entry.get("ip") or entry.get("hostname") or ""
        for entry in (service.get("status", {}).get("loadBalancer", {}).get("ingress") or ()))
    by_type: dict[str, list[str]] = {}
    for target in filter(None, targets):
        record_type, value = _typed(target)
        by_type.setdefault(record_type, []).append(value)
    if len(by_type.get(endpoint.CNAME, ())) > 1:
        return ServiceRecords(key, created, problems=(
            f"status.loadBalancer.ingress has hostnames {', '.join(by_type[endpoint.CNAME])}: "
            "a CNAME holds exactly one target; set the target annotation to one of them",))
    properties: dict[str, str] = {}
    if dns.set_identifier is not None:
        routing: dict[str, object] = {endpoint.WEIGHT: dns.aws_weight,
                                      endpoint.FAILOVER: dns.aws_failover,
                                      endpoint.HEALTH_CHECK_ID: dns.aws_health_check_id}
        properties = {k: str(v) for k, v in routing.items() if v is not None}
    made = tuple(
        endpoint.make(hostname, record_type, values, ttl=dns.ttl,
                      set_identifier=dns.set_identifier, properties=properties,
                      labels={endpoint.RESOURCE: f"service/{key}"})
        for hostname in dns.hostnames for record_type, values in sorted(by_type.items()))
    return ServiceRecords(key, created, made, set_identifier=dns.set_identifier)


def desired(services: Iterable[Service], domains: DomainFilter) -> Desired:
    """Every Service's records, with contested names given to the senior Service."""
    results = tuple(sorted((records(s, domains) for s in services), key=lambda r: r.service))
    wanted = [
        claims.Claim(r.created, r.service, hostname, r.set_identifier)
        for r in results for hostname in sorted({e.dnsname for e in r.endpoints})
    ]
    _, lost = claims.winners(wanted)
    losers = {(loser.service, loser.hostname): holder.service for loser, holder in lost}
    kept = tuple(
        e for r in results for e in r.endpoints if (r.service, e.dnsname) not in losers)
    conflicts = tuple(Conflict(s, h, holder) for (s, h), holder in sorted(losers.items()))
    return Desired(kept, results, conflicts)


def _typed(target: str) -> tuple[str, str]:
    """(record type, canonical value): Route53 echoes IPv6 in its compressed form."""
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        return endpoint.CNAME, target.rstrip(".").lower()
    return (endpoint.A if address.version == 4 else endpoint.AAAA), str(address)
