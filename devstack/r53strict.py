"""Route53's checks on a change batch that moto's server lacks, for the proxy's `strict` mode.

moto 5.2 (docs/route53.md, "What moto checks"): accepts a CREATE of a set that exists with
other values, and adds a second set under the same name and type; checks a DELETE against
its journal of past writes instead of the zone, so a DELETE of values since overwritten
deletes whatever is there now. Route53 refuses both: a CREATE of any existing (name, type,
set identifier), a DELETE that does not match the existing set exactly (TTL, every value,
alias target, routing fields). The batch is refused whole, with InvalidChangeBatch, and
its changes apply in order, so a DELETE then a CREATE of one set replaces it.

Pure: the proxy lists the zone from moto and asks `refusal` before forwarding a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree import ElementTree

from devstack.r53api import XMLNS, error_xml, normal_name

SetKey = tuple[str, str, str]  # (name, type, set identifier)
Content = tuple[tuple[str, Any], ...]
"""A set's fields that a DELETE must match, in one comparable form."""

_ROUTING = ("Weight", "Region", "Failover", "MultiValueAnswer", "HealthCheckId")
_GEO = ("ContinentCode", "CountryCode", "SubdivisionCode")


def refusal(body: bytes, listed: Iterable[Mapping[str, Any]]) -> bytes | None:
    """Route53's refusal of the batch in `body` against the zone's `listed` sets (boto3's
    shape), or None when Route53 would take it."""
    zone = {key_of(s): content_of(s) for s in listed}
    for action, rrset in changes(body):
        key = key_of(rrset)
        if action == "CREATE" and key in zone:
            return _refused("create", key, "but it already exists")
        if action == "DELETE" and key not in zone:
            return _refused("delete", key, "but it was not found")
        if action == "DELETE" and zone[key] != content_of(rrset):
            return _refused("delete", key,
                            "but the values provided do not match the current values")
        if action == "DELETE":
            del zone[key]
        else:
            zone[key] = content_of(rrset)
    return None


def changes(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(action, set in boto3's shape) for each change of a ChangeResourceRecordSets body."""
    found = []
    for change in ElementTree.fromstring(body).iter(f"{{{XMLNS}}}Change"):
        rrset = change.find(f"{{{XMLNS}}}ResourceRecordSet")
        if rrset is not None:
            found.append((change.findtext(f"{{{XMLNS}}}Action") or "", _as_dict(rrset)))
    return found


def key_of(rrset: Mapping[str, Any]) -> SetKey:
    return (normal_name(str(rrset.get("Name", ""))), str(rrset.get("Type", "")),
            str(rrset.get("SetIdentifier", "")))


def content_of(rrset: Mapping[str, Any]) -> Content:
    fields: dict[str, Any] = {
        "TTL": _text(rrset.get("TTL")),
        "Values": tuple(sorted(str(r["Value"]) for r in rrset.get("ResourceRecords", []))),
        **{name: _text(rrset.get(name)) for name in _ROUTING},
        **{name: _text((rrset.get("GeoLocation") or {}).get(name)) for name in _GEO},
    }
    alias = rrset.get("AliasTarget")
    if alias:
        fields["Alias"] = (normal_name(str(alias.get("DNSName", ""))),
                           str(alias.get("HostedZoneId", "")),
                           _text(alias.get("EvaluateTargetHealth")))
    return tuple(sorted(fields.items()))


def _text(value: Any) -> str | None:
    """One spelling for a field read from XML text or from boto3's typed value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).lower() if str(value) in ("True", "False") else str(value)


def _as_dict(element: ElementTree.Element) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for child in element:
        tag = child.tag.removeprefix(f"{{{XMLNS}}}")
        if tag == "ResourceRecords":
            found[tag] = [{"Value": r.findtext(f"{{{XMLNS}}}Value") or ""} for r in child]
        elif tag in ("AliasTarget", "GeoLocation"):
            found[tag] = _as_dict(child)
        else:
            found[tag] = child.text or ""
    return found


def _refused(verb: str, key: SetKey, why: str) -> bytes:
    name, kind, set_identifier = key
    identifier = f", set-identifier='{set_identifier}'" if set_identifier else ""
    return error_xml("InvalidChangeBatch", f"[Tried to {verb} resource record set "
                     f"[name='{name}.', type='{kind}'{identifier}] {why}]")
