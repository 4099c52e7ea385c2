"""The DNS annotation rules, the one place webhook and reconciler both take them from.

ExternalDNS reads `external-dns.alpha.kubernetes.io/<key>`; v0.22 switched to
`external-dns.kubernetes.io/<key>`. dnsgate reads both, and refuses the same key under both
prefixes with different values. `parse` turns a Service's annotations into `DNSAnnotations`
or a list of `Problem`s, each naming the annotation, the value, and what would be valid.
The reconciler creates records only from a problem-free parse: the webhook never admits what
the reconciler would refuse, nor the other way round.

Parsing follows ExternalDNS (docs/annotations.md): hostnames have every space removed and
one trailing dot trimmed, then are split on commas; a TTL is integer seconds (Go's ParseInt)
or a Go duration (time.ParseDuration), truncated to whole seconds, within 1..2147483647.

Every value dnsgate acts on has a size cap (`VALUE_MAX` here, list caps in `dnsgate.values`; the
reasons are in docs/annotations.md, "Size limits"), checked before anything else reads it,
and every check after that is linear in the value: an object's annotations may hold 256 KiB,
and both the webhook and the reconciler parse every Service's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dnsgate import geoproximity, txtname, unknown_keys, values, zone_ids
from dnsgate.domains import DomainFilter
from dnsgate.geoproximity import GeoProximity
from dnsgate.values import Problem, Raw, shown

ALPHA_PREFIX = "external-dns.alpha.kubernetes.io/"
STABLE_PREFIX = "external-dns.kubernetes.io/"
PREFIXES = (ALPHA_PREFIX, STABLE_PREFIX)

HOSTNAME = "hostname"
TTL = "ttl"
TARGET = "target"
SET_IDENTIFIER = "set-identifier"
AWS_WEIGHT = "aws-weight"
AWS_FAILOVER = "aws-failover"
AWS_HEALTH_CHECK_ID = "aws-health-check-id"
AWS_EVALUATE_TARGET_HEALTH = "aws-evaluate-target-health"
INTERNAL_HOSTNAME = "internal-hostname"
CONTROLLER = "controller"
ACCESS = "access"
ALIAS = "alias"
ENDPOINTS_TYPE = "endpoints-type"
RECORD_TYPE = "record-type"
AWS_REGION = "aws-region"
AWS_GEO_CONTINENT = "aws-geolocation-continent-code"
AWS_GEO_COUNTRY = "aws-geolocation-country-code"
AWS_GEO_SUBDIVISION = "aws-geolocation-subdivision-code"
AWS_MULTI_VALUE_ANSWER = "aws-multi-value-answer"
AWS_HOSTED_ZONE_ID = zone_ids.HOSTED_ZONE_ID
AWS_TARGET_HOSTED_ZONE = zone_ids.TARGET_HOSTED_ZONE
CONTROLLER_VALUE = "dns-controller"  # the only value ExternalDNS answers to
# The routing policy each annotation selects, as Route53 names it; a record set has one.
ROUTING_POLICIES = {AWS_WEIGHT: "weighted", AWS_FAILOVER: "failover", AWS_REGION: "latency",
                    AWS_GEO_CONTINENT: "geolocation", AWS_GEO_COUNTRY: "geolocation",
                    AWS_GEO_SUBDIVISION: "geolocation",
                    AWS_MULTI_VALUE_ANSWER: "multivalue answer",
                    **{key: "geoproximity" for key in geoproximity.KEYS}}

# Keys dnsgate acts on, and keys ExternalDNS knows for other sources or providers; anything
# else under the prefixes is most likely a typo and earns a warning with a suggestion.
DNSGATE_KEYS = (HOSTNAME, TTL, TARGET, SET_IDENTIFIER, AWS_WEIGHT, AWS_FAILOVER,
                AWS_HEALTH_CHECK_ID, AWS_EVALUATE_TARGET_HEALTH, INTERNAL_HOSTNAME, ALIAS,
                AWS_REGION, AWS_GEO_CONTINENT, AWS_GEO_COUNTRY, AWS_GEO_SUBDIVISION,
                AWS_MULTI_VALUE_ANSWER, *geoproximity.KEYS, *zone_ids.KEYS, ACCESS, CONTROLLER)
OTHER_EXTERNAL_DNS_KEYS = (
    ENDPOINTS_TYPE, RECORD_TYPE, "ingress", "ingress-hostname-source",
    "gateway-hostname-source", "aws-zone-match-parent", "aws-alias",
    "cloudflare-proxied", "cloudflare-region-key", "cloudflare-record-comment",
)
KNOWN_KEYS = frozenset((*DNSGATE_KEYS, *OTHER_EXTERNAL_DNS_KEYS))

# Size caps, in characters of the value as written (docs/annotations.md, "Size limits").
VALUE_MAX = {
    HOSTNAME: values.HOSTNAMES_MAX * values.LIST_ENTRY_MAX,
    TTL: 32,  # "2147483647" is 10 characters, "596523h14m7s" 12
    TARGET: values.TARGETS_MAX * values.LIST_ENTRY_MAX,
    SET_IDENTIFIER: values.SET_IDENTIFIER_MAX,
    AWS_WEIGHT: 3,
    AWS_FAILOVER: len("SECONDARY"),
    AWS_HEALTH_CHECK_ID: 36,  # a UUID
    AWS_EVALUATE_TARGET_HEALTH: len("false"),
    INTERNAL_HOSTNAME: values.HOSTNAMES_MAX * values.LIST_ENTRY_MAX,
    AWS_REGION: 64,  # Route53's Region field
    # One word each; room enough that a near miss ("false", "USA") gets the reason.
    ALIAS: 16,
    AWS_GEO_CONTINENT: 16,
    AWS_GEO_COUNTRY: 16,
    AWS_GEO_SUBDIVISION: 16,
    AWS_MULTI_VALUE_ANSWER: 16,
    ACCESS: 16,
    **geoproximity.VALUE_MAX,
    AWS_HOSTED_ZONE_ID: zone_ids.VALUE_MAX,
    AWS_TARGET_HOSTED_ZONE: zone_ids.VALUE_MAX,
}


@dataclass(frozen=True)
class DNSAnnotations:
    """What a Service asks for, parsed and valid. `prefix` is where its hostname was found."""

    prefix: str
    hostnames: tuple[str, ...]
    ttl: int | None = None
    targets: tuple[str, ...] = ()
    set_identifier: str | None = None
    aws_weight: int | None = None
    aws_failover: str | None = None
    aws_health_check_id: str | None = None
    aws_evaluate_target_health: bool | None = None
    internal_hostnames: tuple[str, ...] = ()
    alias: bool = False
    aws_region: str | None = None
    geo_continent: str | None = None
    geo_country: str | None = None
    geo_subdivision: str | None = None
    multi_value_answer: bool = False
    access: str | None = None
    geoproximity: GeoProximity | None = None
    hosted_zone_id: str | None = None
    """The one hosted zone this object's records go to, of those holding each name."""
    target_hosted_zone: str | None = None
    """`AliasTarget.HostedZoneId` of its alias records, in place of the computed one."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the Service asks for: public hostnames, then internal ones."""
        return tuple(dict.fromkeys((*self.hostnames, *self.internal_hostnames)))


@dataclass(frozen=True)
class Parsed:
    """`dns` is set only when there is a hostname (or internal-hostname) and no problem at
    all. `hostnames` (public and internal) and `set_identifier` are the valid parts even
    when something else is wrong, so a review can report a name taken by another Service
    beside the other problems. `ignored` says why dnsgate leaves the object alone (its
    controller annotation names another controller)."""

    dns: DNSAnnotations | None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    hostnames: tuple[str, ...] = ()
    set_identifier: str | None = None
    ignored: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def find(annotations: Mapping[str, str], key: str) -> Raw | None:
    """The annotation for `key` under the first prefix that has it (alpha first)."""
    for prefix in PREFIXES:
        if prefix + key in annotations:
            return Raw(prefix + key, annotations[prefix + key])
    return None


def prefix_conflict(annotations: Mapping[str, str], key: str) -> Problem | None:
    """The problem of `key` set under both prefixes with different values, if it is."""
    given = [Raw(p + key, annotations[p + key]) for p in PREFIXES if p + key in annotations]
    if len(given) < 2 or given[0].value == given[1].value:
        return None
    return Problem(given[1].key, given[1].value,
                   f'differs from {given[0].key}: "{shown(given[0].value)}"; set one value '
                   "under one prefix, or the same value under both", "prefix-conflict")


def has_dns_annotations(annotations: Mapping[str, str] | None) -> bool:
    return bool(annotations) and any(k.startswith(PREFIXES) for k in annotations or {})


def parse(annotations: Mapping[str, str] | None, domains: DomainFilter,
          txt: txtname.Naming = txtname.DEFAULT, addresses: Sequence[str] = (), *,
          hosts: Sequence[str] = (), hosts_field: str = "") -> Parsed:
    """Validate every DNS annotation of one object and collect all problems at once.

    `hosts` are names the object's spec asks for (an Ingress's rules, `dnsgate.ingress`),
    named `hosts_field` in messages: checked like hostname names and published before them.

    `txt` is the registry's TXT naming (`--txt-prefix`, `--txt-suffix`,
    `--txt-wildcard-replacement`): a hostname whose ownership TXT name would be too long for
    DNS is refused, since dnsgate never publishes a record without its TXT. The record types
    that TXT name must fit come from the target annotation, else from `addresses` (the
    Service's own, `dnsgate.claims.addresses`), else, unknown yet, all of A, AAAA, CNAME."""
    annotations = annotations or {}
    problems: list[Problem] = []
    warnings: list[str] = []
    raw: dict[str, Raw] = {}
    for key in (*DNSGATE_KEYS, *OTHER_EXTERNAL_DNS_KEYS):
        conflict = prefix_conflict(annotations, key)
        if conflict is not None:
            problems.append(conflict)
        given = find(annotations, key)
        if given is not None:
            raw[key] = given
    warnings += unknown_keys.warnings(annotations, PREFIXES, KNOWN_KEYS, DNSGATE_KEYS)
    # Every annotation given, also one too long to be read: the checks of which keys go
    # together (a routing policy needs a set identifier, a bias a location) count it as given,
    # so its size is the only thing said about it.
    given_keys = dict(raw)
    for key, found in list(raw.items()):
        if key in VALUE_MAX and len(found.value) > VALUE_MAX[key]:
            problems.append(_too_long(found, VALUE_MAX[key]))
            del raw[key]  # never parsed: its size alone is the answer

    ignored = controller_mismatch(raw.get(CONTROLLER))
    if ignored:
        return Parsed(None, tuple(problems), (*warnings, ignored), ignored=ignored)

    hostname = raw.get(HOSTNAME) or raw.get(INTERNAL_HOSTNAME)
    spec_names = Raw(hosts_field, ",".join(hosts)) if hosts else None
    if hostname is None and spec_names is None:
        for key in DNSGATE_KEYS[1:]:
            if key in raw and key != CONTROLLER:
                warnings.append(f"{raw[key].key} has no effect without a {HOSTNAME} annotation")
        return Parsed(None, tuple(problems), tuple(warnings))

    asked: dict[str, tuple[str, ...]] = {HOSTNAME: (), INTERNAL_HOSTNAME: ()}
    for key in asked:
        if key in raw:
            asked[key], name_problems = values.hostnames(raw[key], domains)
            problems += name_problems
    from_spec: tuple[str, ...] = ()
    if spec_names is not None:
        from_spec, name_problems = values.hostnames(spec_names, domains)
        problems += name_problems
    ttl = values.field(raw.get(TTL), values.ttl, problems, "ttl")
    targets: tuple[str, ...] = ()
    if TARGET in raw:
        targets, target_problems = values.targets(raw[TARGET])
        problems += target_problems
    for key in asked:
        if key in raw:
            asked[key], txt_problems = values.publishable(raw[key], asked[key],
                                                          targets or tuple(addresses), txt)
            problems += txt_problems
    if spec_names is not None:
        from_spec, txt_problems = values.publishable(spec_names, from_spec,
                                                     targets or tuple(addresses), txt)
        problems += txt_problems
    asked[HOSTNAME] = tuple(dict.fromkeys((*from_spec, *asked[HOSTNAME])))
    names = tuple(dict.fromkeys((*asked[HOSTNAME], *asked[INTERNAL_HOSTNAME])))
    asked_by = {name: where for where, found in ((spec_names, from_spec),
                                                 (raw.get(HOSTNAME), asked[HOSTNAME]),
                                                 (raw.get(INTERNAL_HOSTNAME),
                                                  asked[INTERNAL_HOSTNAME]))
                if where is not None for name in found}
    problems += _namesake_problems(asked_by, txt)
    set_identifier = values.field(raw.get(SET_IDENTIFIER), values.set_identifier, problems,
                                  "set-id")
    weight = values.field(raw.get(AWS_WEIGHT), values.weight, problems, "weight")
    failover = values.field(raw.get(AWS_FAILOVER), values.failover, problems, "failover")
    health = values.field(raw.get(AWS_HEALTH_CHECK_ID), values.health_check, problems,
                          "health-check")
    evaluate = values.field(raw.get(AWS_EVALUATE_TARGET_HEALTH), values.boolean, problems,
                            "evaluate-target-health")
    alias = values.field(raw.get(ALIAS), values.alias, problems, "alias")
    region = values.field(raw.get(AWS_REGION), values.region, problems, "region")
    continent = values.field(raw.get(AWS_GEO_CONTINENT), values.continent, problems,
                             "geolocation")
    country = values.field(raw.get(AWS_GEO_COUNTRY), values.country, problems, "geolocation")
    subdivision = values.field(raw.get(AWS_GEO_SUBDIVISION), values.subdivision, problems,
                               "geolocation")
    multi_value = values.field(raw.get(AWS_MULTI_VALUE_ANSWER), values.multi_value, problems,
                               "multi-value-answer")
    access = values.field(raw.get(ACCESS), values.access, problems, "access")
    proximity, proximity_problems = geoproximity.parse(raw, given_keys)
    problems += proximity_problems
    hosted_zone = values.field(raw.get(AWS_HOSTED_ZONE_ID), zone_ids.zone_id, problems,
                               "hosted-zone-id")
    target_zone = values.field(raw.get(AWS_TARGET_HOSTED_ZONE), zone_ids.zone_id, problems,
                               "target-hosted-zone")
    for key in ROUTING_POLICIES:
        if key in raw and SET_IDENTIFIER not in given_keys:
            problems.append(Problem(
                raw[key].key, raw[key].value,
                f"needs a {SET_IDENTIFIER} annotation: Route53 routing policies apply only to "
                f"record sets with a SetIdentifier (add {raw[key].key.split('/')[0]}/"
                f"{SET_IDENTIFIER})",
                f"{key.removeprefix('aws-')}-without-set-identifier",
            ))
    problems += routing_problems(raw)
    problems += alias_problems(raw, targets, bool(alias))
    target_zone_key = raw[AWS_TARGET_HOSTED_ZONE].key if AWS_TARGET_HOSTED_ZONE in raw else ""
    if target_zone_key and not alias and all(p.annotation != target_zone_key for p in problems):
        # Not "ignored": a load balancer target in a canonical zone becomes an alias without
        # the alias annotation and takes this zone (docs/route53-alias.md, "Zone annotations"),
        # and admission cannot know the Service's target yet. Within the webhook's 120
        # characters (webhook/review.py).
        warnings.append(f'{target_zone_key} applies to aliases only ({ALIAS}: "true", or an '
                        "AWS load balancer)")
    if problems:
        return Parsed(None, tuple(problems), tuple(warnings), names, set_identifier)
    prefix = _prefix_of(hostname, raw)
    return Parsed(
        DNSAnnotations(
            prefix=prefix, hostnames=asked[HOSTNAME], ttl=ttl, targets=targets,
            set_identifier=set_identifier, aws_weight=weight, aws_failover=failover,
            aws_health_check_id=health, aws_evaluate_target_health=evaluate,
            internal_hostnames=asked[INTERNAL_HOSTNAME], alias=bool(alias), aws_region=region,
            geo_continent=continent, geo_country=country, geo_subdivision=subdivision,
            multi_value_answer=bool(multi_value), access=access, geoproximity=proximity,
            hosted_zone_id=hosted_zone, target_hosted_zone=target_zone,
        ),
        (),
        tuple(warnings),
        names,
        set_identifier,
    )


def _namesake_problems(asked_by: Mapping[str, Raw], txt: txtname.Naming) -> list[Problem]:
    """One object asking for `*.<zone>` and `wild.<zone>` under --txt-wildcard-replacement
    `wild` (`asked_by`: each name -> the annotation asking for it): their ownership TXT
    names coincide, so the registry could own neither (docs/externaldns-txt-registry.md,
    "Names two records share")."""
    mapper = txtname.Mapper.named(txt)
    pairs = [(name, other) for name in asked_by
             if name.startswith("*.") and (other := mapper.namesake(name)) in asked_by]
    return [Problem(asked_by[other].key, other,
                    f"shares its ownership TXT records ({mapper.txt_name(other, '<type>')}) "
                    f"with {name}, also asked for, under --txt-wildcard-replacement "
                    f'"{txt.wildcard_replacement}": the registry could not tell which record '
                    "they own; ask for one of the two", "hostname-txt-shared")
            for name, other in pairs if other is not None]


def _prefix_of(hostname: Raw | None, raw: Mapping[str, Raw]) -> str:
    """The prefix the object's names are under: its hostname annotation's, else (names from
    an Ingress's spec) that of any DNS annotation it has, else the stable one."""
    for found in (hostname, *raw.values()):
        if found is not None:
            return found.key[: found.key.index("/") + 1]
    return STABLE_PREFIX


def controller_mismatch(raw: Raw | None) -> str:
    """Why the object is left alone, or "" when it is dnsgate's: ExternalDNS skips an object
    whose controller annotation is set to anything but "dns-controller"."""
    if raw is None or raw.value == CONTROLLER_VALUE:
        return ""
    return (f'{raw.key} is "{shown(raw.value)}", not "{CONTROLLER_VALUE}": dnsgate, like '
            "ExternalDNS, leaves this object to that controller and publishes nothing for it")


def routing_problems(raw: Mapping[str, Raw]) -> list[Problem]:
    """Route53 gives a record set one routing policy; geolocation takes a continent or a
    country (with, for a US state, a subdivision), never both (docs/route53-alias.md)."""
    problems: list[Problem] = []
    policies = [key for key in ROUTING_POLICIES if key in raw]
    first = policies[0] if policies else ""
    for key in policies[1:]:
        if ROUTING_POLICIES[key] != ROUTING_POLICIES[first]:
            problems.append(Problem(
                raw[key].key, raw[key].value,
                f"cannot be combined with {raw[first].key}: a Route53 record set has one "
                f"routing policy ({ROUTING_POLICIES[first]} or {ROUTING_POLICIES[key]})",
                "routing-policy-conflict",
            ))
    if AWS_GEO_CONTINENT in raw:
        for key in (AWS_GEO_COUNTRY, AWS_GEO_SUBDIVISION):
            if key in raw:
                problems.append(Problem(
                    raw[key].key, raw[key].value,
                    f"cannot be combined with {raw[AWS_GEO_CONTINENT].key}: Route53 refuses "
                    "a continent together with a country or subdivision (ExternalDNS would "
                    "silently drop this one); keep one of them",
                    "geolocation-conflict",
                ))
    elif AWS_GEO_SUBDIVISION in raw and raw.get(AWS_GEO_COUNTRY, Raw("", "")).value != "US":
        subdivision = raw[AWS_GEO_SUBDIVISION]
        problems.append(Problem(
            subdivision.key, subdivision.value,
            f'needs {subdivision.key.split("/")[0]}/{AWS_GEO_COUNTRY}: "US": Route53 takes '
            "subdivision codes for states of the United States only",
            "geolocation-subdivision-without-us",
        ))
    return problems


def alias_problems(raw: Mapping[str, Raw], targets: tuple[str, ...], alias: bool
                   ) -> list[Problem]:
    """Targets that cannot make valid records: an alias needs a DNS name, and a CNAME (or an
    alias to a hostname) cannot stand beside A or AAAA records at the same name."""
    problems: list[Problem] = []
    addresses = [t for t in targets if _is_address(t)]
    names = [t for t in targets if not _is_address(t)]
    if TARGET in raw and addresses and names:
        problems.append(Problem(
            raw[TARGET].key, raw[TARGET].value,
            "mixes IP addresses and hostnames: a hostname becomes a CNAME or an alias, "
            "which Route53 does not allow beside A or AAAA records of the same name; give "
            "addresses only, or one hostname",
            "target-mixed",
        ))
    if alias and TARGET in raw and addresses and not names:
        problems.append(Problem(
            raw[ALIAS].key, raw[ALIAS].value,
            f"needs a hostname target, but {raw[TARGET].key} gives IP addresses: a Route53 "
            "alias points at a DNS name (ExternalDNS would send an alias to an IP address, "
            "which Route53 refuses); remove the alias annotation",
            "alias-to-address",
        ))
    if AWS_TARGET_HOSTED_ZONE in raw and TARGET in raw and addresses and not names:
        problems.append(Problem(
            raw[AWS_TARGET_HOSTED_ZONE].key, raw[AWS_TARGET_HOSTED_ZONE].value,
            f"sets the hosted zone of an alias target, but {raw[TARGET].key} gives IP "
            "addresses, which make A or AAAA records, never aliases; remove it, or target "
            "a hostname with the alias annotation",
            "target-hosted-zone-without-alias",
        ))
    if alias and AWS_MULTI_VALUE_ANSWER in raw:
        problems.append(Problem(
            raw[AWS_MULTI_VALUE_ANSWER].key, raw[AWS_MULTI_VALUE_ANSWER].value,
            f"cannot be combined with {raw[ALIAS].key}: Route53 has no multivalue answer "
            "alias records",
            "alias-multi-value",
        ))
    return problems


def _is_address(target: str) -> bool:
    try:
        ipaddress.ip_address(target)
    except ValueError:
        return False
    return True


def _too_long(raw: Raw, limit: int) -> Problem:
    return Problem(raw.key, raw.value,
                   f"is {len(raw.value)} characters long; this annotation takes at most "
                   f"{limit}", "value-too-long")
