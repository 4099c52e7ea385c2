"""Desired record sets from Services (docs/annotations.md), Ingresses (docs/ingress.md) and
Gateway API routes (docs/gateway-api.md), decided purely from the objects; `dnsgate.watch`
keeps those objects current (`dnsgate.routewatch` hands routes out resolved). An Ingress
goes through the same steps as a Service, with its names and targets from
`dnsgate.ingress`, a route with its hosts and each host's targets from `dnsgate.gateway`;
everything below that says Service holds for an Ingress and a route too.

Targets per Service type come from `dnsgate.service_types` (the target annotation, else the
load balancer's addresses, the cluster IP, or the external name); IPv4 -> A, IPv6 -> AAAA,
a hostname -> CNAME, or an A and an AAAA alias when `reconciler.alias` says so
(docs/route53-alias.md). Annotations go through `dnsgate.annotations.parse`, the rules the
webhook enforces, with the registry's TXT naming: a Service with any problem produces no
records at all and is reported, never half-applied. Every Service in every namespace is held
to the same claim rules, also those the webhook never sees (its own namespace,
kube-system): claims come from `dnsgate.claims.of_service`, and contested names are settled
by `dnsgate.claims.winners`, which gives a record set (name, set identifier) to the Service
its ownership TXT of that record set already names (`holders`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from dnsgate import annotations as dns_annotations
from dnsgate import (
    claims,
    domainpolicy,
    gateway,
    ingress,
    objectkey,
    service_types,
    txtname,
)
from dnsgate.annotations import DNSAnnotations
from dnsgate.watch import Service
from reconciler import alias, endpoint
from reconciler.endpoint import Endpoint
from reconciler.settings import SourceSettings


@dataclass(frozen=True)
class ServiceRecords:
    """What one Service asks for: its record sets, or the problems that stop it."""

    service: str  # the key, `dnsgate.objectkey`: "service/ns/name"
    created: str
    endpoints: tuple[Endpoint, ...] = ()
    problems: tuple[str, ...] = ()
    set_identifier: str | None = None
    refused_by_policy: bool = False
    """A name is outside the domains its namespace may use (docs/namespace-domains.md)."""
    undecided: bool = False
    """Refused only because its namespace's labels are not known (a Namespace list that
    missed it): no change of the object, so no reason to delete (docs/deletes.md)."""
    withheld: frozenset[str] = frozenset()
    """Names the object asks for that a setting gives no record now (--ignore-ingress-rules-spec,
    --ignore-ingress-tls-spec, --publish-internal-services off): a restart with such a flag
    changed nothing in the object, so it is no reason to delete (docs/deletes.md)."""
    publishes: bool = False
    """It is of a kind and class dnsgate publishes and carries DNS annotations (or is an
    Ingress or a route): under the current settings it speaks for its records
    (`reconciler.witness`)."""
    unresolved: tuple[str, ...] = ()
    """A route's reasons some or all of its names get no record (not accepted by any
    Gateway, no listener matching, a Gateway without an address: `dnsgate.gateway`). A
    route publishes whether or not it resolves to a host, unless only the Gateway flags
    leave it without one (`dnsgate.gateway.Resolution.unwatched`)."""


@dataclass(frozen=True)
class Conflict:
    service: str
    hostname: str
    holder: str
    holds: bool = False  # the holder keeps it because its ownership TXT names it
    shares: str | None = None
    """The holder's name when it is another whose ownership TXT names coincide (`*.<zone>`
    and the wildcard replacement's `wild.<zone>`)."""


@dataclass(frozen=True)
class Desired:
    endpoints: tuple[Endpoint, ...]
    services: tuple[ServiceRecords, ...]
    conflicts: tuple[Conflict, ...]


Holders = Mapping[claims.Row, frozenset[str]]  # row -> the keys its TXTs' resource labels name


def records(service: Service, settings: SourceSettings,
            naming: txtname.Naming = txtname.DEFAULT,
            policy: domainpolicy.Enforcement = domainpolicy.UNENFORCED) -> ServiceRecords:
    """What one Service asks for (its claims aside)."""
    return _read(service, settings, naming, policy)[0]


def _read(service: Service, settings: SourceSettings, naming: txtname.Naming,
          policy: domainpolicy.Enforcement = domainpolicy.UNENFORCED
          ) -> tuple[ServiceRecords, dns_annotations.Parsed | None]:
    """The Service's records, and its annotations parsed (once) when it may publish."""
    meta = service.get("metadata", {})
    key, created = objectkey.of(service), str(meta.get("creationTimestamp", ""))
    spoken = ingress.is_ingress(service) or gateway.is_route(service)
    if not claims.would_publish(service, settings.ingress) or not (
            spoken or dns_annotations.has_dns_annotations(meta.get("annotations"))):
        return ServiceRecords(key, created), None
    result, parsed = _published(service, key, created, settings, naming, policy)
    resolved = gateway.resolution_of(service)
    if resolved is None:
        return replace(result, publishes=True), parsed
    # A route left without a host only because the Gateway flags leave its Gateways out (or
    # they are gone) does not speak for its records, as a Service a narrower --domain-filter
    # silences: a restart with narrower flags deletes nothing unseen; seen to lose its hosts
    # while this process runs, it did change (docs/deletes.md). A route detached by its
    # Gateway (not accepted, parentRef removed) still speaks: its records go.
    return replace(result, publishes=not resolved.unwatched,
                   unresolved=resolved.reasons), parsed


def _published(service: Service, key: str, created: str, settings: SourceSettings,
               naming: txtname.Naming, policy: domainpolicy.Enforcement
               ) -> tuple[ServiceRecords, dns_annotations.Parsed]:
    """`_read` for an object dnsgate publishes."""
    is_ingress = ingress.is_ingress(service)
    parsed = claims.parse(service, settings.domains, naming, settings.ingress, policy)
    if parsed.problems:
        refused = any(p.rule == domainpolicy.RULE for p in parsed.problems)
        namespace = objectkey.parse(key)
        undecided = refused and namespace is not None and (
            policy.grant(namespace.namespace).labels_unknown)
        return ServiceRecords(key, created, problems=tuple(str(p) for p in parsed.problems),
                              refused_by_policy=refused, undecided=undecided), parsed
    dns = parsed.dns
    if dns is None:
        return ServiceRecords(key, created), parsed
    withheld: frozenset[str] = frozenset()
    if gateway.is_route(service):
        return _route_records(service, key, created, dns, settings), parsed
    if is_ingress:
        wanted = service_types.Targets(dns.targets or ingress.addresses(service))
        withheld = _names(ingress.spec_hosts(service, ingress.DEFAULT)) - _names(
            ingress.spec_hosts(service, settings.ingress))
    else:
        type_problems, _ = service_types.rules(dns, service.get("spec") or {})
        if type_problems:
            return (ServiceRecords(key, created, problems=tuple(str(p) for p in type_problems)),
                    parsed)
        wanted = service_types.targets(service, dns, publish_internal=settings.publish_internal)
        if not wanted.public and service_types.targets(service, dns,
                                                       publish_internal=True).public:
            withheld = _names(dns.hostnames)
    made: list[Endpoint] = []
    for names, targets in ((dns.hostnames, wanted.public), (dns.internal_hostnames,
                                                           wanted.internal)):
        typed = _record_sets(targets, dns, settings.aliases) if names else []
        if isinstance(typed, str):
            return ServiceRecords(key, created, problems=(typed,)), parsed
        made += [
            endpoint.make(name, record_type, values, ttl=ttl,
                          set_identifier=dns.set_identifier, properties=properties,
                          labels={endpoint.RESOURCE: key}, zone_id=dns.hosted_zone_id or "")
            for name in names for record_type, values, properties, ttl in typed]
    return ServiceRecords(key, created, tuple(made), set_identifier=dns.set_identifier,
                          withheld=withheld), parsed


def _route_records(route: Service, key: str, created: str, dns: DNSAnnotations,
                   settings: SourceSettings) -> ServiceRecords:
    """A route's record sets: each host points at the targets of the Gateways that gave it
    (hosts of one route may have different Gateways, so each is typed on its own), with
    the route's own TTL, set identifier and routing annotations (docs/gateway-api.md)."""
    resolved = gateway.resolution_of(route)
    targets = {host.rstrip(".").lower(): found for host, found in
               (resolved.hosts if resolved is not None else ())}
    made: list[Endpoint] = []
    for name in dns.hostnames:
        typed = _record_sets(targets.get(name.rstrip(".").lower(), ()), dns, settings.aliases)
        if isinstance(typed, str):
            return ServiceRecords(key, created, problems=(f"{name}: {typed}",))
        made += [endpoint.make(name, record_type, values, ttl=ttl,
                               set_identifier=dns.set_identifier, properties=properties,
                               labels={endpoint.RESOURCE: key},
                               zone_id=dns.hosted_zone_id or "")
                 for record_type, values, properties, ttl in typed]
    return ServiceRecords(key, created, tuple(made), set_identifier=dns.set_identifier)


def _names(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.rstrip(".").lower() for name in names)


RecordSet = tuple[str, list[str], dict[str, str], int | None]


def _record_sets(targets: Iterable[str], dns: DNSAnnotations,
                 aliases: alias.AliasSettings) -> list[RecordSet] | str:
    """(type, values, properties, TTL) of the record sets one name gets, or the problem that
    stops them: IPv4 -> A, IPv6 -> AAAA, a hostname -> CNAME, or an A and an AAAA alias."""
    by_type: dict[str, list[str]] = {}
    for target in filter(None, targets):
        record_type, value = _typed(target)
        by_type.setdefault(record_type, []).append(value)
    hostnames = by_type.pop(endpoint.CNAME, [])
    routing = _routing(dns)
    if hostnames and by_type:
        return (f"the targets mix IP addresses ({_listed(by_type)}) and hostnames "
                f"({', '.join(hostnames)}): Route53 allows no CNAME or alias beside A or AAAA "
                f"records of the same name; set {dns.prefix}{dns_annotations.TARGET} to the "
                "addresses or to one hostname")
    if len(hostnames) > 1:
        return (f"the targets are several hostnames ({', '.join(hostnames)}): a CNAME or an "
                f"alias holds exactly one; set {dns.prefix}{dns_annotations.TARGET} to one "
                "of them")
    if hostnames and alias.wanted(hostnames[0], annotated=dns.alias, settings=aliases):
        if dns.multi_value_answer:
            return (f"{hostnames[0]} becomes a Route53 alias, and Route53 has no multivalue "
                    f"answer alias records; remove {dns.prefix}"
                    f"{dns_annotations.AWS_MULTI_VALUE_ANSWER}")
        properties = {**routing, **alias.properties(dns.aws_evaluate_target_health, aliases)}
        if dns.target_hosted_zone is not None:
            properties[endpoint.TARGET_HOSTED_ZONE] = dns.target_hosted_zone
        return [(kind, hostnames, properties, alias.ALIAS_TTL) for kind in alias.ALIAS_TYPES]
    if hostnames:
        return [(endpoint.CNAME, hostnames, routing, dns.ttl)]
    if dns.alias and by_type:
        return (f"{dns.prefix}{dns_annotations.ALIAS} asks for a Route53 alias, but the "
                f"targets are IP addresses ({_listed(by_type)}); an alias points at a DNS "
                "name; remove the alias annotation")
    return [(kind, values, routing, dns.ttl) for kind, values in sorted(by_type.items())]


def _listed(by_type: dict[str, list[str]]) -> str:
    return ", ".join(value for values in by_type.values() for value in values)


def _routing(dns: DNSAnnotations) -> dict[str, str]:
    """Routing properties (with a set-identifier: the annotations refuse them without one)
    and the health check, which ExternalDNS sends with or without a set-identifier."""
    chosen: dict[str, object] = {endpoint.HEALTH_CHECK_ID: dns.aws_health_check_id}
    if dns.set_identifier is not None:
        chosen |= {endpoint.WEIGHT: dns.aws_weight, endpoint.FAILOVER: dns.aws_failover,
                   endpoint.REGION: dns.aws_region, endpoint.GEO_CONTINENT: dns.geo_continent,
                   endpoint.GEO_COUNTRY: dns.geo_country,
                   endpoint.GEO_SUBDIVISION: dns.geo_subdivision,
                   endpoint.MULTI_VALUE_ANSWER: "" if dns.multi_value_answer else None,
                   **(dns.geoproximity.properties() if dns.geoproximity else {})}
    return {k: str(v) for k, v in chosen.items() if v is not None}


def read(service: Service, settings: SourceSettings,
         naming: txtname.Naming = txtname.DEFAULT,
         policy: domainpolicy.Enforcement = domainpolicy.UNENFORCED
         ) -> tuple[ServiceRecords, tuple[claims.Claim, ...]]:
    """What one Service asks for, and the claims it makes (`dnsgate.claims.of_service`), none
    of them marked as holding its name: who holds a name is Route53's to say (`holders`).
    `policy`: the domain policy in force; a name it refuses makes the Service invalid."""
    result, parsed = _read(service, settings, naming, policy)
    return result, (claims.of_service(service, parsed, publish_internal=settings.publish_internal,
                                      ingresses=settings.ingress)
                    if parsed is not None else ())


def desired(services: Iterable[Service], settings: SourceSettings, *,
            naming: txtname.Naming = txtname.DEFAULT, holders: Holders | None = None,
            policy: domainpolicy.Enforcement = domainpolicy.UNENFORCED) -> Desired:
    """Every Service's records, each contested record set given to its holder, else to the
    senior Service (`dnsgate.claims`; names sharing their ownership TXT names are contested
    too). `holders` come from the registry (`holders` below)."""
    holders = holders or {}
    results: list[ServiceRecords] = []
    wanted: list[claims.Claim] = []
    for service in services:
        result, made = read(service, settings, naming, policy)
        results.append(result)
        wanted += (holding(claim, holders) for claim in made)
    results.sort(key=lambda r: r.service)
    _, lost = claims.winners(wanted, txtname.Mapper.named(naming))
    losers = {(loser.service, loser.hostname): holder for loser, holder in lost}
    kept = tuple(
        e for r in results for e in r.endpoints if (r.service, e.dnsname) not in losers)
    # Routes serving a host together publish the keeper's records, which are theirs too: no
    # conflict to report (`dnsgate.claims.together`).
    shared = {(loser.service, loser.hostname) for loser, holder in lost
              if claims.together(loser, holder)}
    conflicts = tuple(conflict(s, h, holder) for (s, h), holder in sorted(losers.items())
                      if (s, h) not in shared)
    return Desired(kept, tuple(results), conflicts)


def conflict(service: str, hostname: str, keeper: claims.Claim) -> Conflict:
    """`service`'s claim on `hostname`, lost to `keeper` (on that name or its namesake)."""
    shares = keeper.hostname if keeper.hostname != hostname else None
    return Conflict(service, hostname, keeper.service, keeper.holds, shares)


def holding(claim: claims.Claim, holders: Holders) -> claims.Claim:
    """The claim, marked as holding its row when that row's ownership TXT names it."""
    holds = claim.service in holders.get(claim.row, frozenset())
    return replace(claim, holds=True) if holds else claim


def holders(records: Iterable[Endpoint], owner_id: str) -> dict[claims.Row, frozenset[str]]:
    """(name, set identifier) -> the Services and Ingresses (their keys) named in that row's
    ownership TXTs under `owner_id`, from records read through the registry (`registry.read`,
    which labels each record with its own TXT's labels: same name, same set identifier)."""
    found: dict[claims.Row, set[str]] = {}
    for record in records:
        labels = dict(record.labels)
        key = claims.claimant(labels.get(endpoint.RESOURCE) or "")
        if labels.get(endpoint.OWNER) == owner_id and key is not None:
            found.setdefault(claims.row(record.dnsname, record.set_identifier), set()).add(key)
    return {at: frozenset(keys) for at, keys in found.items()}


def held_by_service(found: Holders) -> dict[str, tuple[claims.Row, ...]]:
    """key -> the rows it holds, sorted: what is reported on each Service."""
    by_service: dict[str, set[claims.Row]] = {}
    for at, keys in found.items():
        for key in keys:
            by_service.setdefault(key, set()).add(at)
    return {key: tuple(sorted(rows)) for key, rows in by_service.items()}


def _typed(target: str) -> tuple[str, str]:
    """(record type, canonical value): Route53 echoes IPv6 in its compressed form."""
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        return endpoint.CNAME, target.rstrip(".").lower()
    return (endpoint.A if address.version == 4 else endpoint.AAAA), str(address)
