"""Who may have a record set: the one rule behind the webhook's hijack check and the
reconciler's tie-break, so both settle a contested name the same way.

Which objects claim names: only a Service whose DNS annotations parse without a problem,
for the names the reconciler would publish for its type (`dnsgate.service_types.published`:
a ClusterIP Service's `hostname` names only with --publish-internal-services). An Ingress
claims the same way, for every name it would publish (`dnsgate.ingress`), if --ingress-class
selects it. `of_service` is the one function that turns a Service or an Ingress into its
claims, for the webhook's index, its review and the reconciler's source alike. A Gateway API
route claims the hosts its Gateways give it (`dnsgate.gateway.with_resolution`), or, before
any Gateway attached it, the names it asks for by itself. Services, Ingresses and routes
share one index, so a name held by one kind cannot be taken by another. A
claimant is named by its key (`dnsgate.objectkey`: "service/<ns>/<name>",
"ingress/<ns>/<name>"), which is also the resource label of its ownership TXT records.

A claim is on one record set: a row (name, set identifier), as ExternalDNS's plan keys its
rows (docs/annotations.md). Two claims conflict when they share a name, unless both carry
set-identifiers and those differ: weighted or failover routing across Services is how
Route53 shares a name on purpose. Among conflicting claims:
1. the holder keeps its row: the claimant that the row's ownership TXT record (same name,
   same set identifier) names in its `resource` label (its record is live, and it is
   dnsgate's under our owner id). Holding one row of a name holds no other row of it: a
   Service whose TXT names it at (www, green) does not hold (www, blue), nor (www) without
   a set identifier. This is ExternalDNS's rule for a row (its plan's PerResource conflict
   resolver: the candidate whose resource the current record names keeps it);
2. between claims of which none holds its row (newcomers), the earliest created wins, ties
   broken by key.
Given the TXT naming, claims on two names whose ownership TXT names coincide conflict as two
claims on one name do (`txtname.Mapper.namesake`: `*.<zone>` and `wild.<zone>` under
--txt-wildcard-replacement `wild`), whatever record types they would get: a Service's types
follow its load balancer's addresses, which change without the Service changing, and the old
format's TXT name carries no type (docs/externaldns-txt-registry.md, "Names two records
share").
So a live record never moves to another Service that asks for its row later, whatever set
identifier that Service held before.

How each side learns the holder. The reconciler reads it from Route53 (the TXT registry) at
every sync. The webhook cannot read Route53; it reads what the reconciler reports on each
Service: the condition `dnsgate.io/DNSNamesHeld` (status True, message the rows whose TXT
names this Service, `held_message`), written by the reconciler after every sync in which it
changes. kube-apiserver never lets a Service's own spec write carry a status, so a user
needs `services/status` rights to forge it. The windows this leaves are described in the
README ("Who gets a contested name"): they can make the webhook refuse a holder re-adding a
name, or admit a claim that then loses, but the reconciler decides from Route53 itself and
never hands a live record to a Service that does not hold it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from dnsgate import annotations as dns_annotations
from dnsgate import (
    domainpolicy,
    domains,
    gateway,
    hostnames,
    ingress,
    objectkey,
    service_types,
    txtname,
)
from dnsgate.domains import DomainFilter
from dnsgate.ingress import IngressSettings
from dnsgate.values import Raw

HELD_CONDITION = "dnsgate.io/DNSNamesHeld"
HELD_REASON = "OwnershipRecordsNameThisService"
HELD_MESSAGE_MAX = 32 * 1024  # bytes: kube-apiserver's cap on a condition's message

Row = tuple[str, str]
"""A record set: (name, set identifier, "" for none), as ExternalDNS's plan keys a row."""


def row(hostname: str, set_identifier: str | None) -> Row:
    return hostname, set_identifier or ""


@dataclass(frozen=True)
class Claim:
    """An object's claim on one record set; `holds` when that row's ownership TXT names it."""

    created: str  # metadata.creationTimestamp (RFC 3339 sorts as text)
    service: str  # the claimant's key, `dnsgate.objectkey`: "service/ns/name"
    hostname: str
    set_identifier: str | None = None
    holds: bool = False
    asked: tuple[str, ...] = field(default=(), compare=False)
    """Every name the claimant asks for, published or not: the domain policy voids all of
    its claims when it refuses any one of them (`parse`), so the webhook, which counts
    claims made without the policy, can tell a claim the reconciler would not honour."""
    together: str = field(default="", compare=False)
    """A route's Gateways and TTL (`gateway.serving_key`): routes with equal keys serve one
    hostname together (`together`); empty for a Service or an Ingress."""

    @property
    def row(self) -> Row:
        return row(self.hostname, self.set_identifier)

    @property
    def precedence(self) -> tuple[bool, bool, str, str]:
        """Sort key: the holder first, then the earliest created (an object not yet stored
        has no creation time and counts as the newest), then by key."""
        return (not self.holds, not self.created, self.created, self.service)


def claimant(resource_label: str) -> str | None:
    """The claimant key a resource label names (they are the same text); None for anything
    else's (a node, a CRD)."""
    return resource_label if objectkey.parse(resource_label) is not None else None


def would_publish(obj: Mapping[str, Any], ingresses: IngressSettings = ingress.DEFAULT
                  ) -> bool:
    """Whether the reconciler may publish records for this object at all: a Service of a
    type it publishes, an Ingress --ingress-class selects, a route (its Gateways decide its
    names: `dnsgate.gateway`)."""
    if gateway.is_route(obj):
        return True
    if ingress.is_ingress(obj):
        return ingress.selected(obj, ingresses)
    return service_types.kind(obj.get("spec") or {}) in service_types.PUBLISHABLE


def addresses(service: Mapping[str, Any]) -> tuple[str, ...]:
    """The Service's own addresses, which its records point at unless a target annotation
    says otherwise: `spec.externalIPs`, else the load balancer's ingress IPs and hostnames
    (a ClusterIP Service: its cluster IP; an ExternalName Service: its external name; an
    Ingress: its load balancer's; a route: its Gateways')."""
    if gateway.is_route(service):
        return gateway.addresses(service)
    if ingress.is_ingress(service):
        return ingress.addresses(service)
    spec = service.get("spec") or {}
    external = tuple(str(ip) for ip in spec.get("externalIPs") or () if ip)
    kind = service_types.kind(spec)
    if kind == service_types.EXTERNAL_NAME:
        return external or tuple(str(n) for n in (spec.get("externalName"),) if n)
    if external:
        return external
    if kind == service_types.CLUSTER_IP:
        cluster_ip = str(spec.get("clusterIP") or "")
        return (cluster_ip,) if cluster_ip and cluster_ip != service_types.HEADLESS else ()
    entries = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    return tuple(str(entry.get("ip") or entry.get("hostname")) for entry in entries
                 if isinstance(entry, Mapping) and (entry.get("ip") or entry.get("hostname")))


def parse(service: Mapping[str, Any], domains: DomainFilter,
          txt: txtname.Naming = txtname.DEFAULT,
          ingresses: IngressSettings = ingress.DEFAULT,
          policy: domainpolicy.Enforcement = domainpolicy.UNENFORCED
          ) -> dns_annotations.Parsed:
    """The object's DNS annotations (and an Ingress's hosts) parsed once, with its addresses
    for the TXT-name check; a name its namespace may not use (`policy`,
    docs/namespace-domains.md) is one more problem, so the object publishes and claims
    nothing, at the door and in the loop alike."""
    notes = (service.get("metadata") or {}).get("annotations")
    if gateway.is_route(service):
        parsed = gateway.parse(service, domains, txt)
    elif ingress.is_ingress(service):
        parsed = ingress.parse(service, domains, txt, ingresses)
    else:
        parsed = dns_annotations.parse(notes, domains, txt, addresses(service))
    if parsed.ignored:
        return parsed
    field = gateway.NAMES_FIELD if gateway.is_route(service) else ingress.SPEC_HOSTS
    refused = policy.problems(objectkey.of(service), parsed.hostnames,
                              partial(_asking, notes or {}, field))
    if not refused:
        return parsed
    return replace(parsed, dns=None, problems=(*parsed.problems, *refused))


def _asking(notes: Mapping[str, str], field: str, name: str) -> Raw:
    """The annotation that asks for `name`, else an Ingress's or a route's own fields."""
    for key in (dns_annotations.HOSTNAME, dns_annotations.INTERNAL_HOSTNAME):
        found = dns_annotations.find(notes, key)
        if found is not None and name in {domains.normalize(entry) for entry in
                                          "".join(found.value.split()).split(",") if entry}:
            return found
    return Raw(field, name)


def of_service(service: Mapping[str, Any], parsed: dns_annotations.Parsed,
               held: Collection[Row] = (), *, publish_internal: bool = False,
               ingresses: IngressSettings = ingress.DEFAULT) -> tuple[Claim, ...]:
    """The claims `service` (or an Ingress) makes: none unless its annotations (`parsed`,
    parsed once by the caller) have no problem, and only for the names its type publishes
    (`publish_internal`: --publish-internal-services). `held`: the rows it holds."""
    if parsed.dns is None or not would_publish(service, ingresses):
        return ()
    if ingress.is_ingress(service) or gateway.is_route(service):
        return requested(service, parsed, held, parsed.dns.names)
    names = service_types.published(parsed.dns, service.get("spec") or {},
                                    publish_internal=publish_internal)
    return requested(service, parsed, held, names)


def requested(service: Mapping[str, Any], parsed: dns_annotations.Parsed,
              held: Collection[Row] = (), names: Iterable[str] | None = None
              ) -> tuple[Claim, ...]:
    """The claims `service` asks for with every hostname that is valid on its own (or with
    `names`), whatever else is wrong: what a review checks, to list a taken name beside the
    other problems."""
    created = str((service.get("metadata") or {}).get("creationTimestamp") or "")
    key = objectkey.of(service)
    set_identifier = parsed.set_identifier
    serving = gateway.serving_key(service, parsed) if gateway.is_route(service) else ""
    return tuple(Claim(created, key, name, set_identifier, row(name, set_identifier) in held,
                       parsed.hostnames, serving)
                 for name in (parsed.hostnames if names is None else names))


def together(a: Claim, b: Claim) -> bool:
    """Whether two routes serve one record set together rather than contest it: attached to
    the same Gateways with the same TTL, they ask for the same records (the Gateways'
    addresses), which is how a host is split across routes by path. ExternalDNS merges such
    records into one; dnsgate publishes the keeper's (`winners`), whose records are theirs
    too, and hands the name to the next of them when the keeper goes (docs/gateway-api.md)."""
    return (bool(a.together) and a.together == b.together and a.row == b.row
            and a.service != b.service)


def conflicts(a: Claim, b: Claim, names: txtname.Mapper | None = None) -> bool:
    """Whether `a` and `b` cannot both be published: one name, or (with `names`, the TXT
    naming) names sharing their ownership TXT names; unless weighted routing shares it."""
    same = a.hostname == b.hostname or (
        names is not None and names.namesake(a.hostname) == b.hostname)
    if not same or a.service == b.service:
        return False
    shared_routing = (
        a.set_identifier is not None
        and b.set_identifier is not None
        and a.set_identifier != b.set_identifier
    )
    return not shared_routing


def rivals(claim: Claim, others: Iterable[Claim], names: txtname.Mapper | None = None
           ) -> list[Claim]:
    """The other claims that `claim` conflicts with, the one that would keep the name first."""
    return sorted((other for other in others if conflicts(claim, other, names)),
                  key=lambda c: c.precedence)


def keeper(claim: Claim, others: Iterable[Claim], names: txtname.Mapper | None = None
           ) -> Claim:
    """The claim that keeps `claim`'s row when `claim` joins `others`."""
    return min([claim, *rivals(claim, others, names)], key=lambda c: c.precedence)


def winners(claims: Iterable[Claim], names: txtname.Mapper | None = None
            ) -> tuple[list[Claim], list[tuple[Claim, Claim]]]:
    """Split claims into those that keep their row and (loser, winner) pairs; with `names`,
    claims on names sharing their ownership TXT names are settled together."""
    by_name: dict[str, list[Claim]] = {}
    for claim in claims:
        anchor = names.anchor(claim.hostname) if names is not None else claim.hostname
        by_name.setdefault(anchor, []).append(claim)
    kept: list[Claim] = []
    lost: list[tuple[Claim, Claim]] = []
    for contenders in by_name.values():
        name_kept: list[Claim] = []
        for claim in sorted(contenders, key=lambda c: c.precedence):
            holder = next((k for k in name_kept if conflicts(claim, k, names)), None)
            if holder is None:
                name_kept.append(claim)
            else:
                lost.append((claim, holder))
        kept += name_kept
    return kept, lost


# ---- the holder, as the reconciler reports it on the Service --------------------------
#
# The message is a JSON array of rows, sorted, each `[name]` or `[name, set identifier]`:
# `[["api.example.com"],["www.example.com","blue"]]`. Set identifiers are free text (commas,
# brackets, quotes, spaces), and JSON round-trips any of them. A reconciler before set
# identifiers were part of a claim wrote the names alone, comma-separated; such a message
# cannot say which row of a name is held (the TXT naming the Service may be another set
# identifier's), so it is read as holding no row. That only makes the webhook stricter (a
# claim counted as holding is what turns a refusal into a warning), and the reconciler
# rewrites the condition in this format at its first sync.

def held_rows(service: Mapping[str, Any]) -> frozenset[Row]:
    """The rows the reconciler last reported this Service as holding."""
    for condition in (service.get("status") or {}).get("conditions") or ():
        if isinstance(condition, Mapping) and condition.get("type") == HELD_CONDITION:
            if condition.get("status") != "True":
                return frozenset()
            return _decoded(str(condition.get("message") or ""))
    return frozenset()


def _decoded(message: str) -> frozenset[Row]:
    """The rows of a held message; none from the old names-only format or anything else
    that is not a list of rows."""
    if not message.startswith("["):  # the old format: a hostname never starts with "["
        return frozenset()
    try:
        entries = json.loads(message)
    except ValueError:
        return frozenset()
    rows: set[Row] = set()
    for entry in entries if isinstance(entries, list) else ():
        if (isinstance(entry, list) and 1 <= len(entry) <= 2
                and all(isinstance(part, str) for part in entry)
                and hostnames.error(entry[0]) is None):
            rows.add(row(entry[0], entry[1] if len(entry) == 2 else None))
    return frozenset(rows)


def held_message(rows: Iterable[Row]) -> str:
    """The condition's message for these rows: sorted, as many as fit the message cap (a
    row left out counts as not held: the webhook is then stricter, never laxer)."""
    entries: list[str] = []
    size = 2  # the brackets
    for name, set_identifier in sorted(set(rows)):
        entry = json.dumps([name, set_identifier] if set_identifier else [name],
                           separators=(",", ":"))
        size += len(entry) + (1 if entries else 0)
        if size > HELD_MESSAGE_MAX:
            break
        entries.append(entry)
    return "[" + ",".join(entries) + "]"
