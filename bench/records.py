"""Reading the zone back from moto: which A records exist, and waiting for them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any


def a_records(client: Any, zone_id: str) -> dict[str, tuple[str, ...]]:
    """name (no trailing dot) -> sorted values of its A record, for the whole zone."""
    found: dict[str, tuple[str, ...]] = {}
    for page in client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        for rrset in page["ResourceRecordSets"]:
            if rrset["Type"] == "A" and "ResourceRecords" in rrset:
                found[rrset["Name"].rstrip(".")] = tuple(
                    sorted(r["Value"] for r in rrset["ResourceRecords"]))
    return found


def record_count(client: Any, zone_id: str) -> int:
    total = 0
    for page in client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        total += len(page["ResourceRecordSets"])
    return total


def value_chars(client: Any, zone_id: str) -> int:
    """Characters of record values in the zone, apex SOA/NS excluded: what Route53's
    32,000-characters-per-ChangeResourceRecordSets limit counts."""
    total = 0
    for page in client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        for rrset in page["ResourceRecordSets"]:
            if rrset["Type"] in ("SOA", "NS"):
                continue
            total += sum(len(r["Value"]) for r in rrset.get("ResourceRecords", ()))
    return total


def a_value(client: Any, zone_id: str, name: str) -> tuple[str, ...]:
    """The A record at `name` (one small listing call starting there)."""
    page = client.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=name, StartRecordType="A", MaxItems="1")
    for rrset in page["ResourceRecordSets"]:
        if rrset["Name"].rstrip(".") == name and rrset["Type"] == "A":
            return tuple(sorted(r["Value"] for r in rrset.get("ResourceRecords", ())))
    return ()


def missing(client: Any, zone_id: str, wanted: Mapping[str, str]) -> list[str]:
    """Names in `wanted` (name -> IP) whose A record is absent or holds another IP."""
    have = a_records(client, zone_id)
    return [name for name, ip in wanted.items() if have.get(name) != (ip,)]


def wait_all(
    client: Any, zone_id: str, wanted: Mapping[str, str], *, timeout: float,
    settle: float = 0.5,
) -> list[str]:
    """Poll until every wanted record exists; return what is still missing at the timeout.
    Each pause is at least as long as the last listing took, so that polling a big zone
    takes at most half a core from the controller being measured."""
    deadline = time.monotonic() + timeout
    began = time.monotonic()
    left = missing(client, zone_id, wanted)
    while left and time.monotonic() < deadline:
        time.sleep(max(settle, time.monotonic() - began))
        began = time.monotonic()
        left = missing(client, zone_id, wanted)
    return left


def wait_each(
    client: Any, zone_id: str, wanted: Mapping[str, str], *, timeout: float,
    settle: float = 0.2,
) -> list[str]:
    """Like `wait_all`, reading each wanted name on its own, and again only those still
    wrong: a few wanted names in a zone too big to list every round."""
    deadline = time.monotonic() + timeout
    left = list(wanted)
    while True:
        left = [name for name in left if a_value(client, zone_id, name) != (wanted[name],)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(settle)
