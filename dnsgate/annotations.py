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

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dnsgate import txtname, values
from dnsgate.domains import DomainFilter
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

# Keys dnsgate acts on, and keys ExternalDNS knows for other sources or providers; anything
# else under the prefixes is most likely a typo and earns a warning with a suggestion.
DNSGATE_KEYS = (HOSTNAME, TTL, TARGET, SET_IDENTIFIER, AWS_WEIGHT, AWS_FAILOVER,
                AWS_HEALTH_CHECK_ID, AWS_EVALUATE_TARGET_HEALTH)
OTHER_EXTERNAL_DNS_KEYS = (
    INTERNAL_HOSTNAME, "access", "endpoints-type", "controller", "alias", "ingress",
    "ingress-hostname-source", "gateway-hostname-source", "aws-region",
    "aws-geolocation-continent-code",
    "aws-geolocation-country-code", "aws-geolocation-subdivision-code", "aws-multi-value-answer",
    "aws-geoproximity-region", "aws-geoproximity-bias", "aws-geoproximity-coordinates",
    "aws-geoproximity-local-zone-group", "aws-zone-match-parent", "aws-alias",
    "cloudflare-proxied", "cloudflare-region-key", "cloudflare-record-comment",
)

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


@dataclass(frozen=True)
class Parsed:
    """`dns` is set only when there is a hostname and no problem at all. `hostnames` and
    `set_identifier` are the valid parts even when something else is wrong, so a review can
    report a name taken by another Service beside the other problems."""

    dns: DNSAnnotations | None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    hostnames: tuple[str, ...] = ()
    set_identifier: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def find(annotations: Mapping[str, str], key: str) -> Raw | None:
    """The annotation for `key` under the first prefix that has it (alpha first)."""
    for prefix in PREFIXES:
        if prefix + key in annotations:
            return Raw(prefix + key, annotations[prefix + key])
    return None


def has_dns_annotations(annotations: Mapping[str, str] | None) -> bool:
    return bool(annotations) and any(k.startswith(PREFIXES) for k in annotations or {})


def parse(annotations: Mapping[str, str] | None, domains: DomainFilter,
          txt: txtname.Naming = txtname.DEFAULT, addresses: Sequence[str] = ()) -> Parsed:
    """Validate every DNS annotation of one object and collect all problems at once.

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
        given = [Raw(p + key, annotations[p + key]) for p in PREFIXES if p + key in annotations]
        if len(given) == 2 and given[0].value != given[1].value:
            problems.append(Problem(
                given[1].key, given[1].value,
                f'differs from {given[0].key}: "{shown(given[0].value)}"; set one value '
                "under one prefix, or the same value under both",
                "prefix-conflict",
            ))
        if given:
            raw[key] = given[0]
    warnings += _unknown_key_warnings(annotations)
    for key, found in list(raw.items()):
        if key in VALUE_MAX and len(found.value) > VALUE_MAX[key]:
            problems.append(_too_long(found, VALUE_MAX[key]))
            del raw[key]  # never parsed: its size alone is the answer

    hostname = raw.get(HOSTNAME)
    if hostname is None:
        for key in DNSGATE_KEYS[1:]:
            if key in raw:
                warnings.append(f"{raw[key].key} has no effect without a {HOSTNAME} annotation")
        return Parsed(None, tuple(problems), tuple(warnings))

    names, name_problems = values.hostnames(hostname, domains)
    problems += name_problems
    ttl = values.field(raw.get(TTL), values.ttl, problems, "ttl")
    targets: tuple[str, ...] = ()
    if TARGET in raw:
        targets, target_problems = values.targets(raw[TARGET])
        problems += target_problems
    names, txt_problems = values.publishable(hostname, names, targets or tuple(addresses), txt)
    problems += txt_problems
    set_identifier = values.field(raw.get(SET_IDENTIFIER), values.set_identifier, problems,
                                  "set-id")
    weight = values.field(raw.get(AWS_WEIGHT), values.weight, problems, "weight")
    failover = values.field(raw.get(AWS_FAILOVER), values.failover, problems, "failover")
    health = values.field(raw.get(AWS_HEALTH_CHECK_ID), values.health_check, problems,
                          "health-check")
    if AWS_EVALUATE_TARGET_HEALTH in raw:
        # Route53 evaluates target health only for alias records, and dnsgate publishes A,
        # AAAA and CNAME records, never aliases (ExternalDNS makes aliases of CNAMEs to AWS
        # load balancers). Refusing it would drop the records of a Service migrated with it.
        warnings.append(f"{raw[AWS_EVALUATE_TARGET_HEALTH].key} has no effect: dnsgate "
                        "publishes no alias records")
    if AWS_HEALTH_CHECK_ID in raw and SET_IDENTIFIER not in raw:
        warnings.append(f"{raw[AWS_HEALTH_CHECK_ID].key} has no effect without a "
                        f"{SET_IDENTIFIER}")
    for key in (AWS_WEIGHT, AWS_FAILOVER):
        if key in raw and SET_IDENTIFIER not in raw:
            problems.append(Problem(
                raw[key].key, raw[key].value,
                f"needs a {SET_IDENTIFIER} annotation: Route53 routing policies apply only to "
                f"record sets with a SetIdentifier (add {raw[key].key.split('/')[0]}/"
                f"{SET_IDENTIFIER})",
                f"{key}-without-set-identifier",
            ))
    if AWS_WEIGHT in raw and AWS_FAILOVER in raw:
        problems.append(Problem(
            raw[AWS_FAILOVER].key, raw[AWS_FAILOVER].value,
            f"cannot be combined with {raw[AWS_WEIGHT].key}: a Route53 record set has one "
            "routing policy (weighted or failover)",
            "routing-policy-conflict",
        ))
    if problems:
        return Parsed(None, tuple(problems), tuple(warnings), names, set_identifier)
    prefix = hostname.key[: -len(HOSTNAME)]
    return Parsed(
        DNSAnnotations(
            prefix=prefix, hostnames=names, ttl=ttl, targets=targets,
            set_identifier=set_identifier, aws_weight=weight, aws_failover=failover,
            aws_health_check_id=health,
        ),
        (),
        tuple(warnings),
        names,
        set_identifier,
    )


def _too_long(raw: Raw, limit: int) -> Problem:
    return Problem(raw.key, raw.value,
                   f"is {len(raw.value)} characters long; this annotation takes at most "
                   f"{limit}", "value-too-long")


def _unknown_key_warnings(annotations: Mapping[str, str]) -> list[str]:
    known = (*DNSGATE_KEYS, *OTHER_EXTERNAL_DNS_KEYS)
    warnings = []
    for full_key in annotations:
        for prefix in PREFIXES:
            if full_key.startswith(prefix) and full_key[len(prefix):] not in known:
                key = full_key[len(prefix):]
                # A Kubernetes key name has at most 63 characters; a longer one gets no hint
                # (difflib's cost grows with the length).
                close = difflib.get_close_matches(key, DNSGATE_KEYS, n=1, cutoff=0.6) if len(
                    key) <= 63 else []
                # Only the key: with the prefix repeated, the line outgrows the 120 characters
                # advised for an admission warning, and the webhook would cut the hint off.
                hint = f"; did you mean {close[0]}?" if close else ""
                warnings.append(f"{shown(full_key)} is not an annotation dnsgate knows{hint}")
    return warnings
