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
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

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
HOSTNAME_MAX = 253
LABEL_MAX = 63
FAILOVER_VALUES = ("PRIMARY", "SECONDARY")

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_INTEGER = re.compile(r"[+-]?[0-9]+")  # Go's strconv.ParseInt, base 10
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
                 "m": 60.0, "h": 3600.0}
_GO_DURATION_MAX_SECONDS = (2**63 - 1) / 1e9

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
        return f'{self.annotation}: "{self.value}" {self.reason}'


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


@dataclass(frozen=True)
class Parsed:
    """`dns` is set only when there is a hostname and no problem at all."""

    dns: DNSAnnotations | None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()

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


def parse(annotations: Mapping[str, str] | None, domains: DomainFilter) -> Parsed:
    """Validate every DNS annotation of one object and collect all problems at once."""
    annotations = annotations or {}
    problems: list[Problem] = []
    warnings: list[str] = []
    raw: dict[str, Raw] = {}
    for key in (*DNSGATE_KEYS, *OTHER_EXTERNAL_DNS_KEYS):
        values = [Raw(p + key, annotations[p + key]) for p in PREFIXES if p + key in annotations]
        if len(values) == 2 and values[0].value != values[1].value:
            problems.append(Problem(
                values[1].key, values[1].value,
                f'differs from {values[0].key}: "{values[0].value}"; set one value under '
                "one prefix, or the same value under both",
                "prefix-conflict",
            ))
        if values:
            raw[key] = values[0]
    warnings += _unknown_key_warnings(annotations)

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
    set_identifier = _field(raw.get(SET_IDENTIFIER), _parse_set_identifier, problems, "set-id")
    weight = _field(raw.get(AWS_WEIGHT), _parse_weight, problems, "weight")
    failover = _field(raw.get(AWS_FAILOVER), _parse_failover, problems, "failover")
    health = _field(raw.get(AWS_HEALTH_CHECK_ID), _parse_health_check, problems, "health-check")
    evaluate = _field(
        raw.get(AWS_EVALUATE_TARGET_HEALTH), _parse_bool, problems, "evaluate-target-health"
    )
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
        return Parsed(None, tuple(problems), tuple(warnings))
    prefix = hostname.key[: -len(HOSTNAME)]
    return Parsed(
        DNSAnnotations(
            prefix=prefix, hostnames=names, ttl=ttl, targets=targets,
            set_identifier=set_identifier, aws_weight=weight, aws_failover=failover,
            aws_health_check_id=health, aws_evaluate_target_health=evaluate,
        ),
        (),
        tuple(warnings),
    )


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
    for entry in _split(raw.value):
        if not entry:
            problems.append(Problem(
                raw.key, raw.value,
                "has an empty entry; remove the doubled or trailing comma", "hostname-empty"))
            continue
        reason, rule = hostname_error(entry), "hostname-syntax"
        if reason is None:
            reason, rule = domains.rejection(entry), "hostname-domain"
        if reason is not None:
            problems.append(Problem(raw.key, entry, reason, rule))
        elif normalize(entry) not in names:
            names.append(normalize(entry))
    return tuple(names), problems


def hostname_error(entry: str, *, allow_wildcard: bool = True) -> str | None:
    """Why `entry` is not a valid DNS hostname, or None when it is."""
    example = "a bare name such as app.goldentooth.net"
    if "://" in entry:
        return f"has a URL scheme; give {example}"
    try:
        ipaddress.ip_address(entry[:-1] if entry.endswith(".") else entry)
    except ValueError:
        pass
    else:
        return f"is an IP address, not a hostname; give {example}"
    if "/" in entry:
        return f"has a path; give {example}"
    if ":" in entry:
        return f"has a port; give {example}"
    if entry.endswith(".."):
        return "ends in more than one dot; one trailing dot at most"
    name = entry[:-1] if entry.endswith(".") else entry
    if len(name) > HOSTNAME_MAX:
        return f"is {len(name)} characters long; a DNS name has at most {HOSTNAME_MAX}"
    labels = name.lower().split(".")
    if len(labels) < 2:
        return f"is not a fully qualified name; give {example}"
    for index, label in enumerate(labels):
        if label == "*" and index == 0 and allow_wildcard:
            continue
        if not label:
            return "has an empty label (two dots in a row, or a leading dot)"
        if "*" in label:
            return ('has a "*" that is not the whole first label; only a leading "*." '
                    "wildcard is allowed")
        if len(label) > LABEL_MAX:
            return (f'has a label of {len(label)} characters ("{label[:20]}..."); '
                    f"a label has at most {LABEL_MAX}")
        if not _LABEL.fullmatch(label):
            if label.startswith("-") or label.endswith("-"):
                return f'has a label "{label}" that starts or ends with a hyphen'
            return (f'has a label "{label}" with characters other than letters, digits '
                    "and inner hyphens")
    if labels[-1].isdigit():
        # RFC 3696 section 2: a top-level domain is never all-numeric, so "10.0.0.256"
        # is a mistyped address rather than a name.
        return f"has an all-numeric last label; give {example}"
    return None


def parse_ttl(value: str) -> int:
    """Seconds, as ExternalDNS reads the ttl annotation; ValueError with what would be valid."""
    text = value.strip()
    seconds: float
    # Length first: Python refuses int() of more than 4300 digits, Go's ParseInt of 20.
    if _INTEGER.fullmatch(text) and len(text) <= 20 and abs(int(text)) < 2**63:
        seconds = int(text)
    else:
        parsed = go_duration_seconds(text)
        if parsed is None:
            raise ValueError(f"is not a valid TTL; use {TTL_EXPECTED}")
        seconds = int(parsed)  # Go: int64(d.Seconds()) truncates toward zero
    if not TTL_MIN <= seconds <= TTL_MAX:
        raise ValueError(f"is out of range; use {TTL_EXPECTED}")
    return int(seconds)


def go_duration_seconds(text: str) -> float | None:
    """time.ParseDuration's grammar: `[-+]?(number unit)+` or "0"; None if invalid."""
    sign = 1.0
    if text[:1] in "+-" and text:
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        return None
    total, position = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        number = match.group(1)
        if match.start() != position or number in ("", "."):
            return None
        total += float(number) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(text) or total > _GO_DURATION_MAX_SECONDS:
        return None
    return sign * total


def parse_targets(raw: Raw) -> tuple[tuple[str, ...], list[Problem]]:
    targets: list[str] = []
    problems: list[Problem] = []
    for entry in _split(raw.value):
        if not entry:
            problems.append(Problem(raw.key, raw.value, "has an empty entry; remove the "
                                    "doubled or trailing comma", "target-empty"))
            continue
        try:
            targets.append(str(ipaddress.ip_address(entry)))
            continue
        except ValueError:
            pass
        reason = hostname_error(entry, allow_wildcard=False)
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


def _parse_bool(value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError('must be "true" or "false"')
    return value == "true"


def _unknown_key_warnings(annotations: Mapping[str, str]) -> list[str]:
    known = (*DNSGATE_KEYS, *OTHER_EXTERNAL_DNS_KEYS)
    warnings = []
    for full_key in annotations:
        for prefix in PREFIXES:
            if full_key.startswith(prefix) and full_key[len(prefix):] not in known:
                key = full_key[len(prefix):]
                close = difflib.get_close_matches(key, DNSGATE_KEYS, n=1, cutoff=0.6)
                # Only the key: with the prefix repeated, the line outgrows the 120 characters
                # advised for an admission warning, and the webhook would cut the hint off.
                hint = f"; did you mean {close[0]}?" if close else ""
                warnings.append(f"{full_key} is not an annotation dnsgate knows{hint}")
    return warnings
