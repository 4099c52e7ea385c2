"""The Route53 annotations ExternalDNS v0.23.0 added, table-driven: `aws-geoproximity-*`,
`aws-hosted-zone-id` and `aws-target-hosted-zone` (docs/route53-alias.md).

Each row is (annotations, the exact lines a user reads); no lines means accepted.
"""

import pytest

from dnsgate import annotations, geoproximity, values
from dnsgate.geoproximity import GeoProximity
from reconciler import endpoint, source
from reconciler.settings import SourceSettings
from tests.reconcile.test_source import service

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
NAME = "geo.goldentooth.net"
ZONE = "Z0123456789ABCDEFGHIJ"
SET = {"set_identifier": "eu"}
REGIONS = len(values.latency_regions())
COORDINATES = ('use "latitude,longitude" in degrees with at most two decimals and no '
               'spaces, latitude -90 to 90, longitude -180 to 180, e.g. "51.50,-0.12"')
NOT_COORDINATES = (f"are not coordinates Route53 takes; {COORDINATES} (ExternalDNS drops "
                   "coordinates it cannot read, with a warning)")
BIAS = ('is not a bias; use a whole number from -99 to 99, without a "+" or leading zeros '
        "(Route53 lists it back that way, and ExternalDNS sends an unreadable bias as 0)")
NOT_ZONE = ('is not a Route53 hosted zone id; use the id Route53 shows, capital letters and '
            'digits, e.g. "Z0123456789ABCDEFGHIJ" (or "/hostedzone/Z0123456789ABCDEFGHIJ")')
ONE_LOCATION = ("Route53 takes one geoproximity location per record set (an AWS region, a "
                "Local Zone group or coordinates); keep one of them")
NEEDS_SET_ID = ("needs a set-identifier annotation: Route53 routing policies apply only to "
                "record sets with a SetIdentifier (add external-dns.alpha.kubernetes.io/"
                "set-identifier)")


def ask(prefix: str = A, **given: str) -> dict[str, str]:
    return {prefix + "hostname": NAME,
            **{prefix + k.replace("_", "-"): v for k, v in given.items()}}


def bad(key: str, value: str, reason: str, prefix: str = A) -> str:
    return f'{prefix}{key}: "{value}" {reason}'


CASES = [
    ("region", ask(**SET, aws_geoproximity_region="eu-west-1"), ()),
    ("region-stable-prefix", ask(S, **SET, aws_geoproximity_region="eu-west-1"), ()),
    ("region-with-bias", ask(**SET, aws_geoproximity_region="eu-west-1",
                             aws_geoproximity_bias="-20"), ()),
    ("region-upper-case", ask(**SET, aws_geoproximity_region="EU-WEST-1"),
     (bad("aws-geoproximity-region", "EU-WEST-1",
          "is not an AWS region Route53 routes to; use one such as us-east-1 (Route53 "
          f'accepts {REGIONS}); did you mean "eu-west-1"?'),)),
    ("local-zone-group", ask(**SET, aws_geoproximity_local_zone_group="us-east-1-bue-1"), ()),
    ("local-zone-not-group", ask(**SET, aws_geoproximity_local_zone_group="us-east-1"),
     (bad("aws-geoproximity-local-zone-group", "us-east-1",
          "is not an AWS Local Zone group; use the Local Zone's name without its last "
          'letter, e.g. "us-east-1-bue-1" for us-east-1-bue-1a'),)),
    ("coordinates", ask(**SET, aws_geoproximity_coordinates="51.50,-0.12"), ()),
    ("coordinates-edges", ask(**SET, aws_geoproximity_coordinates="-90,180"), ()),
    ("coordinates-space", ask(**SET, aws_geoproximity_coordinates="51.50, -0.12"),
     (bad("aws-geoproximity-coordinates", "51.50, -0.12", NOT_COORDINATES),)),
    ("coordinates-three-decimals", ask(**SET, aws_geoproximity_coordinates="51.507,-0.12"),
     (bad("aws-geoproximity-coordinates", "51.507,-0.12", NOT_COORDINATES),)),
    ("coordinates-one-number", ask(**SET, aws_geoproximity_coordinates="51.5"),
     (bad("aws-geoproximity-coordinates", "51.5", NOT_COORDINATES),)),
    ("latitude-out-of-range", ask(**SET, aws_geoproximity_coordinates="91,0"),
     (bad("aws-geoproximity-coordinates", "91,0", f"are out of range; {COORDINATES}"),)),
    ("longitude-out-of-range", ask(**SET, aws_geoproximity_coordinates="0,180.01"),
     (bad("aws-geoproximity-coordinates", "0,180.01", f"are out of range; {COORDINATES}"),)),
    ("bias-edges", ask(**SET, aws_geoproximity_region="eu-west-1",
                       aws_geoproximity_bias="99"), ()),
    ("bias-beyond", ask(**SET, aws_geoproximity_region="eu-west-1",
                        aws_geoproximity_bias="100"),
     (bad("aws-geoproximity-bias", "100", BIAS),)),
    ("bias-plus-sign", ask(**SET, aws_geoproximity_region="eu-west-1",
                           aws_geoproximity_bias="+5"),
     (bad("aws-geoproximity-bias", "+5", BIAS),)),
    ("bias-leading-zero", ask(**SET, aws_geoproximity_region="eu-west-1",
                              aws_geoproximity_bias="05"),
     (bad("aws-geoproximity-bias", "05", BIAS),)),
    ("bias-non-ascii-digit", ask(**SET, aws_geoproximity_region="eu-west-1",
                                 aws_geoproximity_bias="\u0665"),
     (bad("aws-geoproximity-bias", "\u0665", BIAS),)),
    ("coordinates-non-ascii-digits", ask(**SET, aws_geoproximity_coordinates="\u0665,1"),
     (bad("aws-geoproximity-coordinates", "\u0665,1", NOT_COORDINATES),)),
    ("bias-alone", ask(**SET, aws_geoproximity_bias="10"),
     (bad("aws-geoproximity-bias", "10",
          "needs a location to bias: add external-dns.alpha.kubernetes.io/"
          "aws-geoproximity-region, external-dns.alpha.kubernetes.io/"
          "aws-geoproximity-local-zone-group or external-dns.alpha.kubernetes.io/"
          "aws-geoproximity-coordinates (Route53 refuses a geoproximity record without one)"),
      )),
    ("two-locations", ask(**SET, aws_geoproximity_region="eu-west-1",
                          aws_geoproximity_coordinates="51.50,-0.12"),
     (bad("aws-geoproximity-coordinates", "51.50,-0.12",
          f"cannot be combined with {A}aws-geoproximity-region: {ONE_LOCATION}"),)),
    ("without-set-identifier", ask(aws_geoproximity_region="eu-west-1"),
     (bad("aws-geoproximity-region", "eu-west-1", NEEDS_SET_ID),)),
    ("with-weight", ask(**SET, aws_weight="10", aws_geoproximity_region="eu-west-1"),
     (bad("aws-geoproximity-region", "eu-west-1",
          f"cannot be combined with {A}aws-weight: a Route53 record set has one routing "
          "policy (weighted or geoproximity)"),)),
    ("with-geolocation", ask(**SET, aws_geolocation_country_code="DE",
                             aws_geoproximity_region="eu-west-1"),
     (bad("aws-geoproximity-region", "eu-west-1",
          f"cannot be combined with {A}aws-geolocation-country-code: a Route53 record set "
          "has one routing policy (geolocation or geoproximity)"),)),
    ("region-too-long", ask(**SET, aws_geoproximity_region="x" * 65),
     (f'{A}aws-geoproximity-region: "{"x" * 65}" is 65 characters long; this annotation '
      "takes at most 64",)),
    # A value refused for its size is still given: nothing tells the user to add it.
    ("region-too-long-with-bias", ask(**SET, aws_geoproximity_region="x" * 65,
                                      aws_geoproximity_bias="5"),
     (f'{A}aws-geoproximity-region: "{"x" * 65}" is 65 characters long; this annotation '
      "takes at most 64",)),
    ("set-identifier-too-long", ask(set_identifier="e" * 129,
                                    aws_geoproximity_region="eu-west-1"),
     (f'{A}set-identifier: "{"e" * 129}" is 129 characters long; this annotation takes at '
      "most 128",)),
    ("coordinates-too-long-beside-region", ask(**SET, aws_geoproximity_region="eu-west-1",
                                               aws_geoproximity_coordinates="1" * 15),
     (f'{A}aws-geoproximity-coordinates: "{"1" * 15}" is 15 characters long; this '
      "annotation takes at most 14",
      bad("aws-geoproximity-coordinates", "1" * 15,
          f"cannot be combined with {A}aws-geoproximity-region: {ONE_LOCATION}"))),
    ("hosted-zone-id", ask(aws_hosted_zone_id=ZONE), ()),
    ("hosted-zone-id-path", ask(aws_hosted_zone_id="/hostedzone/" + ZONE), ()),
    ("hosted-zone-id-lower-case", ask(aws_hosted_zone_id=ZONE.lower()),
     (bad("aws-hosted-zone-id", ZONE.lower(), f'{NOT_ZONE}; did you mean "{ZONE}"?'),)),
    ("hosted-zone-id-full-width", ask(aws_hosted_zone_id="\uff3a123"),
     (bad("aws-hosted-zone-id", "\uff3a123", NOT_ZONE),)),
    ("hosted-zone-id-other-path", ask(aws_hosted_zone_id="/change/C123"),
     (bad("aws-hosted-zone-id", "/change/C123", NOT_ZONE),)),
    ("hosted-zone-id-name", ask(aws_hosted_zone_id="goldentooth.net"),
     (bad("aws-hosted-zone-id", "goldentooth.net", NOT_ZONE),)),
    ("hosted-zone-id-too-long", ask(aws_hosted_zone_id="Z" * 45),
     (f'{A}aws-hosted-zone-id: "{"Z" * 45}" is 45 characters long; this annotation takes '
      "at most 44",)),
    ("target-hosted-zone", ask(alias="true", target="bucket.s3-website.eu-west-1.example",
                               aws_target_hosted_zone="Z1BKCTXD74EZPE"), ()),
    ("target-hosted-zone-bad", ask(alias="true", target="site.example.org",
                                   aws_target_hosted_zone="Z1 BKC"),
     (bad("aws-target-hosted-zone", "Z1 BKC", NOT_ZONE),)),
    ("target-hosted-zone-addresses", ask(target="10.0.0.1",
                                         aws_target_hosted_zone="Z1BKCTXD74EZPE"),
     (bad("aws-target-hosted-zone", "Z1BKCTXD74EZPE",
          f"sets the hosted zone of an alias target, but {A}target gives IP addresses, which "
          "make A or AAAA records, never aliases; remove it, or target a hostname with the "
          "alias annotation"),)),
]


@pytest.mark.parametrize(("given", "messages"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_verdict_and_messages(given: dict[str, str], messages: tuple[str, ...], domains) -> None:
    parsed = annotations.parse(given, domains)

    assert tuple(str(problem) for problem in parsed.problems) == messages
    assert (parsed.dns is None) is bool(messages)


@pytest.mark.parametrize(("given", "expected"), [
    (dict(aws_geoproximity_region="eu-west-1"), GeoProximity(region="eu-west-1")),
    (dict(aws_geoproximity_coordinates="51.50,-0.12", aws_geoproximity_bias="-7"),
     GeoProximity(coordinates="51.50,-0.12", bias=-7)),
    (dict(aws_geoproximity_local_zone_group="us-west-2-den-1"),
     GeoProximity(local_zone_group="us-west-2-den-1")),
])
def test_location_read_with_bias_zero_unless_given(given, expected, domains) -> None:
    dns = annotations.parse(ask(**SET, **given), domains).dns

    assert dns is not None and dns.geoproximity == expected


def test_properties_always_carry_a_bias_as_external_dns_adjusts_them() -> None:
    assert GeoProximity(region="eu-west-1").properties() == {
        "aws/geoproximity-region": "eu-west-1", "aws/geoproximity-bias": "0"}


def test_zone_ids_are_read_bare_whichever_form(domains) -> None:
    dns = annotations.parse(ask(alias="true", target="site.example.org",
                                aws_hosted_zone_id="/hostedzone/" + ZONE,
                                aws_target_hosted_zone="/hostedzone/Z1BKCTXD74EZPE"),
                            domains).dns

    assert dns is not None
    assert (dns.hosted_zone_id, dns.target_hosted_zone) == (ZONE, "Z1BKCTXD74EZPE")


TARGET_ZONE_WARNING = (f'{A}aws-target-hosted-zone applies to aliases only (alias: "true", or '
                       "an AWS load balancer)")
LOAD_BALANCER = "my-lb-1234567890.eu-west-1.elb.amazonaws.com"


def test_target_hosted_zone_without_alias_annotation_warns(domains) -> None:
    parsed = annotations.parse(ask(aws_target_hosted_zone="Z1BKCTXD74EZPE"), domains)

    assert parsed.ok
    assert parsed.warnings == (TARGET_ZONE_WARNING,)
    assert len(parsed.warnings[0]) <= 120  # the webhook's warning size


def test_target_zone_warning_never_says_it_is_ignored_where_the_record_is_an_alias(
        domains) -> None:
    """A load balancer target becomes an alias without the alias annotation (ExternalDNS's
    canonical zones), and the reconciler gives it the annotated target zone: the admission
    warning must not tell the user the annotation is ignored."""
    notes = ask(target=LOAD_BALANCER, aws_target_hosted_zone="ZXYZ")
    parsed = annotations.parse(notes, domains)
    made = source.records(service("lb", notes), SourceSettings(domains))

    assert {dict(e.properties).get(endpoint.TARGET_HOSTED_ZONE) for e in made.endpoints} == {
        "ZXYZ"}
    assert parsed.warnings == (TARGET_ZONE_WARNING,)
    assert all("ignore" not in warning for warning in parsed.warnings)


def test_every_geoproximity_key_is_known_and_capped() -> None:
    for key in (*geoproximity.KEYS, "aws-hosted-zone-id", "aws-target-hosted-zone"):
        assert key in annotations.DNSGATE_KEYS and key in annotations.VALUE_MAX
