"""Route53 in memory: the three calls dnsgate makes (`reconciler.route53.Route53Client`),
with Route53's all-or-nothing change batches, for the controller's unit tests and for the
benchmarks that time dnsgate's own work per event with no server in the way.

A change batch costs what it changes, not what the zone holds, so a benchmark with 40,000
record sets in the zone measures dnsgate, not this fake.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

RecordKey = tuple[str, str, str]  # (name with trailing dot, type, set identifier)


class MemoryRoute53:
    def __init__(self, zones: dict[str, str], private: frozenset[str] = frozenset()) -> None:
        self.zones = zones  # id -> name
        self.private = private  # ids of private zones
        self.batches: list[tuple[str, list[dict[str, Any]]]] = []  # (zone id, changes) sent
        self.records: dict[str, dict[RecordKey, dict[str, Any]]] = {z: {} for z in zones}
        self.calls: list[str] = []
        self.outage = 0  # the next `outage` calls answer 503

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.outage:
            self.outage -= 1
            down: Any = {"Error": {"Code": "ServiceUnavailable", "Message": "down"},
                         "ResponseMetadata": {"HTTPStatusCode": 503}}
            raise ClientError(down, name)

    def list_hosted_zones(self, **kwargs: Any) -> Any:
        self._enter("list_hosted_zones")
        return {"HostedZones": [{"Id": f"/hostedzone/{z}", "Name": n + ".",
                                 "Config": {"PrivateZone": z in self.private}}
                                for z, n in self.zones.items()]}

    def list_resource_record_sets(self, **kwargs: Any) -> Any:
        """The whole zone in one page; from `StartRecordName` on, in Route53's order (name
        with its labels reversed, type, set identifier) and `MaxItems` to a page, as
        Route53 pages."""
        self._enter("list_resource_record_sets")
        zone = self.records[kwargs["HostedZoneId"]]
        if "StartRecordName" not in kwargs:
            return {"ResourceRecordSets": list(zone.values())}
        start = (_ordered(kwargs["StartRecordName"]), kwargs.get("StartRecordType", ""),
                 kwargs.get("StartRecordIdentifier", ""))
        rest = sorted((key for key in zone if (_ordered(key[0]), *key[1:]) >= start),
                      key=lambda key: (_ordered(key[0]), *key[1:]))
        size = int(kwargs.get("MaxItems", 300))
        page: dict[str, Any] = {"ResourceRecordSets": [zone[key] for key in rest[:size]]}
        if len(rest) > size:
            name, kind, set_id = rest[size]
            page |= {"IsTruncated": True, "NextRecordName": name, "NextRecordType": kind}
            if set_id:
                page["NextRecordIdentifier"] = set_id
        return page

    def change_resource_record_sets(self, **kwargs: Any) -> Any:
        self._enter("change_resource_record_sets")
        self.batches.append((kwargs["HostedZoneId"], kwargs["ChangeBatch"]["Changes"]))
        zone = self.records[kwargs["HostedZoneId"]]
        staged: dict[RecordKey, dict[str, Any] | None] = {}  # applied only if all succeed
        for change in kwargs["ChangeBatch"]["Changes"]:
            rrset = change["ResourceRecordSet"]
            key = (rrset["Name"], rrset["Type"], rrset.get("SetIdentifier", ""))
            existing = staged[key] if key in staged else zone.get(key)
            if change["Action"] == "CREATE" and existing is not None:
                raise ClientError({"Error": {"Code": "InvalidChangeBatch",
                                             "Message": f"{key} already exists"}}, "Change")
            if change["Action"] == "DELETE":
                if existing != rrset:
                    raise ClientError({"Error": {"Code": "InvalidChangeBatch",
                                                 "Message": f"{key} not found"}}, "Change")
                staged[key] = None
            else:
                staged[key] = rrset
        for key, rrset in staged.items():
            if rrset is None:
                zone.pop(key, None)
            else:
                zone[key] = rrset
        return {"ChangeInfo": {"Status": "PENDING"}}


def _ordered(name: str) -> tuple[str, ...]:
    return tuple(reversed(name.lower().rstrip(".").split(".")))
