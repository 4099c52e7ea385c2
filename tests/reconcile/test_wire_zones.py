"""Geoproximity records and the zone annotations on the wire: what dnsgate sends to and reads
from Route53 for `aws-geoproximity-*`, `aws-target-hosted-zone` and `aws-hosted-zone-id`
(docs/route53-alias.md), each request checked against the Route53 model botocore ships
(a Stubber answers after the client validated and serialised it)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reconciler import endpoint, route53
from reconciler.registry import Change

ZONE = route53.Zone("ZOWNZONE", "goldentooth.net", private=False)
PRIVATE = route53.Zone("ZPRIVATE", "goldentooth.net", private=True)
ELB = "k8s-web-0123456789.us-east-1.elb.amazonaws.com"
S3 = "bucket.s3-website.eu-west-1.amazonaws.com"
OK = {"ChangeInfo": {"Id": "/change/C1", "Status": "PENDING",
                     "SubmittedAt": "2026-01-01T00:00:00Z"}}
A_10 = {"TTL": 60, "ResourceRecords": [{"Value": "10.0.0.1"}]}


def record(properties: dict[str, str], *, kind: str = "A", targets: tuple[str, ...] = ("10.0.0.1",),
           zone_id: str = "") -> endpoint.Endpoint:
    return endpoint.make("geo.goldentooth.net", kind, list(targets), ttl=60,
                         set_identifier="eu", properties=properties, zone_id=zone_id)


def alias(**properties: str) -> endpoint.Endpoint:
    return endpoint.make("site.goldentooth.net", "A", [S3], properties={
        endpoint.ALIAS: "true", endpoint.EVALUATE_TARGET_HEALTH: "false", **properties})


def model_checked(change: dict[str, Any]) -> None:
    client = boto3.client("route53", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stubber:
        stubber.add_response("change_resource_record_sets", OK)
        client.change_resource_record_sets(HostedZoneId=ZONE.id,
                                           ChangeBatch={"Changes": [change]})


GEO = "aws/geoproximity-"
SENT = [
    ("region", {GEO + "region": "eu-west-1", GEO + "bias": "0"},
     {"AWSRegion": "eu-west-1", "Bias": 0}),
    ("local-zone-group", {GEO + "local-zone-group": "us-east-1-bue-1", GEO + "bias": "-20"},
     {"LocalZoneGroup": "us-east-1-bue-1", "Bias": -20}),
    ("coordinates", {GEO + "coordinates": "51.50,-0.12", GEO + "bias": "99"},
     {"Coordinates": {"Latitude": "51.50", "Longitude": "-0.12"}, "Bias": 99}),
]


@pytest.mark.parametrize(("properties", "location"), [c[1:] for c in SENT],
                         ids=[c[0] for c in SENT])
def test_geoproximity_is_sent_as_route53_takes_it(properties, location) -> None:
    change = route53.to_change(Change("CREATE", record(properties)), ZONE.id)

    assert change["ResourceRecordSet"] == {
        "Name": "geo.goldentooth.net.", "Type": "A", "SetIdentifier": "eu", **A_10,
        "GeoProximityLocation": location}
    model_checked(change)


@pytest.mark.parametrize("location", [c[2] for c in SENT], ids=[c[0] for c in SENT])
def test_a_listed_geoproximity_record_reads_back_as_the_record_dnsgate_writes(location) -> None:
    listed = {"Name": "geo.goldentooth.net.", "Type": "A", "SetIdentifier": "eu", **A_10,
              "GeoProximityLocation": location}

    read = route53.to_endpoint(listed, ZONE.id)

    assert route53.to_change(Change("CREATE", read), ZONE.id)["ResourceRecordSet"] == listed


def test_geolocation_is_read_before_geoproximity_as_external_dns_reads_them() -> None:
    listed = {"Name": "geo.goldentooth.net.", "Type": "A", "SetIdentifier": "eu", **A_10,
              "GeoLocation": {"CountryCode": "DE"},
              "GeoProximityLocation": {"AWSRegion": "eu-west-1", "Bias": 0}}

    assert dict(route53.to_endpoint(listed).properties) == {endpoint.GEO_COUNTRY: "DE"}


def test_an_alias_goes_to_the_target_zone_its_annotation_names() -> None:
    change = route53.to_change(Change("CREATE", alias(**{
        endpoint.TARGET_HOSTED_ZONE: "Z1BKCTXD74EZPE"})), ZONE.id)

    assert change["ResourceRecordSet"]["AliasTarget"] == {
        "DNSName": S3, "HostedZoneId": "Z1BKCTXD74EZPE", "EvaluateTargetHealth": False}
    model_checked(change)


@pytest.mark.parametrize(("listed_zone", "given"), [
    ("ZOWNZONE", None),  # the same-zone default: nothing to say
    ("Z1BKCTXD74EZPE", "Z1BKCTXD74EZPE"),
], ids=["default-zone", "another-zone"])
def test_an_alias_target_zone_is_read_back_only_where_it_is_not_the_default(
        listed_zone: str, given: str | None) -> None:
    listed = {"Name": "site.goldentooth.net.", "Type": "A", "AliasTarget": {
        "DNSName": S3 + ".", "HostedZoneId": listed_zone, "EvaluateTargetHealth": False}}

    read = route53.to_endpoint(listed, ZONE.id)

    assert dict(read.properties).get(endpoint.TARGET_HOSTED_ZONE) == given


@pytest.mark.parametrize(("given", "expected"), [
    ("ZOWNZONE", None),  # naming the zone it would get anyway plans no change
    ("Z1BKCTXD74EZPE", "Z1BKCTXD74EZPE"),
], ids=["names-the-default", "names-another"])
def test_a_desired_alias_compares_with_what_the_zone_lists_back(given, expected) -> None:
    written = route53.as_written(alias(**{endpoint.TARGET_HOSTED_ZONE: given}), ZONE)
    listed = route53.to_change(Change("CREATE", written), ZONE.id)["ResourceRecordSet"]

    assert dict(written.properties).get(endpoint.TARGET_HOSTED_ZONE) == expected
    assert route53.to_endpoint({**listed, "AliasTarget": {
        **listed["AliasTarget"], "DNSName": S3 + "."}}, ZONE.id) == written


def test_the_target_zone_is_not_copied_to_the_ownership_txt() -> None:
    properties = alias(**{endpoint.TARGET_HOSTED_ZONE: "Z1BKCTXD74EZPE"}).properties

    assert endpoint.TARGET_HOSTED_ZONE not in dict(endpoint.txt_properties(properties))


@pytest.mark.parametrize(("pin", "written_to", "reason"), [
    ("", ("ZPRIVATE", "ZOWNZONE"), ""),
    ("ZPRIVATE", ("ZPRIVATE",), ""),
    ("ZOWNZONE", ("ZOWNZONE",), ""),
    ("ZELSEWHERE", (), "aws-hosted-zone-id ZELSEWHERE is not a hosted zone dnsgate writes "
                       "geo.goldentooth.net to; use one of: ZPRIVATE (goldentooth.net, "
                       "private), ZOWNZONE (goldentooth.net)"),
], ids=["unpinned-split-horizon", "pinned-private", "pinned-public", "pinned-elsewhere"])
def test_a_pinned_record_goes_to_its_zone_alone(pin, written_to, reason) -> None:
    pinned = record({}, zone_id=pin)
    holding = route53.zones_for(pinned.dnsname, (ZONE, PRIVATE))

    assert tuple(z.id for z in route53.pinned(pinned, holding)) == written_to
    assert route53.unpinned(pinned, holding) == reason
