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

Every value dnsgate acts on has a size cap (`VALUE_MAX`, `HOSTNAMES_MAX`, `TARGETS_MAX`; the
reasons are in docs/annotations.md, "Size limits"), checked before anything else reads it,
and every check after that is linear in the value: an object's annotations may hold 256 KiB,
and both the webhook and the reconciler parse every Service's.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from dnsgate import durations, hostnames, txtname
from dnsgate.domains import DomainFilter, normalize

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

TTL_MIN = 1
TTL_MAX = 2**31 - 1  # ExternalDNS: math.MaxInt32
WEIGHT_MAX = 255  # Route53's limit
SET_IDENTIFIER_MAX = 128  # Route53's limit
FAILOVER_VALUES = ("PRIMARY", "SECONDARY")

# Size caps, in characters of the value as written (docs/annotations.md, "Size limits").
HOSTNAMES_MAX = 100  # names per Service: each is a record set and a TXT in one zone
TARGETS_MAX = 100  # values per record set: an UPSERT of 100 IPv6 fits Route53's 32,000
LIST_ENTRY_MAX = hostnames.HOSTNAME_MAX + 3  # a full name, a trailing dot, a comma, a space
VALUE_MAX = {
    HOSTNAME: HOSTNAMES_MAX * LIST_ENTRY_MAX,
    TTL: 32,  # "2147483647" is 10 characters, "596523h14m7s" 12
    TARGET: TARGETS_MAX * LIST_ENTRY_MAX,
    SET_IDENTIFIER: SET_IDENTIFIER_MAX,
    AWS_WEIGHT: 3,
    AWS_FAILOVER: len("SECONDARY"),
    AWS_HEALTH_CHECK_ID: 36,  # a UUID
    AWS_EVALUATE_TARGET_HEALTH: len("false"),
}
SHOWN_MAX = 256  # characters of a value quoted in a message; a full hostname fits

# Record types a name may get from a load balancer whose addresses are not known yet.
ANY_RECORD_TYPE = ("A", "AAAA", "CNAME")

_INTEGER = re.compile(r"[+-]?[0-9]+")  # Go's strconv.ParseInt, base 10
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

TTL_EXPECTED = (
    f'whole seconds ("60") or a Go duration ("10m", "1h30m") from {TTL_MIN}s to {TTL_MAX}s'
)


@dataclass(frozen=True)
class Problem:
    """One reason an annotation is refused; `str()` is the line a user reads."""

    annotation: str
    value: str
    reason: str
    rule: str  # short id, e.g. "hostname-domain", for metrics and tests

    def __str__(self) -> str:
        return f'{self.annotation}: "{shown(self.value)}" {self.reason}'


def shown(value: str) -> str:
    """`value` as a message quotes it: cut after SHOWN_MAX characters."""
    return value if len(value) <= SHOWN_MAX else value[:SHOWN_MAX] + "..."


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


@dataclass(frozen=True)
class Raw:
    """One annotation as written: its full key and its value."""

    key: str
    value: str


def find(annotations: Mapping[str, str], key: str) -> Raw | None:
    """The annotation for `key` under the first prefix that has it (alpha first)."""
    for prefix in PREFIXES:
        if prefix + key in annotations:
            return Raw(prefix + key, annotations[prefix + key])
    return None


def has_dns_annotations(annotations: Mapping[str, str] | None) -> bool:
    return bool(annotations) and any(k.startswith(PREFIXES) for k in annotations or {})


def parse(annotations: Mapping[str, str] | None, domains: DomainFilter,
          txt: txtname.Naming = txtname.DEFAULT) -> Parsed:
    """Validate every DNS annotation of one object and collect all problems at once.

    `txt` is the registry's TXT naming (`--txt-prefix`, `--txt-suffix`,
    `--txt-wildcard-replacement`): a hostname whose ownership TXT name would be too long for
    DNS is refused, since dnsgate never publishes a record without its TXT."""
    annotations = annotations or {}
    problems: list[Problem] = []
    warnings: list[str] = []
    raw: dict[str, Raw] = {}
    for key in (*DNSGATE_KEYS, *OTHER_EXTERNAL_DNS_KEYS):
        values = [Raw(p + key, annotations[p + key]) for p in PREFIXES if p + key in annotations]
        if len(values) == 2 and values[0].value != values[1].value:
            problems.append(Problem(
                values[1].key, values[1].value,
                f'differs from {values[0].key}: "{shown(values[0].value)}"; set one value '
                "under one prefix, or the same value under both",
                "prefix-conflict",
            ))
        if values:
            raw[key] = values[0]
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

    names, name_problems = parse_hostnames(hostname, domains)
    problems += name_problems
    ttl = _field(raw.get(TTL), parse_ttl, problems, "ttl")
    targets: tuple[str, ...] = ()
    if TARGET in raw:
        targets, target_problems = parse_targets(raw[TARGET])
        problems += target_problems
    names, txt_problems = _publishable(hostname, names, targets, txt)
    problems += txt_problems
    set_identifier = _field(raw.get(SET_IDENTIFIER), _parse_set_identifier, problems, "set-id")
    weight = _field(raw.get(AWS_WEIGHT), _parse_weight, problems, "weight")
    failover = _field(raw.get(AWS_FAILOVER), _parse_failover, problems, "failover")
    health = _field(raw.get(AWS_HEALTH_CHECK_ID), _parse_health_check, problems, "health-check")
    _field(raw.get(AWS_EVALUATE_TARGET_HEALTH), _refuse_evaluate_target_health, problems,
           "evaluate-target-health")
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


_T = TypeVar("_T")


def _field(
    raw: Raw | None, parser: Callable[[str], _T], problems: list[Problem], rule: str
) -> _T | None:
    """Run `parser(value)`; a ValueError becomes a Problem whose reason is its message."""
    if raw is None:
        return None
    try:
        return parser(raw.value)
    except ValueError as exc:
        problems.append(Problem(raw.key, raw.value, str(exc), rule))
        return None


def _split(value: str) -> list[str]:
    """ExternalDNS's split: every whitespace character removed, then split on commas."""
    return "".join(value.split()).split(",")


def parse_hostnames(raw: Raw, domains: DomainFilter) -> tuple[tuple[str, ...], list[Problem]]:
    names: list[str] = []
    problems: list[Problem] = []
    if not "".join(raw.value.split()):
        problems.append(Problem(raw.key, raw.value,
                                "is empty; give one or more comma-separated hostnames",
                                "hostname-empty"))
        return (), problems
    entries = _split(raw.value)
    if len(entries) > HOSTNAMES_MAX:
        problems.append(Problem(raw.key, raw.value,
                                f"has {len(entries)} hostnames; one Service may ask for at "
                                f"most {HOSTNAMES_MAX}", "value-too-long"))
        return (), problems
    for entry in entries:
        if not entry:
            problems.append(Problem(
                raw.key, raw.value,
                "has an empty entry; remove the doubled or trailing comma", "hostname-empty"))
            continue
        reason, rule = hostnames.error(entry), "hostname-syntax"
        if reason is None:
            reason, rule = domains.rejection(entry), "hostname-domain"
        if reason is not None:
            problems.append(Problem(raw.key, entry, reason, rule))
        elif normalize(entry) not in names:
            names.append(normalize(entry))
    return tuple(names), problems


def _publishable(raw: Raw, names: tuple[str, ...], targets: tuple[str, ...],
                 txt: txtname.Naming) -> tuple[tuple[str, ...], list[Problem]]:
    """The names whose ownership TXT can exist, and a problem for each other one. Without a
    target annotation the record type is the load balancer's to decide, so every type's TXT
    name must fit."""
    types = tuple(dict.fromkeys(_record_type(t) for t in targets)) or ANY_RECORD_TYPE
    kept: list[str] = []
    problems: list[Problem] = []
    for name in names:
        reason = hostnames.txt_name_error(name, types, txt)
        if reason is None:
            kept.append(name)
        else:
            problems.append(Problem(raw.key, name, reason, "hostname-txt-too-long"))
    return tuple(kept), problems


def _record_type(target: str) -> str:
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        return "CNAME"
    return "A" if address.version == 4 else "AAAA"


def parse_ttl(value: str) -> int:
    """Seconds, as ExternalDNS reads the ttl annotation; ValueError with what would be valid."""
    text = value.strip()
    seconds: int
    # Length first: Python refuses int() of more than 4300 digits, Go's ParseInt of 20.
    if _INTEGER.fullmatch(text) and len(text) <= 20 and abs(int(text)) < 2**63:
        seconds = int(text)
    else:
        nanoseconds = durations.go_nanoseconds(text)
        if nanoseconds is None:
            raise ValueError(f"is not a valid TTL; use {TTL_EXPECTED}")
        # Go: int64(d.Seconds()) truncates toward zero
        seconds = abs(nanoseconds) // 10**9 * (-1 if nanoseconds < 0 else 1)
    if not TTL_MIN <= seconds <= TTL_MAX:
        raise ValueError(f"is out of range; use {TTL_EXPECTED}")
    return seconds


def parse_targets(raw: Raw) -> tuple[tuple[str, ...], list[Problem]]:
    targets: list[str] = []
    problems: list[Problem] = []
    entries = _split(raw.value)
    if len(entries) > TARGETS_MAX:
        problems.append(Problem(raw.key, raw.value,
                                f"has {len(entries)} targets; a record set takes at most "
                                f"{TARGETS_MAX} here", "value-too-long"))
        return (), problems
    for entry in entries:
        if not entry:
            problems.append(Problem(raw.key, raw.value, "has an empty entry; remove the "
                                    "doubled or trailing comma", "target-empty"))
            continue
        try:
            targets.append(str(ipaddress.ip_address(entry)))
            continue
        except ValueError:
            pass
        reason = hostnames.error(entry, allow_wildcard=False)
        if reason is not None:
            problems.append(Problem(
                raw.key, entry,
                f"is neither an IP address nor a valid hostname: it {reason.split(';')[0]}",
                "target-syntax"))
        else:
            targets.append(normalize(entry))
    return tuple(dict.fromkeys(targets)), problems


def _parse_set_identifier(value: str) -> str:
    if not 1 <= len(value) <= SET_IDENTIFIER_MAX or value != value.strip():
        raise ValueError(f"must be 1 to {SET_IDENTIFIER_MAX} characters without surrounding "
                         "spaces (Route53 SetIdentifier)")
    return value


def _parse_weight(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 3 and int(value) <= WEIGHT_MAX):
        raise ValueError(f"is not a valid weight; use a whole number from 0 to {WEIGHT_MAX}")
    return int(value)


def _parse_failover(value: str) -> str:
    if value not in FAILOVER_VALUES:
        hint = f'; did you mean "{value.upper()}"?' if value.upper() in FAILOVER_VALUES else ""
        raise ValueError(f"is not a failover role; use PRIMARY or SECONDARY{hint}")
    return value


def _parse_health_check(value: str) -> str:
    if not _UUID.fullmatch(value):
        raise ValueError("is not a Route53 health check id; use its UUID, e.g. "
                         "12345678-1234-1234-1234-123456789012")
    return value.lower()


def _refuse_evaluate_target_health(value: str) -> None:
    # Route53 evaluates target health only for alias records, and dnsgate publishes A, AAAA
    # and CNAME records, never aliases: accepting the annotation would promise nothing.
    raise ValueError("has no effect: Route53 evaluates target health only for alias records, "
                     "and dnsgate publishes A, AAAA and CNAME records, never aliases; remove "
                     "it (a health check works through aws-health-check-id)")


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
