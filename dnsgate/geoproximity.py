"""Route53 geoproximity routing from the `aws-geoproximity-*` annotations, read as
ExternalDNS v0.23.0 reads them and refused where Route53 or ExternalDNS would not keep them
(docs/route53-alias.md, "Geoproximity routing").

ExternalDNS turns each annotation into the endpoint property `aws/geoproximity-<x>`; its AWS
provider sends them as `GeoProximityLocation` (`AWSRegion`, `LocalZoneGroup`, `Coordinates`
from `"latitude,longitude"`, `Bias`) and, once a set identifier and a location are given,
adds `Bias` 0 when none is (so the record it reads back compares equal). Route53 takes one
location per record set, a bias from -99 to 99, and coordinates matching its patterns.

Pure: `parse(raw)` takes the annotations found (key -> `Raw`) and returns the properties to
publish, or the problems, each naming the annotation, the value and what would be valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dnsgate import values
from dnsgate.values import Problem, Raw

REGION = "aws-geoproximity-region"
LOCAL_ZONE_GROUP = "aws-geoproximity-local-zone-group"
COORDINATES = "aws-geoproximity-coordinates"
BIAS = "aws-geoproximity-bias"
KEYS = (REGION, LOCAL_ZONE_GROUP, COORDINATES, BIAS)
LOCATIONS = (REGION, LOCAL_ZONE_GROUP, COORDINATES)

BIAS_MIN, BIAS_MAX = -99, 99  # Route53's Bias shape
LATITUDE_MAX, LONGITUDE_MAX = 90.0, 180.0  # ExternalDNS's validateCoordinates, Route53's docs
# Route53's Latitude and Longitude shapes (botocore's model): at most two decimals.
_LATITUDE = re.compile(r"[-+]?[0-9]{1,2}(\.[0-9]{0,2})?")
_LONGITUDE = re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]{0,2})?")
_BIAS = re.compile(r"0|-?[1-9][0-9]?")  # as ExternalDNS reads it back: Go's %d
# A Local Zone group is the Local Zone's name without its last letter: us-east-1-bue-1.
_LOCAL_ZONE_GROUP = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+(-[a-z]+-[0-9]+)+")

VALUE_MAX = {REGION: 64, LOCAL_ZONE_GROUP: 64,  # Route53's AWSRegion and LocalZoneGroup
             COORDINATES: 14,  # "-89.99,-179.99"
             BIAS: 3}


@dataclass(frozen=True)
class GeoProximity:
    """One record set's geoproximity location: exactly one of region, local zone group or
    coordinates ("latitude,longitude", as written), and the bias (0 unless given)."""

    region: str | None = None
    local_zone_group: str | None = None
    coordinates: str | None = None
    bias: int = 0

    def properties(self) -> dict[str, str]:
        """The endpoint properties ExternalDNS gives such a record, bias always included."""
        found = {"aws/geoproximity-region": self.region,
                 "aws/geoproximity-local-zone-group": self.local_zone_group,
                 "aws/geoproximity-coordinates": self.coordinates}
        return {**{k: v for k, v in found.items() if v is not None},
                "aws/geoproximity-bias": str(self.bias)}


def parse(raw: Mapping[str, Raw], given_keys: Mapping[str, Raw] | None = None
          ) -> tuple[GeoProximity | None, list[Problem]]:
    """The geoproximity location the annotations in `raw` ask for (None: none asked).
    `given_keys` holds every annotation given, also those refused for their size and so left
    out of `raw`: which locations are given is read from it (default: `raw`)."""
    given_keys = raw if given_keys is None else given_keys
    problems: list[Problem] = []
    region = values.field(raw.get(REGION), _region, problems, "geoproximity-region")
    group = values.field(raw.get(LOCAL_ZONE_GROUP), _local_zone_group, problems,
                         "geoproximity-local-zone-group")
    coordinates = values.field(raw.get(COORDINATES), _coordinates, problems,
                               "geoproximity-coordinates")
    bias = values.field(raw.get(BIAS), _bias, problems, "geoproximity-bias")
    given = [given_keys[key] for key in LOCATIONS if key in given_keys]
    for extra in given[1:]:
        problems.append(Problem(
            extra.key, extra.value,
            f"cannot be combined with {given[0].key}: Route53 takes one geoproximity "
            "location per record set (an AWS region, a Local Zone group or coordinates); "
            "keep one of them", "geoproximity-locations"))
    if BIAS in given_keys and not given:
        bias_raw = given_keys[BIAS]
        prefix = bias_raw.key.split("/")[0]
        problems.append(Problem(
            bias_raw.key, bias_raw.value,
            f"needs a location to bias: add {prefix}/{REGION}, {prefix}/{LOCAL_ZONE_GROUP} "
            f"or {prefix}/{COORDINATES} (Route53 refuses a geoproximity record without one)",
            "geoproximity-bias-without-location"))
    unread = any(key in given_keys and key not in raw for key in KEYS)
    if problems or not given or unread:
        return None, problems
    return GeoProximity(region, group, coordinates, bias or 0), []


def _region(value: str) -> str:
    regions = values.latency_regions()
    if value not in regions:
        hint = f'; did you mean "{value.lower()}"?' if value.lower() in regions else ""
        raise ValueError("is not an AWS region Route53 routes to; use one such as "
                         f"us-east-1 (Route53 accepts {len(regions)}){hint}")
    return value


def _local_zone_group(value: str) -> str:
    if not _LOCAL_ZONE_GROUP.fullmatch(value):
        raise ValueError("is not an AWS Local Zone group; use the Local Zone's name without "
                         'its last letter, e.g. "us-east-1-bue-1" for us-east-1-bue-1a')
    return value


def _coordinates(value: str) -> str:
    expected = ('use "latitude,longitude" in degrees with at most two decimals and no '
                'spaces, latitude -90 to 90, longitude -180 to 180, e.g. "51.50,-0.12"')
    parts = value.split(",")
    if len(parts) != 2 or not (_LATITUDE.fullmatch(parts[0])
                               and _LONGITUDE.fullmatch(parts[1])):
        raise ValueError(f"are not coordinates Route53 takes; {expected} (ExternalDNS "
                         "drops coordinates it cannot read, with a warning)")
    if abs(float(parts[0])) > LATITUDE_MAX or abs(float(parts[1])) > LONGITUDE_MAX:
        raise ValueError(f"are out of range; {expected}")
    return value


def _bias(value: str) -> int:
    if not _BIAS.fullmatch(value):
        raise ValueError(f"is not a bias; use a whole number from {BIAS_MIN} to {BIAS_MAX}, "
                         'without a "+" or leading zeros (Route53 lists it back that way, '
                         "and ExternalDNS sends an unreadable bias as 0)")
    return int(value)
