"""The Route53 provider: zones, their record sets, and applying change groups.

Through boto3 behind `Route53Client`, a Protocol of the three calls used, so region,
credentials and endpoint come from boto3's normal chain (AWS_SHARED_CREDENTIALS_FILE,
AWS_ENDPOINT_URL_ROUTE_53). Zones are chosen by domain filter, zone type and zone id
filter. Record sets are listed 300 per page (Route53's maximum), a whole zone or the sets at
a few names. Changes are packed by
`batching.pack` within the batch limits of `Route53Settings`, with its batch interval between
two change calls; a batch Route53 refuses is bisected so one bad change never blocks the
rest: good groups land, the bad group is returned as failed.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Protocol

from dnsgate.backoff import Backoff
from dnsgate.domains import normalize, within
from reconciler import alias, batching, endpoint, throttle
from reconciler.endpoint import Endpoint
from reconciler.errors import RecordRejected
from reconciler.registry import Change, ChangeGroup
from reconciler.settings import Route53Settings

PAGE_LIMIT = 300  # ListResourceRecordSets' maximum page
PAGE_SIZE = str(PAGE_LIMIT)
_OCTAL = re.compile(r"\\([0-7]{3})")

# Route53 fields of the routing properties that are plain strings.
_STRING_FIELDS = {endpoint.REGION: "Region", endpoint.FAILOVER: "Failover",
                  endpoint.HEALTH_CHECK_ID: "HealthCheckId"}
_GEO_FIELDS = {endpoint.GEO_CONTINENT: "ContinentCode", endpoint.GEO_COUNTRY: "CountryCode",
               endpoint.GEO_SUBDIVISION: "SubdivisionCode"}
# GeoProximityLocation's string fields; Coordinates and Bias are shaped apart.
_PROXIMITY_FIELDS = {endpoint.GEOPROXIMITY_REGION: "AWSRegion",
                     endpoint.GEOPROXIMITY_LOCAL_ZONE_GROUP: "LocalZoneGroup"}


class Route53Client(Protocol):
    def list_hosted_zones(self, **kwargs: Any) -> Any: ...

    def list_resource_record_sets(self, **kwargs: Any) -> Any: ...

    def change_resource_record_sets(self, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    private: bool


@dataclass(frozen=True)
class Failed:
    group: ChangeGroup
    message: str
    refused: bool = True
    """Route53 refused the group for what it holds or says (RecordRejected); False: the call
    failed past its retries, and the group may or may not have landed."""


@dataclass(frozen=True)
class Applied:
    landed: tuple[ChangeGroup, ...] = ()
    failed: tuple[Failed, ...] = ()
    calls: int = 0


@dataclass
class Provider:
    client: Route53Client
    settings: Route53Settings
    backoff: Backoff = throttle.CALL_BACKOFF
    attempts: int | None = None
    """Tries per call; None: one more than the settings' api_retries."""
    limiter: throttle.RateLimiter | None = None
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = throttle.RateLimiter(self.settings.requests_per_second)
        if self.attempts is None:
            self.attempts = self.settings.api_retries + 1

    def _call(self, fn: Callable[[], Any]) -> Any:
        assert self.limiter is not None and self.attempts is not None
        return throttle.call(fn, self.limiter, self.backoff, self.attempts, self.sleep)

    def zones(self) -> tuple[Zone, ...]:
        found: list[Zone] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self._call(partial(self.client.list_hosted_zones, **kwargs))
            found.extend(zone for zone in map(zone_of, page.get("HostedZones", []))
                         if selected(zone, self.settings))
            if not page.get("IsTruncated"):
                return tuple(found)
            kwargs = {"Marker": page["NextMarker"]}

    def records(self, zone: Zone) -> tuple[Endpoint, ...]:
        found: list[Endpoint] = []
        kwargs: dict[str, Any] = {"HostedZoneId": zone.id, "MaxItems": PAGE_SIZE}
        while True:
            page = self._call(partial(self.client.list_resource_record_sets, **kwargs))
            found.extend(to_endpoint(raw, zone.id) for raw in page.get("ResourceRecordSets", []))
            if not page.get("IsTruncated"):
                return tuple(found)
            kwargs = {"HostedZoneId": zone.id, "MaxItems": PAGE_SIZE,
                      "StartRecordName": page["NextRecordName"],
                      "StartRecordType": page["NextRecordType"]}
            if page.get("NextRecordIdentifier"):
                kwargs["StartRecordIdentifier"] = page["NextRecordIdentifier"]

    def records_at(self, zone: Zone, names: Iterable[str]) -> tuple[Endpoint, ...]:
        """The record sets at exactly these names, each name read with one
        ListResourceRecordSets starting at it (Route53 lists in name order, so the sets at a
        name come first), not the whole zone: what a refused change is checked against."""
        found: list[Endpoint] = []
        for name in sorted(set(names)):
            kwargs: dict[str, Any] = {"HostedZoneId": zone.id, "MaxItems": PAGE_SIZE,
                                      "StartRecordName": name + "."}
            while True:
                page = self._call(partial(self.client.list_resource_record_sets, **kwargs))
                listed = [to_endpoint(raw, zone.id)
                          for raw in page.get("ResourceRecordSets", [])]
                found.extend(record for record in listed if record.dnsname == name)
                if (not page.get("IsTruncated") or not listed
                        or listed[-1].dnsname != name):
                    break
                kwargs = {**kwargs, "StartRecordName": page["NextRecordName"],
                          "StartRecordType": page["NextRecordType"]}
                if page.get("NextRecordIdentifier"):
                    kwargs["StartRecordIdentifier"] = page["NextRecordIdentifier"]
        return tuple(found)

    def apply(self, zone: Zone, groups: Sequence[ChangeGroup],
              stop: threading.Event | None = None) -> Applied:
        """Send every group; bisect refused batches down to the single failing group."""
        landed: list[ChangeGroup] = []
        failed: list[Failed] = []
        calls = 0
        s = self.settings
        pending = [list(b) for b in batching.pack(
            groups, max_changes=s.batch_changes, max_chars=s.batch_chars,
            max_values=s.batch_values)]
        while pending:
            if calls and s.batch_interval:
                self.sleep(s.batch_interval)
            if stop is not None and stop.is_set():
                break  # SIGTERM: the batch in flight has finished; leave the rest
            batch = pending.pop(0)
            calls += 1
            try:
                self._call(partial(
                    self.client.change_resource_record_sets, HostedZoneId=zone.id,
                    ChangeBatch={"Comment": "dnsgate", "Changes": [
                        to_change(c, zone.id) for g in batch for c in g.changes]}))
            except RecordRejected as exc:
                if len(batch) == 1:
                    failed.append(Failed(batch[0], str(exc)))
                else:
                    left, right = batching.halves(batch)
                    pending[:0] = [list(left), list(right)]
                continue
            landed.extend(batch)
        return Applied(tuple(landed), tuple(failed), calls)


def zone_of(raw: dict[str, Any]) -> Zone:
    """A zone as ListHostedZones describes it."""
    return Zone(raw["Id"].rsplit("/", 1)[-1], normalize(decode_name(raw["Name"])),
                bool(raw.get("Config", {}).get("PrivateZone")))


def selected(zone: Zone, settings: Route53Settings) -> bool:
    """Whether dnsgate manages this zone: its id, type and domain pass the filters."""
    if settings.zone_ids and zone.id not in settings.zone_ids:
        return False
    if settings.zone_type and zone.private != (settings.zone_type == "private"):
        return False
    # A zone matters when a managed name can live in it: the zone is inside a filter
    # domain, or a filter domain is inside the zone.
    domains = settings.domains.include
    return not domains or any(within(zone.name, d) or within(d, zone.name) for d in domains)


def decode_name(name: str) -> str:
    """Route53 returns some characters as octal escapes (`*` as `\\052`)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), name)


def to_endpoint(raw: dict[str, Any], zone_id: str = "") -> Endpoint:
    """A listed record set of the zone `zone_id` as an Endpoint, read as ExternalDNS reads it
    (docs/route53-alias.md): one routing property when there is a SetIdentifier, the health
    check whatever, and an alias as its target's name with TTL 300. An alias whose target
    zone is not the one dnsgate computes for it (`alias.target_zone`) also gets that zone as
    `aws/target-hosted-zone`, so a change of that annotation is seen."""
    properties = _routing_properties(raw) if raw.get("SetIdentifier") else {}
    if "HealthCheckId" in raw:
        properties[endpoint.HEALTH_CHECK_ID] = str(raw["HealthCheckId"])
    ttl = raw.get("TTL")
    if "AliasTarget" in raw:
        target = raw["AliasTarget"]
        targets = [normalize(decode_name(target["DNSName"]))]
        properties[endpoint.ALIAS] = "true"
        properties[endpoint.EVALUATE_TARGET_HEALTH] = str(
            bool(target.get("EvaluateTargetHealth"))).lower()
        ttl = ttl or alias.ALIAS_TTL
        listed_zone = str(target.get("HostedZoneId", ""))
        if listed_zone != (alias.canonical_zone(targets[0]) or zone_id):
            properties[endpoint.TARGET_HOSTED_ZONE] = listed_zone
    else:
        targets = [r["Value"] for r in raw.get("ResourceRecords", [])]
        if raw["Type"] in (endpoint.CNAME,):
            targets = [normalize(t) for t in targets]
    return endpoint.make(decode_name(raw["Name"]), raw["Type"], targets, ttl=ttl,
                         set_identifier=raw.get("SetIdentifier"), properties=properties)


def _routing_properties(raw: dict[str, Any]) -> dict[str, str]:
    """The one routing policy of a listed set, checked in ExternalDNS's order."""
    if "Weight" in raw:
        return {endpoint.WEIGHT: str(raw["Weight"])}
    if raw.get("Region"):
        return {endpoint.REGION: str(raw["Region"])}
    if raw.get("Failover"):
        return {endpoint.FAILOVER: str(raw["Failover"])}
    if raw.get("MultiValueAnswer"):
        return {endpoint.MULTI_VALUE_ANSWER: ""}
    geo = raw.get("GeoLocation")
    if geo is not None:
        if geo.get("ContinentCode"):
            return {endpoint.GEO_CONTINENT: str(geo["ContinentCode"])}
        return {key: str(geo[field]) for key, field in _GEO_FIELDS.items()
                if key != endpoint.GEO_CONTINENT and geo.get(field)}
    return _proximity_properties(raw.get("GeoProximityLocation") or {})


def _proximity_properties(location: dict[str, Any]) -> dict[str, str]:
    """ExternalDNS v0.23.0's reading of a GeoProximityLocation: each field that is set,
    coordinates as "latitude,longitude" and the bias as a plain integer."""
    found = {key: str(location[field]) for key, field in _PROXIMITY_FIELDS.items()
             if location.get(field)}
    if "Coordinates" in location:
        point = location["Coordinates"]
        found[endpoint.GEOPROXIMITY_COORDINATES] = f"{point['Latitude']},{point['Longitude']}"
    if location.get("Bias") is not None:
        found[endpoint.GEOPROXIMITY_BIAS] = str(int(location["Bias"]))
    return found


def to_change(change: Change, zone_id: str) -> dict[str, Any]:
    """One Change of a ChangeResourceRecordSets batch for the hosted zone `zone_id`: an alias
    gets an AliasTarget and no TTL or values, as the Route53 API model requires."""
    record = change.record
    raw: dict[str, Any] = {"Name": record.dnsname + ".", "Type": record.record_type}
    properties = dict(record.properties)
    if record.alias:
        raw["AliasTarget"] = {
            "DNSName": record.targets[0],
            "HostedZoneId": (properties.get(endpoint.TARGET_HOSTED_ZONE)
                             or alias.target_zone(record, zone_id)),
            "EvaluateTargetHealth": properties.get(endpoint.EVALUATE_TARGET_HEALTH) == "true",
        }
    else:
        raw["TTL"] = record.ttl
        raw["ResourceRecords"] = [{"Value": t} for t in record.targets]
    if record.set_identifier:
        raw["SetIdentifier"] = record.set_identifier
    if endpoint.WEIGHT in properties:
        raw["Weight"] = int(properties[endpoint.WEIGHT])
    for key, field_name in _STRING_FIELDS.items():
        if key in properties:
            raw[field_name] = properties[key]
    if endpoint.MULTI_VALUE_ANSWER in properties:
        raw["MultiValueAnswer"] = True
    geo = {field_name: properties[key] for key, field_name in _GEO_FIELDS.items()
           if key in properties}
    if geo:
        raw["GeoLocation"] = geo
    proximity = _proximity_location(properties)
    if proximity:
        raw["GeoProximityLocation"] = proximity
    return {"Action": change.action, "ResourceRecordSet": raw}


def _proximity_location(properties: dict[str, str]) -> dict[str, Any]:
    """GeoProximityLocation from the geoproximity properties, as ExternalDNS v0.23.0 builds
    it; the annotations admit only values Route53 takes, so nothing is dropped here."""
    location: dict[str, Any] = {field: properties[key]
                                for key, field in _PROXIMITY_FIELDS.items() if key in properties}
    if endpoint.GEOPROXIMITY_COORDINATES in properties:
        latitude, longitude = properties[endpoint.GEOPROXIMITY_COORDINATES].split(",")
        location["Coordinates"] = {"Latitude": latitude, "Longitude": longitude}
    if endpoint.GEOPROXIMITY_BIAS in properties:
        location["Bias"] = int(properties[endpoint.GEOPROXIMITY_BIAS])
    return location


def zone_for(name: str, zones: Sequence[Zone]) -> Zone | None:
    """The most specific zone that holds `name`, as Route53 resolves it."""
    holding = [z for z in zones if within(name, z.name)]
    return max(holding, key=lambda z: len(z.name)) if holding else None


def zones_for(name: str, zones: Sequence[Zone]) -> tuple[Zone, ...]:
    """Every zone a record for `name` is written to: each private zone that holds it and the
    most specific public one, as ExternalDNS's AWS provider chooses (`suitableZones`, v0.14 to
    v0.23). A split horizon (a public and a private zone of one name, `--aws-zone-type` empty)
    so gets every record in both (docs/externaldns-txt-registry.md, "Zones")."""
    holding = [z for z in zones if within(name, z.name)]
    public = zone_for(name, [z for z in holding if not z.private])
    return (*(z for z in holding if z.private), *((public,) if public else ()))


def pinned(record: Endpoint, zones: Sequence[Zone]) -> tuple[Zone, ...]:
    """Of the zones a record's name goes to, those it is written to: all of them, or the
    one its `aws-hosted-zone-id` names (none when that zone is not among them: ExternalDNS
    v0.23.0 skips the record then, and dnsgate reports it, `unpinned`)."""
    return tuple(z for z in zones if not record.zone_id or z.id == record.zone_id)


def unpinned(record: Endpoint, zones: Sequence[Zone]) -> str:
    """Why a record pinned to a zone is written nowhere, or "" when it is written."""
    if not record.zone_id or pinned(record, zones):
        return ""
    holding = ", ".join(f"{z.id} ({z.name}{', private' if z.private else ''})" for z in zones)
    return (f"aws-hosted-zone-id {record.zone_id} is not a hosted zone dnsgate writes "
            f"{record.dnsname} to; use one of: {holding or 'none holds it'}")


def as_written(record: Endpoint, zone: Zone) -> Endpoint:
    """A desired record as a listing of `zone` shows it once written: an alias target zone
    given by annotation is kept only where it differs from the computed one (`to_endpoint`
    reads it back the same way), so naming the default zone plans no change."""
    properties = dict(record.properties)
    given = properties.get(endpoint.TARGET_HOSTED_ZONE)
    if given is None or not record.alias or given != alias.target_zone(record, zone.id):
        return record
    del properties[endpoint.TARGET_HOSTED_ZONE]
    return replace(record, properties=endpoint.pairs(properties))
