"""Record sets on the wire: what dnsgate sends to and reads from Route53 for aliases and the
routing family, checked against the Route53 API model botocore ships.

moto accepts request shapes Route53 refuses (an alias with a TTL, a DELETE of an alias with
another EvaluateTargetHealth; docs/route53-alias.md), so these tests send dnsgate's
requests through a real botocore client whose Stubber answers instead of the network: the
client validates every parameter against the model and serialises the REST XML body before
the Stubber sees the call, as it would for AWS. The rules the model only documents (omit
TTL and ResourceRecords for an alias; continent excludes country) are checked here too.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import boto3
import pytest
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber

from dnsgate.domains import DomainFilter
from reconciler import endpoint, route53, throttle
from reconciler.registry import Change, ChangeGroup
from reconciler.settings import Route53Settings

ZONE = route53.Zone("ZOWNZONE", "goldentooth.net", private=False)
ELB = "k8s-web-0123456789.us-east-1.elb.amazonaws.com"
UUID = "12345678-1234-1234-1234-123456789abc"
OK = {"ChangeInfo": {"Id": "/change/C1", "Status": "PENDING",
                     "SubmittedAt": "2026-01-01T00:00:00Z"}}


def alias_record(name: str, target: str, kind: str = "A", evaluate: str = "true", *,
                 set_identifier: str | None = None, **properties: str) -> endpoint.Endpoint:
    return endpoint.make(name, kind, [target], set_identifier=set_identifier, properties={
        endpoint.ALIAS: "true", endpoint.EVALUATE_TARGET_HEALTH: evaluate, **properties})


def sent(*changes: Change) -> list[dict[str, Any]]:
    return [route53.to_change(change, ZONE.id) for change in changes]


@pytest.mark.parametrize(("change", "expected"), [
    (Change("CREATE", alias_record("web.goldentooth.net", ELB)),
     {"Name": "web.goldentooth.net.", "Type": "A", "AliasTarget": {
         "DNSName": ELB, "HostedZoneId": "Z35SXDOTRQ7X7K", "EvaluateTargetHealth": True}}),
    (Change("CREATE", alias_record("web.goldentooth.net", ELB, "AAAA", "false")),
     {"Name": "web.goldentooth.net.", "Type": "AAAA", "AliasTarget": {
         "DNSName": ELB, "HostedZoneId": "Z35SXDOTRQ7X7K", "EvaluateTargetHealth": False}}),
    (Change("CREATE", alias_record("web.goldentooth.net", "app.goldentooth.net")),
     {"Name": "web.goldentooth.net.", "Type": "A", "AliasTarget": {
         "DNSName": "app.goldentooth.net", "HostedZoneId": "ZOWNZONE",
         "EvaluateTargetHealth": True}}),
    (Change("UPSERT", endpoint.make("web.goldentooth.net", "A", ["10.0.0.1"], ttl=60,
                                    properties={endpoint.HEALTH_CHECK_ID: UUID})),
     {"Name": "web.goldentooth.net.", "Type": "A", "TTL": 60,
      "ResourceRecords": [{"Value": "10.0.0.1"}], "HealthCheckId": UUID}),
    (Change("CREATE", endpoint.make("web.goldentooth.net", "A", ["10.0.0.1"], ttl=60,
                                    set_identifier="eu",
                                    properties={endpoint.REGION: "eu-west-1"})),
     {"Name": "web.goldentooth.net.", "Type": "A", "TTL": 60, "SetIdentifier": "eu",
      "ResourceRecords": [{"Value": "10.0.0.1"}], "Region": "eu-west-1"}),
    (Change("CREATE", endpoint.make("web.goldentooth.net", "A", ["10.0.0.1"], ttl=60,
                                    set_identifier="ca", properties={
                                        endpoint.GEO_COUNTRY: "US",
                                        endpoint.GEO_SUBDIVISION: "CA"})),
     {"Name": "web.goldentooth.net.", "Type": "A", "TTL": 60, "SetIdentifier": "ca",
      "ResourceRecords": [{"Value": "10.0.0.1"}],
      "GeoLocation": {"CountryCode": "US", "SubdivisionCode": "CA"}}),
    (Change("CREATE", endpoint.make("web.goldentooth.net", "A", ["10.0.0.1"], ttl=60,
                                    set_identifier="m1",
                                    properties={endpoint.MULTI_VALUE_ANSWER: ""})),
     {"Name": "web.goldentooth.net.", "Type": "A", "TTL": 60, "SetIdentifier": "m1",
      "ResourceRecords": [{"Value": "10.0.0.1"}], "MultiValueAnswer": True}),
    (Change("CREATE", endpoint.make("web.goldentooth.net", "A", ["10.0.0.1"], ttl=60,
                                    set_identifier="eu",
                                    properties={endpoint.GEO_CONTINENT: "EU"})),
     {"Name": "web.goldentooth.net.", "Type": "A", "TTL": 60, "SetIdentifier": "eu",
      "ResourceRecords": [{"Value": "10.0.0.1"}], "GeoLocation": {"ContinentCode": "EU"}}),
], ids=["a-alias-to-load-balancer", "aaaa-alias-without-target-health", "same-zone-alias",
        "health-check-without-set-identifier", "latency", "geolocation-subdivision",
        "multi-value-answer", "geolocation-continent"])
def test_record_sets_are_sent_as_route53_takes_them(change: Change,
                                                    expected: dict[str, Any]) -> None:
    (found,) = sent(change)

    assert found == {"Action": change.action, "ResourceRecordSet": expected}
    assert_documented_rules(found["ResourceRecordSet"])


def assert_documented_rules(record_set: dict[str, Any]) -> None:
    """What the model's documentation says and its validator does not check."""
    if "AliasTarget" in record_set:
        assert "TTL" not in record_set and "ResourceRecords" not in record_set
        assert not record_set.get("MultiValueAnswer")
    else:
        assert "TTL" in record_set and record_set["ResourceRecords"]
    geo = record_set.get("GeoLocation", {})
    assert not ("ContinentCode" in geo and ({"CountryCode", "SubdivisionCode"} & set(geo)))
    if "SubdivisionCode" in geo:
        assert geo.get("CountryCode") == "US"


@pytest.mark.parametrize("listed", [
    {"Name": "web.goldentooth.net.", "Type": "A", "AliasTarget": {
        "HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": ELB + ".", "EvaluateTargetHealth": True}},
    {"Name": "web.goldentooth.net.", "Type": "AAAA", "AliasTarget": {
        "HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": ELB.upper(), "EvaluateTargetHealth": False}},
    {"Name": "web.goldentooth.net.", "Type": "A", "TTL": 60, "SetIdentifier": "us",
     "GeoLocation": {"CountryCode": "US", "SubdivisionCode": "CA"},
     "ResourceRecords": [{"Value": "10.0.0.1"}], "HealthCheckId": UUID},
    {"Name": "web.goldentooth.net.", "Type": "A", "TTL": 60, "SetIdentifier": "m",
     "MultiValueAnswer": True, "ResourceRecords": [{"Value": "10.0.0.1"}]},
    {"Name": "web.goldentooth.net.", "Type": "A", "TTL": 60, "SetIdentifier": "w",
     "Weight": 0, "ResourceRecords": [{"Value": "10.0.0.1"}]},
    {"Name": "web.goldentooth.net.", "Type": "A", "TTL": 60, "SetIdentifier": "lat",
     "Region": "eu-west-1", "ResourceRecords": [{"Value": "10.0.0.1"}]},
], ids=["a-alias", "aaaa-alias-upper-case", "geolocation-with-health-check", "multi-value",
        "weight-zero", "latency"])
def test_a_listed_record_set_reads_back_as_the_record_dnsgate_writes(
        listed: dict[str, Any]) -> None:
    record = route53.to_endpoint(listed)
    (written,) = sent(Change("CREATE", record))

    expected = dict(listed)
    if "AliasTarget" in listed:
        expected["AliasTarget"] = {**listed["AliasTarget"], "DNSName": ELB}
    assert written["ResourceRecordSet"] == expected
    assert record.ttl == (300 if "AliasTarget" in listed else 60)


def stubbed_provider() -> tuple[route53.Provider, Stubber]:
    client = boto3.client("route53", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    return route53.Provider(client, Route53Settings(DomainFilter.of(["goldentooth.net"])),
                            limiter=throttle.RateLimiter(1e6)), stubber


def test_alias_and_routing_batch_passes_the_route53_model() -> None:
    provider, stubber = stubbed_provider()
    owned = endpoint.make("a-web.goldentooth.net", "TXT", ['"heritage=external-dns"'],
                          set_identifier="eu", properties={endpoint.WEIGHT: "10",
                                                           endpoint.HEALTH_CHECK_ID: UUID})
    changes = (
        Change("DELETE", endpoint.make("web.goldentooth.net", "CNAME", [ELB], ttl=60)),
        Change("CREATE", alias_record("web.goldentooth.net", ELB, set_identifier="eu",
                                      **{endpoint.WEIGHT: "10", endpoint.HEALTH_CHECK_ID: UUID})),
        Change("CREATE", alias_record("web.goldentooth.net", ELB, "AAAA", set_identifier="eu",
                                      **{endpoint.WEIGHT: "10", endpoint.HEALTH_CHECK_ID: UUID})),
        Change("CREATE", owned),
    )
    stubber.add_response("change_resource_record_sets", OK, {
        "HostedZoneId": ZONE.id,
        "ChangeBatch": {"Comment": "dnsgate", "Changes": sent(*changes)}})

    with stubber:
        applied = provider.apply(ZONE, [ChangeGroup("service/apps/web", "web.goldentooth.net",
                                                    changes)])

    assert applied.failed == () and len(applied.landed) == 1
    stubber.assert_no_pending_responses()
    assert sent(changes[1])[0]["ResourceRecordSet"]["AliasTarget"]["HostedZoneId"] == (
        "Z35SXDOTRQ7X7K")


def test_the_model_refuses_an_alias_without_evaluate_target_health() -> None:
    """The check above can fail: botocore refuses what the model does not allow."""
    provider, stubber = stubbed_provider()
    broken = sent(Change("CREATE", alias_record("web.goldentooth.net", ELB)))
    del broken[0]["ResourceRecordSet"]["AliasTarget"]["EvaluateTargetHealth"]

    stubber.add_response("change_resource_record_sets", OK)

    with stubber, pytest.raises(ParamValidationError, match="EvaluateTargetHealth"):
        provider.client.change_resource_record_sets(
            HostedZoneId=ZONE.id, ChangeBatch={"Changes": broken})


def test_alias_request_serialises_to_route53_rest_xml() -> None:
    from botocore.serialize import create_serializer

    client = boto3.client("route53", region_name="us-east-1")
    model = client.meta.service_model.operation_model("ChangeResourceRecordSets")
    body = create_serializer("rest-xml").serialize_to_request({
        "HostedZoneId": ZONE.id,
        "ChangeBatch": {"Changes": sent(Change("CREATE", alias_record("web.goldentooth.net",
                                                                      ELB)))}},
        model)["body"].decode()

    ns = {"r": "https://route53.amazonaws.com/doc/2013-04-01/"}
    record_set = ElementTree.fromstring(body).find(".//r:ResourceRecordSet", ns)
    assert record_set is not None
    assert [(child.tag.split("}")[1], child.text) for child in record_set.iter()][1:] == [
        ("Name", "web.goldentooth.net."), ("Type", "A"), ("AliasTarget", None),
        ("DNSName", ELB), ("HostedZoneId", "Z35SXDOTRQ7X7K"), ("EvaluateTargetHealth", "true")]
