"""How each annotation value is read: one reader per key, all linear in the value, each
turning what is wrong into a `Problem` that names the annotation, the value and what would
be valid (docs/annotations.md). `dnsgate.annotations.parse` runs them after the size caps.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from dnsgate import durations, txtname
from dnsgate import hostnames as dns_names
from dnsgate.domains import DomainFilter, normalize

TTL_MIN = 1
TTL_MAX = 2**31 - 1  # ExternalDNS: math.MaxInt32
WEIGHT_MAX = 255  # Route53's limit
SET_IDENTIFIER_MAX = 128  # Route53's limit
FAILOVER_VALUES = ("PRIMARY", "SECONDARY")

# Caps on lists (docs/annotations.md, "Size limits").
HOSTNAMES_MAX = 100  # names per Service: each is a record set and a TXT in one zone
TARGETS_MAX = 100  # values per record set: an UPSERT of 100 IPv6 fits Route53's 32,000
LIST_ENTRY_MAX = dns_names.HOSTNAME_MAX + 3  # a full name, a trailing dot, a comma, a space
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
class Raw:
    """One annotation as written: its full key and its value."""

    key: str
    value: str


_T = TypeVar("_T")


def field(
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


def hostnames(raw: Raw, domains: DomainFilter) -> tuple[tuple[str, ...], list[Problem]]:
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
        reason, rule = dns_names.error(entry), "hostname-syntax"
        if reason is None:
            reason, rule = domains.rejection(entry), "hostname-domain"
        if reason is not None:
            problems.append(Problem(raw.key, entry, reason, rule))
        elif normalize(entry) not in names:
            names.append(normalize(entry))
    return tuple(names), problems


def publishable(raw: Raw, names: tuple[str, ...], targets: tuple[str, ...],
                 txt: txtname.Naming) -> tuple[tuple[str, ...], list[Problem]]:
    """The names whose ownership TXT can exist, and a problem for each other one. With no
    target known yet the record type is the load balancer's to decide, so every type's TXT
    name must fit."""
    types = tuple(dict.fromkeys(_record_type(t) for t in targets)) or ANY_RECORD_TYPE
    kept: list[str] = []
    problems: list[Problem] = []
    for name in names:
        reason = dns_names.txt_name_error(name, types, txt)
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


def ttl(value: str) -> int:
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


def targets(raw: Raw) -> tuple[tuple[str, ...], list[Problem]]:
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
        reason = dns_names.error(entry, allow_wildcard=False)
        if reason is not None:
            problems.append(Problem(
                raw.key, entry,
                f"is neither an IP address nor a valid hostname: it {reason.split(';')[0]}",
                "target-syntax"))
        else:
            targets.append(normalize(entry))
    return tuple(dict.fromkeys(targets)), problems


def set_identifier(value: str) -> str:
    if not 1 <= len(value) <= SET_IDENTIFIER_MAX or value != value.strip():
        raise ValueError(f"must be 1 to {SET_IDENTIFIER_MAX} characters without surrounding "
                         "spaces (Route53 SetIdentifier)")
    return value


def weight(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 3 and int(value) <= WEIGHT_MAX):
        raise ValueError(f"is not a valid weight; use a whole number from 0 to {WEIGHT_MAX}")
    return int(value)


def failover(value: str) -> str:
    if value not in FAILOVER_VALUES:
        hint = f'; did you mean "{value.upper()}"?' if value.upper() in FAILOVER_VALUES else ""
        raise ValueError(f"is not a failover role; use PRIMARY or SECONDARY{hint}")
    return value


def health_check(value: str) -> str:
    if not _UUID.fullmatch(value):
        raise ValueError("is not a Route53 health check id; use its UUID, e.g. "
                         "12345678-1234-1234-1234-123456789012")
    return value.lower()


# ---- the alias, routing and Service-type annotations (docs/route53-alias.md) --------------

CONTINENT_CODES = ("AF", "AN", "AS", "EU", "OC", "NA", "SA")  # Route53's GeoLocation model
ACCESS_VALUES = ("public", "private")
_COUNTRY = re.compile(r"[A-Z]{2}|\*")  # ISO 3166-1 alpha-2, or "*" for the default location
_SUBDIVISION = re.compile(r"[A-Z0-9]{1,3}")


def alias(value: str) -> bool:
    if value != "true":
        raise ValueError('must be "true": ExternalDNS reads only "true" here and treats any '
                         "other value as if the annotation were absent (a load balancer "
                         "hostname still becomes an alias; --aws-prefer-cname keeps CNAMEs)")
    return True


def region(value: str) -> str:
    regions = latency_regions()
    if value not in regions:
        hint = f'; did you mean "{value.lower()}"?' if value.lower() in regions else ""
        raise ValueError(f"is not a Route53 latency region; use an AWS region such as "
                         f"us-east-1 (Route53 accepts {len(regions)}){hint}")
    return value


@functools.cache
def latency_regions() -> frozenset[str]:
    """The regions Route53 takes for latency records: botocore's Route53 model lists them."""
    import botocore.session
    from botocore.model import StringShape

    model = botocore.session.get_session().get_service_model("route53")
    shape = model.shape_for("ResourceRecordSetRegion")
    return frozenset(shape.enum if isinstance(shape, StringShape) else ())


def continent(value: str) -> str:
    if value not in CONTINENT_CODES:
        raise ValueError(f"is not a Route53 continent code; use one of "
                         f"{', '.join(CONTINENT_CODES)}")
    return value


def country(value: str) -> str:
    if not _COUNTRY.fullmatch(value):
        hint = f'; did you mean "{value.upper()}"?' if _COUNTRY.fullmatch(value.upper()) else ""
        raise ValueError('is not a country code; use two capital letters (ISO 3166-1 '
                         f'alpha-2, e.g. "DE"), or "*" for the default location{hint}')
    return value


def subdivision(value: str) -> str:
    if not _SUBDIVISION.fullmatch(value):
        raise ValueError('is not a subdivision code; use the capital-letter code of a US '
                         'state, e.g. "CA"')
    return value


def multi_value(value: str) -> bool:
    if value != "true":
        raise ValueError('must be "true": ExternalDNS turns multivalue answer routing on '
                         "whenever this annotation is present, whatever its value; remove it "
                         "to turn it off")
    return True


def access(value: str) -> str:
    if value not in ACCESS_VALUES:
        raise ValueError('must be "public" or "private" (ExternalDNS treats anything else as '
                         "if the annotation were absent)")
    return value


def boolean(value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError('must be "true" or "false"')
    return value == "true"
