"""The least-privilege IAM policy for the reconciler's AWS identity.

The actions are the Route53 operations dnsgate calls, taken from the `Route53Client`
protocol that every Route53 call goes through, so the policy cannot miss one the code makes.
ExternalDNS's AWS tutorial grants ChangeResourceRecordSets on every zone
(`hostedzone/*`) and ListHostedZones, ListResourceRecordSets and ListTagsForResource on "*";
dnsgate narrows that (docs/route53.md, "IAM"):
- ChangeResourceRecordSets and ListResourceRecordSets on the managed zones' ARNs only;
- ListHostedZones on "*", the only Resource IAM accepts for it (it is not zone-scoped);
- no ListTagsForResource: it serves ExternalDNS's --aws-zone-tags, which dnsgate does not
  implement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.route53 import Route53Client

ACCOUNT_WIDE = frozenset({"ListHostedZones"})
"""Operations IAM cannot scope to a hosted zone."""
PLACEHOLDER = "ZONE_ID_OF_{domain}"


def operations() -> tuple[str, ...]:
    """The Route53 API names of the calls dnsgate makes: ListHostedZones, ..."""
    methods = sorted(name for name in vars(Route53Client)
                     if not name.startswith("_") and callable(getattr(Route53Client, name)))
    return tuple("".join(part.capitalize() for part in name.split("_")) for name in methods)


def zone_arn(zone_id: str) -> str:
    return f"arn:aws:route53:::hostedzone/{zone_id}"


def policy(zone_ids: Sequence[str]) -> dict[str, Any]:
    """The policy document granting dnsgate's calls on these zones and nothing more."""
    if not zone_ids:
        raise ValueError("a least-privilege policy needs at least one hosted zone id")
    account_wide = [op for op in operations() if op in ACCOUNT_WIDE]
    per_zone = [op for op in operations() if op not in ACCOUNT_WIDE]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DnsgateFindZones", "Effect": "Allow",
             "Action": [f"route53:{op}" for op in account_wide], "Resource": ["*"]},
            {"Sid": "DnsgateManageRecords", "Effect": "Allow",
             "Action": [f"route53:{op}" for op in per_zone],
             "Resource": [zone_arn(z) for z in zone_ids]},
        ],
    }


def placeholder(domain: str) -> str:
    """What stands for a zone id not looked up (offline); IAM will not match it."""
    return PLACEHOLDER.format(domain=domain)
