"""ExternalDNS's own AWS provider as an oracle: what it sends Route53, on the wire.

`oracle route53` (devstack/oracle/route53*.go) runs one sync of ExternalDNS's registry, plan
and real AWS provider (v0.23.0: `aws.New`, as `external-dns --provider=aws` builds it, its
SDK sent to an in-process server; v0.14.2: `aws.NewAWSProvider` over a Route53API fake that
reads and writes with the SDK's own REST-XML code) against a Route53 that answers from the
request: the zones and their record sets, given here in
boto3's shape and sent as the REST API's XML. It answers with every ChangeResourceRecordSets
body the provider sent, which `batches` reads back into boto3's shape, so they compare with
what dnsgate's `reconciler.route53.to_change` builds.

- `request(zones, record_sets, desired, ...)`: the JSON request;
- `batches(answer)`: (zone id, action, record set) for each change sent, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

from devstack.r53api import XMLNS

Zone = tuple[str, str, bool]  # (bare id, name with trailing dot, private)
SentChange = tuple[str, str, dict[str, Any]]  # (zone id, action, record set)

# Fields Route53's model types as integers or booleans; every other leaf is a string.
_INTEGERS = frozenset({"TTL", "Weight", "Bias"})
_BOOLEANS = frozenset({"EvaluateTargetHealth", "MultiValueAnswer"})


def request(zones: Sequence[Zone], record_sets: Mapping[str, Sequence[Mapping[str, Any]]],
            desired: Sequence[Mapping[str, Any]], *, owner_id: str, policy: str = "sync",
            flags: Sequence[str] = ()) -> dict[str, Any]:
    """One `oracle route53` request; `desired` records as `devstack.oracle` describes them."""
    return {"hosted_zones": hosted_zones_xml(zones),
            "record_sets": {zone_id: record_sets_xml(record_sets.get(zone_id, ()))
                            for zone_id, _, _ in zones},
            "desired": list(desired), "registry": {"owner_id": owner_id}, "policy": policy,
            "flags": list(flags)}


def hosted_zones_xml(zones: Sequence[Zone]) -> str:
    body = "".join(
        f"<HostedZone><Id>/hostedzone/{zone_id}</Id><Name>{name}</Name>"
        f"<CallerReference>{zone_id}</CallerReference><Config><PrivateZone>"
        f"{str(private).lower()}</PrivateZone></Config></HostedZone>"
        for zone_id, name, private in zones)
    return (f'<?xml version="1.0" encoding="UTF-8"?><ListHostedZonesResponse xmlns="{XMLNS}">'
            f"<HostedZones>{body}</HostedZones><IsTruncated>false</IsTruncated>"
            "<MaxItems>100</MaxItems></ListHostedZonesResponse>")


def record_sets_xml(record_sets: Sequence[Mapping[str, Any]]) -> str:
    root = ElementTree.Element("ListResourceRecordSetsResponse", xmlns=XMLNS)
    listed = ElementTree.SubElement(root, "ResourceRecordSets")
    for record_set in record_sets:
        _fill(ElementTree.SubElement(listed, "ResourceRecordSet"), record_set)
    ElementTree.SubElement(root, "IsTruncated").text = "false"
    ElementTree.SubElement(root, "MaxItems").text = "300"
    return ElementTree.tostring(root, encoding="unicode")


def _fill(element: ElementTree.Element, fields: Mapping[str, Any]) -> None:
    for key, value in fields.items():
        child = ElementTree.SubElement(element, key)
        if key == "ResourceRecords":
            for record in value:
                _fill(ElementTree.SubElement(child, "ResourceRecord"), record)
        elif isinstance(value, Mapping):
            _fill(child, value)
        elif isinstance(value, bool):
            child.text = str(value).lower()
        else:
            child.text = str(value)


def batches(answer: Mapping[str, Any]) -> list[SentChange]:
    """Every change the provider sent, in boto3's shape (integers and booleans typed)."""
    sent: list[SentChange] = []
    for batch in answer.get("batches") or ():
        root = ElementTree.fromstring(batch["body"])
        for change in (e for e in root.iter() if _tag(e) == "Change"):
            fields = {_tag(child): child for child in change}
            sent.append((batch["zone_id"], fields["Action"].text or "",
                         _read(fields["ResourceRecordSet"])))
    return sent


def _tag(element: ElementTree.Element) -> str:
    """The element's name without its namespace (v0.14's SDK writes one on the root only)."""
    return element.tag.rsplit("}", 1)[-1]


def _read(element: ElementTree.Element) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for child in element:
        tag = _tag(child)
        if tag == "ResourceRecords":
            found[tag] = [_read(record) for record in child]
        elif len(child):
            found[tag] = _read(child)
        elif tag in _INTEGERS:
            found[tag] = int(child.text or "0")
        elif tag in _BOOLEANS:
            found[tag] = child.text == "true"
        else:
            found[tag] = child.text or ""
    return found
