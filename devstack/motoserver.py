"""moto's standalone server as the dev stack runs it: moto 5.2's own, with its CREATE check
on a change batch made the one Route53 makes.

moto decides whether a CREATE may go ahead from its journal of past writes, not from the zone
(docs/route53.md, "What moto checks"): it refuses to create a set again once it has created
an identical one, even after that set was deleted, even when the same batch deletes it just
before; and it takes a CREATE of a set that exists with other values, holding two sets of one
name and type. Route53 refuses a CREATE exactly when the set (name, type, set identifier)
exists at that point of the batch, whose changes apply in order. dnsgate sends every update as
a DELETE of what it read and a CREATE (its ownership TXT deleted and created again, unchanged),
so moto's journal check would refuse nearly every update. This server checks each CREATE as
Route53 does and then hands moto the batch with its CREATEs as UPSERTs, which moto applies
without its check and which, the set being absent, create it as a CREATE would.

Nothing else of moto changes: a DELETE is still checked against the journal, not the zone
(the Route53 proxy's `strict` mode checks it in the tests that need it).

    python -m devstack.motoserver -H 127.0.0.1 -p PORT     # as `python -m moto.server`
"""

from __future__ import annotations

from typing import Any


def _key(rrset: dict[str, Any] | Any) -> tuple[str, str, str]:
    get = rrset.get if isinstance(rrset, dict) else lambda field: {
        "Name": rrset.name, "Type": rrset.type, "SetIdentifier": rrset.set_identifier}[field]
    name = str(get("Name") or "").replace("\\052", "*").lower().rstrip(".")
    return name, str(get("Type") or ""), str(get("SetIdentifier") or "")


def patch() -> None:
    from moto.route53 import exceptions, models

    original = models.Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self: Any, zoneid: str,
                                    change_list: list[dict[str, Any]]) -> None:
        present = {_key(rrset) for rrset in self.get_hosted_zone(zoneid).rrsets}
        for change in change_list:
            key = _key(change["ResourceRecordSet"])
            if change["Action"] == "CREATE" and key in present:
                raise exceptions.ResourceRecordAlreadyExists(name=key[0] + ".", _type=key[1])
            if change["Action"] == "DELETE":
                present.discard(key)
            else:
                present.add(key)
        original(self, zoneid, [{**change, "Action": "UPSERT"} if change["Action"] == "CREATE"
                                else change for change in change_list])

    models.Route53Backend.change_resource_record_sets = (  # type: ignore[method-assign]
        change_resource_record_sets)


def main() -> None:
    from moto import server

    patch()
    server.main()


if __name__ == "__main__":
    main()
