"""Record sets as ExternalDNS writes them, for prefilling moto's zone with other owners'."""

from __future__ import annotations

from typing import Any

ZONE = "goldentooth.net"


def txt_value(owner: str, resource: str) -> str:
    return (f'"heritage=external-dns,external-dns/owner={owner},'
            f'external-dns/resource={resource}"')


def rrset(name: str, kind: str, value: str, ttl: int = 300,
          set_identifier: str = "", weight: int | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"Name": name + ".", "Type": kind, "TTL": ttl,
                              "ResourceRecords": [{"Value": value}]}
    if set_identifier:
        record |= {"SetIdentifier": set_identifier, "Weight": weight or 1}
    return {"Action": "CREATE", "ResourceRecordSet": record}


def owned_a(hostname: str, ip: str, owner: str, resource: str, *, ttl: int = 300,
            set_identifier: str = "") -> list[dict[str, Any]]:
    """An A record and its new-format (`a-`) ownership TXT, as ExternalDNS v0.14+ writes."""
    value = txt_value(owner, resource)
    return [rrset(hostname, "A", ip, ttl, set_identifier),
            rrset("a-" + hostname, "TXT", value, 300, set_identifier)]


def prefill(route53: Any, zone_id: str, changes: list[dict[str, Any]]) -> None:
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
