"""Desired record sets from Services (docs/annotations.md), decided purely from the
Service objects; `dnsgate.watch` keeps those objects current.

Only Services that `dnsgate.claims.would_publish` (type LoadBalancer) produce records.
Targets come from the target annotation, else `spec.externalIPs`, else
`status.loadBalancer.ingress` (IPv4 -> A, IPv6 -> AAAA, hostname -> CNAME). Annotations go
through `dnsgate.annotations.parse`, the rules the webhook enforces, with the registry's TXT
naming: a Service with any problem produces no records at all and is reported, never
half-applied. Every Service in every namespace is held to the same claim rules, also those
the webhook never sees (its own namespace, kube-system): claims come from
`dnsgate.claims.of_service`, and contested names are settled by `dnsgate.claims.winners`,
which gives a name to the Service its ownership TXT already names (`holders`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from dnsgate import annotations as dns_annotations
from dnsgate import claims, txtname
from dnsgate.domains import DomainFilter
from dnsgate.watch import Service, service_key
from reconciler import endpoint
from reconciler.endpoint import Endpoint

SERVICE_RESOURCE = "service/"  # the resource label's kind for a Service (docs/annotations.md)


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
    holds: bool = False  # the holder keeps it because its ownership TXT names it


@dataclass(frozen=True)
class Desired:
    endpoints: tuple[Endpoint, ...]
    services: tuple[ServiceRecords, ...]
    conflicts: tuple[Conflict, ...]


Holders = Mapping[str, frozenset[str]]  # hostname -> "namespace/name" of its TXT's resource


def records(service: Service, domains: DomainFilter,
            naming: txtname.Naming = txtname.DEFAULT) -> ServiceRecords:
    """What one Service asks for (its claims aside)."""
    return _read(service, domains, naming)[0]


def _read(service: Service, domains: DomainFilter, naming: txtname.Naming
          ) -> tuple[ServiceRecords, dns_annotations.Parsed | None]:
    """The Service's records, and its annotations parsed (once) when it would publish."""
    meta = service.get("metadata", {})
    key, created = service_key(service), str(meta.get("creationTimestamp", ""))
    if not claims.would_publish(service) or not dns_annotations.has_dns_annotations(
            meta.get("annotations")):
        return ServiceRecords(key, created), None
    parsed = claims.parse(service, domains, naming)
    if parsed.problems:
        return ServiceRecords(key, created, problems=tuple(str(p) for p in parsed.problems)), parsed
    dns = parsed.dns
    if dns is None:
        return ServiceRecords(key, created), parsed
    targets = dns.targets or claims.addresses(service)
    by_type: dict[str, list[str]] = {}
    for target in filter(None, targets):
        record_type, value = _typed(target)
        by_type.setdefault(record_type, []).append(value)
    if len(by_type.get(endpoint.CNAME, ())) > 1:
        return ServiceRecords(key, created, problems=(
            f"status.loadBalancer.ingress has hostnames {', '.join(by_type[endpoint.CNAME])}: "
            "a CNAME holds exactly one target; set the target annotation to one of them",)), parsed
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
    return ServiceRecords(key, created, made, set_identifier=dns.set_identifier), parsed


def read(service: Service, domains: DomainFilter, naming: txtname.Naming = txtname.DEFAULT
         ) -> tuple[ServiceRecords, tuple[claims.Claim, ...]]:
    """What one Service asks for, and the claims it makes (`dnsgate.claims.of_service`), none
    of them marked as holding its name: who holds a name is Route53's to say (`holders`)."""
    result, parsed = _read(service, domains, naming)
    return result, (claims.of_service(service, parsed) if parsed is not None else ())


def desired(services: Iterable[Service], domains: DomainFilter, *,
            naming: txtname.Naming = txtname.DEFAULT, holders: Holders | None = None
            ) -> Desired:
    """Every Service's records, each contested name given to its holder, else to the senior
    Service (`dnsgate.claims`). `holders` come from the registry (`holders` below)."""
    holders = holders or {}
    results: list[ServiceRecords] = []
    wanted: list[claims.Claim] = []
    for service in services:
        result, made = read(service, domains, naming)
        results.append(result)
        wanted += (holding(claim, holders) for claim in made)
    results.sort(key=lambda r: r.service)
    _, lost = claims.winners(wanted)
    losers = {(loser.service, loser.hostname): holder for loser, holder in lost}
    kept = tuple(
        e for r in results for e in r.endpoints if (r.service, e.dnsname) not in losers)
    conflicts = tuple(Conflict(s, h, holder.service, holder.holds)
                      for (s, h), holder in sorted(losers.items()))
    return Desired(kept, tuple(results), conflicts)


def holding(claim: claims.Claim, holders: Holders) -> claims.Claim:
    """The claim, marked as holding its name when the name's ownership TXT names it."""
    holds = claim.service in holders.get(claim.hostname, frozenset())
    return replace(claim, holds=True) if holds else claim


def holders(records: Iterable[Endpoint], owner_id: str) -> dict[str, frozenset[str]]:
    """hostname -> the Services named in its ownership TXTs under `owner_id`, from records
    read through the registry (`registry.read`)."""
    found: dict[str, set[str]] = {}
    for record in records:
        labels = dict(record.labels)
        resource = labels.get(endpoint.RESOURCE) or ""
        if labels.get(endpoint.OWNER) == owner_id and resource.startswith(SERVICE_RESOURCE):
            found.setdefault(record.dnsname, set()).add(resource[len(SERVICE_RESOURCE):])
    return {name: frozenset(services) for name, services in found.items()}


def held_by_service(found: Holders) -> dict[str, tuple[str, ...]]:
    """"namespace/name" -> the names it holds, sorted: what is reported on each Service."""
    by_service: dict[str, set[str]] = {}
    for name, services in found.items():
        for service in services:
            by_service.setdefault(service, set()).add(name)
    return {service: tuple(sorted(names)) for service, names in by_service.items()}


def _typed(target: str) -> tuple[str, str]:
    """(record type, canonical value): Route53 echoes IPv6 in its compressed form."""
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        return endpoint.CNAME, target.rstrip(".").lower()
    return (endpoint.A if address.version == 4 else endpoint.AAAA), str(address)
