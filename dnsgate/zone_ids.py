"""Route53 hosted zone ids in annotations: `aws-hosted-zone-id` (which of the zones holding a
name a record goes to) and `aws-target-hosted-zone` (an alias target's zone), read as
ExternalDNS v0.23.0 reads them (docs/route53-alias.md, "Zone annotations").

ExternalDNS takes either form, `Z0123456789ABC` or `/hostedzone/Z0123456789ABC`, and strips
the `/hostedzone/` prefix before using it (`cleanZoneID`). Route53's ResourceId is at most
32 characters; the ids it hands out are capital letters and digits.
"""

from __future__ import annotations

import re

HOSTED_ZONE_ID = "aws-hosted-zone-id"
TARGET_HOSTED_ZONE = "aws-target-hosted-zone"
KEYS = (HOSTED_ZONE_ID, TARGET_HOSTED_ZONE)

PATH_PREFIX = "/hostedzone/"
ID_MAX = 32  # Route53's ResourceId shape
VALUE_MAX = len(PATH_PREFIX) + ID_MAX
_ID = re.compile(rf"[A-Z0-9]{{1,{ID_MAX}}}")


def zone_id(value: str) -> str:
    """The bare zone id of `value` (either form), or ValueError saying what is valid."""
    bare = value.removeprefix(PATH_PREFIX)
    if not _ID.fullmatch(bare):
        hint = f'; did you mean "{bare.upper()}"?' if _ID.fullmatch(bare.upper()) else ""
        raise ValueError("is not a Route53 hosted zone id; use the id Route53 shows, capital "
                         f'letters and digits, e.g. "Z0123456789ABCDEFGHIJ" (or '
                         f'"{PATH_PREFIX}Z0123456789ABCDEFGHIJ"){hint}')
    return bare
