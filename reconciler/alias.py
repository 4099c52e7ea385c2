"""Which hostname targets become Route53 ALIAS records, decided as ExternalDNS's AWS provider
decides (docs/route53-alias.md). Pure functions over `reconciler.canonical_zones`.

A hostname target is a CNAME unless it becomes an alias: because the Service's `alias`
annotation asks for one, or because the name lies in a canonical hosted zone (a load
balancer, CloudFront, Global Accelerator, a VPC endpoint, API Gateway) and
`--aws-prefer-cname` is off. An alias is written as an A and an AAAA record set, as
ExternalDNS does since v0.16 for every CNAME it turns into an alias.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler import endpoint
from reconciler.canonical_zones import SUFFIXES

ALIAS_TTL = endpoint.DEFAULT_TTL
"""What ExternalDNS gives an alias record (Route53 stores none): 300, both ways."""
ALIAS_TYPES = (endpoint.A, endpoint.AAAA)

ROLLBACK_RELEASE = "v0.14.2"
"""--rollback-release's default: the release the seed runs. Its `cname-` TXT is read by every
release, v0.22+ included (which then adds its `a-` once); an `a-` alone leaves the alias
unowned to v0.12-v0.21, which then never update or delete it (docs/route53-alias.md)."""
A_TXT_SINCE = (0, 22)
"""The first ExternalDNS release that names an A alias's ownership TXT `a-`, not `cname-`."""
_RELEASE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class AliasSettings:
    prefer_cname: bool = False
    """--aws-prefer-cname: never make an alias unless the annotation asks for one."""
    evaluate_target_health: bool = True
    """--aws-evaluate-target-health: EvaluateTargetHealth when no annotation sets it."""


def txt_type_for_release(release: str) -> str:
    """The type a new A alias's ownership TXT is named for, so that `release` (the ExternalDNS
    release a user would roll back to) reads it as it writes it: CNAME before v0.22, else A.
    A value that is not a release is refused with a one-line ValueError."""
    found = _RELEASE.fullmatch(release.strip())
    if found is None:
        raise ValueError(f'--rollback-release "{release}" is not an ExternalDNS release; '
                         "give one such as v0.14.2 or v0.23.0 (releases before v0.22 name an "
                         "alias's ownership TXT cname-, later ones a-)")
    major, minor = int(found.group(1)), int(found.group(2))
    return endpoint.A if (major, minor) >= A_TXT_SINCE else endpoint.CNAME


def canonical_zone(hostname: str) -> str | None:
    """The hosted zone id of the AWS service `hostname` belongs to, or None. The suffix must
    match on a label boundary (`xcloudfront.net` is not CloudFront)."""
    labels = hostname.rstrip(".").lower().split(".")
    for start in range(len(labels) - 2, -1, -1):
        zone = SUFFIXES.get(".".join(labels[start:]))
        if zone is not None:
            return zone
    return None


def wanted(target: str, *, annotated: bool, settings: AliasSettings) -> bool:
    """Whether the hostname `target` becomes an alias rather than a CNAME."""
    if annotated:
        return True
    return not settings.prefer_cname and canonical_zone(target) is not None


def properties(evaluate_target_health: bool | None, settings: AliasSettings) -> dict[str, str]:
    """The alias properties of a record: the annotation's choice, else the flag's."""
    evaluate = (settings.evaluate_target_health if evaluate_target_health is None
                else evaluate_target_health)
    return {endpoint.ALIAS: "true", endpoint.EVALUATE_TARGET_HEALTH: str(evaluate).lower()}


def target_zone(record: endpoint.Endpoint, own_zone: str) -> str:
    """`AliasTarget.HostedZoneId` of an alias record written into the zone `own_zone`: the
    target's canonical zone, else the record's own zone (an alias to a name in the zone)."""
    return canonical_zone(record.targets[0]) or own_zone

