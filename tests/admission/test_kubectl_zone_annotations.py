"""`aws-geoproximity-*`, `aws-hosted-zone-id` and `aws-target-hosted-zone` at `kubectl apply`,
with the webhook registered in the real apiserver: accepted as ExternalDNS v0.23.0 honours
them, refused where Route53 or ExternalDNS would not keep them (docs/route53-alias.md)."""

import pytest

from tests.admission.test_kubectl import VALIDATE, A, annotations_of, manifest

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registered")]

NAME = "httpbin.goldentooth.net"
SET = {A + "hostname": NAME, A + "set-identifier": "eu"}

ACCEPTED = [
    {**SET, A + "aws-geoproximity-region": "eu-west-1", A + "aws-geoproximity-bias": "-20"},
    {**SET, A + "aws-geoproximity-coordinates": "51.50,-0.12"},
    {**SET, A + "aws-geoproximity-local-zone-group": "us-east-1-bue-1"},
    {A + "hostname": NAME, A + "aws-hosted-zone-id": "/hostedzone/Z0123456789ABCDEFGHIJ"},
    {A + "hostname": NAME, A + "alias": "true", A + "target": "site.example.org",
     A + "aws-target-hosted-zone": "Z1BKCTXD74EZPE"},
]


@pytest.mark.parametrize("annotations", ACCEPTED, ids=[
    "geoproximity-region-bias", "geoproximity-coordinates", "geoproximity-local-zone-group",
    "hosted-zone-id", "target-hosted-zone"])
def test_annotations_external_dns_honours_are_admitted(kubectl, namespace: str,
                                                       annotations: dict[str, str]) -> None:
    kubectl("apply", "-f", "-", input=manifest(namespace, annotations))

    assert annotations.items() <= annotations_of(kubectl, namespace).items()


REFUSED = [
    ({**SET, A + "aws-geoproximity-bias": "10"},
     f'{A}aws-geoproximity-bias: "10" needs a location to bias: add {A}aws-geoproximity-region'),
    ({**SET, A + "aws-geoproximity-region": "eu-west-1",
      A + "aws-geoproximity-coordinates": "51.50,-0.12"},
     f'{A}aws-geoproximity-coordinates: "51.50,-0.12" cannot be combined with '
     f"{A}aws-geoproximity-region: Route53 takes one geoproximity location per record set"),
    ({**SET, A + "aws-geoproximity-coordinates": "51.5, -0.1"},
     f'{A}aws-geoproximity-coordinates: "51.5, -0.1" are not coordinates Route53 takes; use '
     '"latitude,longitude"'),
    ({**SET, A + "aws-geoproximity-region": "eu-west-1", A + "aws-geoproximity-bias": "+5"},
     f'{A}aws-geoproximity-bias: "+5" is not a bias; use a whole number from -99 to 99'),
    ({A + "hostname": NAME, A + "aws-geoproximity-region": "eu-west-1"},
     f'{A}aws-geoproximity-region: "eu-west-1" needs a set-identifier annotation'),
    ({**SET, A + "aws-weight": "10", A + "aws-geoproximity-region": "eu-west-1"},
     f'{A}aws-geoproximity-region: "eu-west-1" cannot be combined with {A}aws-weight: a '
     "Route53 record set has one routing policy (weighted or geoproximity)"),
    ({A + "hostname": NAME, A + "aws-hosted-zone-id": "goldentooth.net"},
     f'{A}aws-hosted-zone-id: "goldentooth.net" is not a Route53 hosted zone id; use the id '
     "Route53 shows"),
    ({A + "hostname": NAME, A + "target": "10.0.0.1",
      A + "aws-target-hosted-zone": "Z1BKCTXD74EZPE"},
     f'{A}aws-target-hosted-zone: "Z1BKCTXD74EZPE" sets the hosted zone of an alias target, '
     f"but {A}target gives IP addresses"),
]


@pytest.mark.parametrize(("annotations", "message"), REFUSED, ids=[
    "bias-alone", "two-locations", "coordinates-with-space", "bias-plus-sign",
    "without-set-identifier", "with-weight", "zone-id-is-a-name", "target-zone-for-addresses"])
def test_what_route53_would_not_keep_is_refused_naming_it(
        kubectl, namespace: str, annotations: dict[str, str], message: str) -> None:
    result = kubectl("apply", "-f", "-", input=manifest(namespace, annotations), check=False)

    assert result.returncode != 0
    assert VALIDATE + message in result.stderr
    assert kubectl("-n", namespace, "get", "service", "httpbin", check=False).returncode != 0


def test_a_target_zone_without_the_alias_annotation_is_admitted_with_a_warning(
        kubectl, namespace: str) -> None:
    result = kubectl("apply", "-f", "-", input=manifest(namespace, {
        A + "hostname": NAME, A + "aws-target-hosted-zone": "Z1BKCTXD74EZPE"}))

    assert (f'Warning: {A}aws-target-hosted-zone applies to aliases only (alias: "true", or '
            "an AWS load balancer)\n") in result.stderr


def test_a_target_zone_on_a_load_balancer_target_is_not_called_ignored(
        kubectl, namespace: str) -> None:
    """A load balancer hostname becomes an alias with no alias annotation, and the reconciler
    uses the annotated target zone on it: the warning must not say it is ignored."""
    result = kubectl("apply", "-f", "-", input=manifest(namespace, {
        A + "hostname": NAME, A + "target": "my-lb-1234567890.eu-west-1.elb.amazonaws.com",
        A + "aws-target-hosted-zone": "ZXYZ"}))

    assert "ignores it" not in result.stderr
    assert f"Warning: {A}aws-target-hosted-zone applies to aliases only" in result.stderr


def test_a_value_refused_for_its_size_is_not_called_missing(kubectl, namespace: str) -> None:
    """A location or set identifier too long to be read is still given: the refusal names
    its size and does not tell the user to add it."""
    result = kubectl("apply", "-f", "-", check=False, input=manifest(namespace, {
        A + "hostname": NAME, A + "set-identifier": "e" * 129,
        A + "aws-geoproximity-region": "x" * 65, A + "aws-geoproximity-bias": "5"}))

    assert result.returncode != 0
    assert f'{A}aws-geoproximity-region: "{"x" * 65}" is 65 characters long' in result.stderr
    assert f'{A}set-identifier: "{"e" * 129}" is 129 characters long' in result.stderr
    assert "needs a location" not in result.stderr
    assert "needs a set-identifier" not in result.stderr
