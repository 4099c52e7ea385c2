"""Which targets become Route53 aliases, with which hosted zone, as ExternalDNS decides
(docs/route53-alias.md); pure."""

from __future__ import annotations

import pytest

from reconciler import alias, canonical_zones, endpoint
from reconciler.alias import AliasSettings


@pytest.mark.parametrize(("hostname", "zone"), [
    ("k8s-web-0123456789.us-east-1.elb.amazonaws.com", "Z35SXDOTRQ7X7K"),
    ("internal-web-1.eu-west-1.elb.amazonaws.com", "Z32O12XQLNTSW2"),
    ("web-0123456789abcdef.elb.us-east-1.amazonaws.com", "Z26RNL4JYFTOTI"),
    ("web-0123456789abcdef.elb.eu-central-1.amazonaws.com", "Z3F0SRJ5LGBH90"),
    ("web-1.cn-north-1.elb.amazonaws.com.cn", "Z1GDH35T77C1KE"),
    ("web-1.elb.cn-northwest-1.amazonaws.com.cn", "ZQEIKTCZ8352D"),
    ("web-1.ap-southeast-7.elb.amazonaws.com", "Z0390008CMBRTHFGWBCB"),
    ("web-1.elb.mx-central-1.amazonaws.com", "Z02031231H3ID6HYJ9A7U"),
    ("dualstack.web-1.us-west-2.elb.amazonaws.com", "Z1H1FL5HABSF5"),
    ("WEB-1.US-EAST-2.ELB.AMAZONAWS.COM.", "Z3AADJGX6KTTL2"),
    ("d111111abcdef8.cloudfront.net", "Z2FDTNDATAQYW2"),
    ("a1234567890abcdef.awsglobalaccelerator.com", "Z2BJ6XQ5FK7U4H"),
    ("vpce-1-ab.vpce-svc-1.us-east-1.vpce.amazonaws.com", "Z7HUB22UULQXV"),
    ("d-abc.execute-api.eu-west-1.amazonaws.com", "ZLY8HYME6SFDD"),
    ("xcloudfront.net", None),
    ("web-1.elb.amazonaws.com", None),
    ("web-1.xx-nowhere-9.elb.amazonaws.com", None),
    ("lb.example.com", None),
    ("cloudfront.net.example.com", None),
], ids=["alb-us-east-1", "classic-eu-west-1", "nlb-us-east-1", "nlb-eu-central-1",
        "alb-china", "nlb-china", "alb-newest-region", "nlb-mx-central-1", "dualstack-prefix",
        "upper-case-trailing-dot", "cloudfront", "global-accelerator", "vpc-endpoint",
        "api-gateway-regional", "suffix-without-label-boundary", "elb-without-region",
        "unknown-region", "not-aws", "aws-name-inside-another-domain"])
def test_canonical_zone_of_a_target(hostname: str, zone: str | None) -> None:
    assert alias.canonical_zone(hostname) == zone


def test_every_region_has_both_load_balancer_zones_and_no_zone_is_shared() -> None:
    regions = [region for region, _, _ in canonical_zones.LOAD_BALANCERS]
    zones = [zone for _, application, network in canonical_zones.LOAD_BALANCERS
             for zone in (application, network)]

    assert len(regions) == len(set(regions)) == 38
    assert all(zone.startswith("Z") for zone in zones) and len(set(zones)) == len(zones)
    assert len(canonical_zones.SUFFIXES) == 133


@pytest.mark.parametrize(("target", "annotated", "prefer_cname", "expected"), [
    ("web-1.us-east-1.elb.amazonaws.com", False, False, True),
    ("web-1.us-east-1.elb.amazonaws.com", False, True, False),
    ("web-1.us-east-1.elb.amazonaws.com", True, True, True),
    ("lb.example.com", False, False, False),
    ("other.goldentooth.net", True, False, True),
], ids=["load-balancer", "prefer-cname", "annotation-beats-prefer-cname", "other-host",
        "annotation-makes-same-zone-alias"])
def test_alias_or_cname(target: str, annotated: bool, prefer_cname: bool,
                        expected: bool) -> None:
    settings = AliasSettings(prefer_cname=prefer_cname)

    assert alias.wanted(target, annotated=annotated, settings=settings) is expected


@pytest.mark.parametrize(("annotation", "flag", "expected"), [
    (None, True, "true"), (None, False, "false"), (False, True, "false"), (True, False, "true"),
], ids=["flag-default-on", "flag-off", "annotation-off", "annotation-on"])
def test_evaluate_target_health_from_annotation_else_flag(
        annotation: bool | None, flag: bool, expected: str) -> None:
    found = alias.properties(annotation, AliasSettings(evaluate_target_health=flag))

    assert found == {endpoint.ALIAS: "true", endpoint.EVALUATE_TARGET_HEALTH: expected}


def test_alias_target_zone_is_canonical_else_the_records_own_zone() -> None:
    elb = endpoint.make("a.goldentooth.net", "A", ["web-1.us-east-1.elb.amazonaws.com"],
                        properties={endpoint.ALIAS: "true"})
    same_zone = endpoint.make("a.goldentooth.net", "A", ["b.goldentooth.net"],
                              properties={endpoint.ALIAS: "true"})

    assert alias.target_zone(elb, "ZOWN") == "Z35SXDOTRQ7X7K"
    assert alias.target_zone(same_zone, "ZOWN") == "ZOWN"

