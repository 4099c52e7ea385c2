"""Fakes of our own seams for the controller's unit tests: an in-memory Route53Client (just
the three calls dnsgate makes, with Route53's all-or-nothing batches) and a fixed list of
Services. The e2e tests prove the same behaviours against the real servers."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


class MemoryRoute53:
    def __init__(self, zones: dict[str, str]) -> None:
        self.zones = zones  # id -> name
        self.records: dict[str, dict[tuple[str, str, str], dict[str, Any]]] = {
            z: {} for z in zones}
        self.calls: list[str] = []
        self.outage = 0  # the next `outage` calls answer 503

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.outage:
            self.outage -= 1
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"},
                               "ResponseMetadata": {"HTTPStatusCode": 503}}, name)

    def list_hosted_zones(self, **kwargs: Any) -> Any:
        self._enter("list_hosted_zones")
        return {"HostedZones": [{"Id": f"/hostedzone/{z}", "Name": n + ".", "Config": {}}
                                for z, n in self.zones.items()]}

    def list_resource_record_sets(self, **kwargs: Any) -> Any:
        self._enter("list_resource_record_sets")
        return {"ResourceRecordSets": list(self.records[kwargs["HostedZoneId"]].values())}

    def change_resource_record_sets(self, **kwargs: Any) -> Any:
        self._enter("change_resource_record_sets")
        zone = dict(self.records[kwargs["HostedZoneId"]])
        for change in kwargs["ChangeBatch"]["Changes"]:
            rrset = change["ResourceRecordSet"]
            key = (rrset["Name"], rrset["Type"], rrset.get("SetIdentifier", ""))
            if change["Action"] == "CREATE" and key in zone:
                raise ClientError({"Error": {"Code": "InvalidChangeBatch",
                                             "Message": f"{key} already exists"}}, "Change")
            if change["Action"] == "DELETE":
                if zone.get(key) != rrset:
                    raise ClientError({"Error": {"Code": "InvalidChangeBatch",
                                                 "Message": f"{key} not found"}}, "Change")
                del zone[key]
            else:
                zone[key] = rrset
        self.records[kwargs["HostedZoneId"]] = zone
        return {"ChangeInfo": {"Status": "PENDING"}}


class StaticServices:
    def __init__(self, services: list[dict[str, Any]]) -> None:
        self.services = services

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.services)
