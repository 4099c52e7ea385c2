"""The value types every stage passes along: one DNS record set as dnsgate sees it.

An `Endpoint` is a Route53 record set without Route53's spelling: a normalised name (lower
case, no trailing dot), a type, sorted targets, a TTL, a SetIdentifier and the routing
properties (weight, failover, health check, ...) as sorted `(key, value)` pairs. Labels carry
what the TXT registry knows about it: `owner` and `resource` (`service/<ns>/<name>`), as in
ExternalDNS's endpoint labels.

An ALIAS record set (docs/route53-alias.md) is an A or AAAA Endpoint with the property
`alias=true`, its one target the alias target's DNS name, TTL 300 and the property
`aws/evaluate-target-health`; the target's hosted zone is worked out when it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

OWNER = "owner"
RESOURCE = "resource"

# Routing properties, named as ExternalDNS's AWS provider names them.
WEIGHT = "aws/weight"
FAILOVER = "aws/failover"
HEALTH_CHECK_ID = "aws/health-check-id"
EVALUATE_TARGET_HEALTH = "aws/evaluate-target-health"
REGION = "aws/region"
GEO_CONTINENT = "aws/geolocation-continent-code"
GEO_COUNTRY = "aws/geolocation-country-code"
GEO_SUBDIVISION = "aws/geolocation-subdivision-code"
MULTI_VALUE_ANSWER = "aws/multi-value-answer"  # present means on; its value is always ""
GEOPROXIMITY_REGION = "aws/geoproximity-region"
GEOPROXIMITY_LOCAL_ZONE_GROUP = "aws/geoproximity-local-zone-group"
GEOPROXIMITY_COORDINATES = "aws/geoproximity-coordinates"  # "latitude,longitude"
GEOPROXIMITY_BIAS = "aws/geoproximity-bias"
ALIAS = "alias"
# An alias target's hosted zone, present only where it is not the one dnsgate would compute
# for the zone the record is in (docs/route53-alias.md, "Zone annotations").
TARGET_HOSTED_ZONE = "aws/target-hosted-zone"
# Properties of the record alone: its ownership TXT carries every other one (routing and
# health check), as ExternalDNS's TXT registry copies them.
ALIAS_ONLY = (ALIAS, EVALUATE_TARGET_HEALTH, TARGET_HOSTED_ZONE)

A, AAAA, CNAME, TXT = "A", "AAAA", "CNAME", "TXT"
MANAGED_TYPES = (A, AAAA, CNAME)

# Route53 writes a record set without a TTL as 300 s; ExternalDNS relies on that default.
DEFAULT_TTL = 300

Key = tuple[str, str, str]  # (dnsname, record type, set identifier)


def pairs(mapping: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(mapping.items()))


@dataclass(frozen=True)
class Endpoint:
    dnsname: str
    record_type: str
    targets: tuple[str, ...]
    ttl: int = DEFAULT_TTL
    set_identifier: str = ""
    properties: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    zone_id: str = field(default="", compare=False)
    """The one hosted zone a desired record goes to (`aws-hosted-zone-id`), "" for every
    zone that holds its name. Not a Route53 field: a listing never shows it."""

    @property
    def key(self) -> Key:
        return (self.dnsname, self.record_type, self.set_identifier)

    def label(self, name: str) -> str | None:
        return dict(self.labels).get(name)

    def with_labels(self, **labels: str) -> Endpoint:
        merged = {**dict(self.labels), **labels}
        return replace(self, labels=pairs(merged))

    def same_record(self, other: Endpoint) -> bool:
        """Whether Route53 would hold the same record set: what an update must change."""
        return (
            self.targets == other.targets
            and self.ttl == other.ttl
            and self.properties == other.properties
        )

    @property
    def alias(self) -> bool:
        return self.record_type in (A, AAAA) and dict(self.properties).get(ALIAS) == "true"

    def describe(self) -> str:
        routing = f" [{self.set_identifier}]" if self.set_identifier else ""
        return f"{self.dnsname} {self.record_type}{routing}"


def txt_properties(properties: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The properties an ownership TXT shares with its record: all but the alias ones."""
    return tuple(pair for pair in properties if pair[0] not in ALIAS_ONLY)


def make(
    dnsname: str,
    record_type: str,
    targets: tuple[str, ...] | list[str],
    *,
    ttl: int | None = None,
    set_identifier: str | None = None,
    properties: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    zone_id: str = "",
) -> Endpoint:
    """An Endpoint in canonical form (sorted, de-duplicated targets; TTL default applied)."""
    return Endpoint(
        dnsname=dnsname.rstrip(".").lower(),
        record_type=record_type,
        targets=tuple(sorted(set(targets))),
        ttl=DEFAULT_TTL if ttl is None else ttl,
        set_identifier=set_identifier or "",
        properties=pairs(properties or {}),
        labels=pairs(labels or {}),
        zone_id=zone_id,
    )
