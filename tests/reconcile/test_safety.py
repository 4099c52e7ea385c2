"""The promise, as a property: over generated zones, desired records, settings and policies,
dnsgate never DELETEs or UPSERTs a record set, or an ownership TXT, that is not owned by its
owner id under ExternalDNS's mapping.

"Owned under ExternalDNS's mapping" is computed here, from docs/externaldns-txt-registry.md,
by code that shares nothing with dnsgate/txtname.py or reconciler/registry.py, for both
releases' lists of types; a change is allowed only if both call the record ours. An A alias
is ours only when every TXT some release reads for it (under type CNAME, under type A as
v0.22+ write it, old format) names us (docs/route53-alias.md).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings

from reconciler.endpoint import Endpoint, Key
from tests.reconcile import claimants, zones
from tests.reconcile.zones import Case

EXAMPLES = 10_000
TOKEN = "%{record_type}"
LATEST_TYPES = ["a", "aaaa", "cname", "ns", "mx", "ptr", "srv", "naptr", "txt", "dname", "tlsa"]
SEED_TYPES = LATEST_TYPES[:4]


def labels_of(value: str, key: bytes | None) -> dict[str, str] | None:
    """ExternalDNS's label parsing: None unless heritage=external-dns is among the tokens."""
    text = value.strip('"')
    if key is not None:
        try:
            raw = base64.b64decode(text, validate=True)
            text = gzip.decompress(AESGCM(key).decrypt(raw[:12], raw[12:], None)).decode()
        except (binascii.Error, ValueError, InvalidTag, OSError, EOFError, zlib.error):
            pass
    pairs = [token.split("=", 1) for token in text.split(",") if "=" in token]
    heritages = [v for k, v in pairs if k == "heritage"]
    if not heritages or any(v != "external-dns" for v in heritages):
        return None
    return {k.removeprefix("external-dns/"): v for k, v in pairs if k.startswith("external-dns")}


def stands_for(txt: str, case: Case, types: list[str]) -> tuple[str, str] | None:
    """The (record name, type) a TXT name stands for, per the doc's four steps."""
    prefix, suffix = case.settings.prefix.lower(), case.settings.suffix.lower()
    name = txt.lower()
    head, tail = name, ""
    if suffix:
        cut = suffix.count(".") + 1
        labels = name.split(".")
        if len(labels) < cut:
            return None
        head, tail = ".".join(labels[:cut]), ".".join(labels[cut:])
    found = _strip(head, prefix, suffix, types)
    if found is None:
        return None
    base, kind = found
    return (f"{base}.{tail}" if tail else base), kind


def _strip(name: str, prefix: str, suffix: str, types: list[str]) -> tuple[str, str] | None:
    affix = suffix or prefix
    if TOKEN in affix:
        for kind in types:
            typed = affix.replace(TOKEN, kind)
            if suffix and name.endswith(typed):
                return name[: -len(typed)], kind.upper()
            if not suffix and name.startswith(typed):
                return name[len(typed):], kind.upper()
        affix = affix.replace(TOKEN, "")
    if suffix:
        if not name.endswith(affix):
            return None
        rest = name[: len(name) - len(affix)]
    else:
        if not name.startswith(affix):
            return None
        rest = name[len(affix):]
    first = rest.split("-")[0]
    if first in types:
        return rest.removeprefix(first + "-"), first.upper()
    return rest, ""


def owners_of(case: Case, types: list[str]) -> dict[Key, str | None]:
    """(record name, type or "", set identifier) -> the owner its mapped TXT names."""
    key = case.settings.aes_key
    owners: dict[Key, str | None] = {}
    for txt in case.zone:
        if txt.record_type != "TXT" or len(txt.targets) != 1:
            continue
        labels = labels_of(txt.targets[0], key)
        target = stands_for(txt.dnsname, case, types) if labels is not None else None
        if labels is not None and target is not None:
            owners[(*target, txt.set_identifier)] = labels.get("owner")
    return owners


def lookup(record: Endpoint, case: Case) -> tuple[str, str]:
    name = record.dnsname
    if name.startswith("*.") and case.settings.wildcard_replacement:
        name = case.settings.wildcard_replacement + name[1:]
    return name, record.set_identifier


def owner_of(record: Endpoint, case: Case, types: list[str]) -> str | None:
    owners = owners_of(case, types)
    name, set_id = lookup(record, case)
    typed = (name, record.record_type, set_id)
    if typed in owners:
        return owners[typed]
    if record.record_type != "AAAA":
        return owners.get((name, "", set_id))
    return None


def alias_owners(record: Endpoint, case: Case) -> set[str | None]:
    """Every owner a release may read for an A alias (docs/route53-alias.md): its TXT under
    type CNAME (every release), under type A (v0.22+), and the old format."""
    owners = owners_of(case, LATEST_TYPES)
    name, set_id = lookup(record, case)
    return {owners[key] for key in ((name, "CNAME", set_id), (name, "A", set_id),
                                    (name, "", set_id)) if key in owners}


def ours_by_both(record: Endpoint, case: Case) -> bool:
    if record.record_type == "A" and dict(record.properties).get("alias") == "true":
        return alias_owners(record, case) == {zones.ME}
    return all(owner_of(record, case, types) == zones.ME for types in (LATEST_TYPES, SEED_TYPES))


def violations(case: Case) -> list[str]:
    zone = {r.key: r for r in case.zone}
    found = []
    for group in zones.dnsgate_groups(case):
        for action, change in group:
            if action == "CREATE":
                continue
            there = zone.get(change.key)
            if change.record_type != "TXT":
                if there is None or not ours_by_both(there, case):
                    found.append(f"{action} {change.describe()}: not ours")
                continue
            if there is None:
                if action == "DELETE":
                    found.append(f"DELETE {change.describe()}: no such TXT")
                continue
            labels = labels_of(there.targets[0], case.settings.aes_key) if len(
                there.targets) == 1 else None
            if (labels or {}).get("owner") != zones.ME:
                found.append(f"{action} {change.describe()}: TXT owned by "
                             f"{(labels or {}).get('owner')}")
    return found


@pytest.mark.timeout(1800)  # thousands of examples, on a busy 2-core machine
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=zones.cases())
def test_never_deletes_or_overwrites_what_is_not_ours(case: Case) -> None:
    assert violations(case) == []


def holders_of(records: Iterable[Endpoint], case: Case) -> dict[Key, str | None]:
    """(record name, type, set identifier) -> the resource its ownership TXT of our owner
    names (the new-format TXT, as both releases read it)."""
    found: dict[Key, str | None] = {}
    for txt in records:
        labels = labels_of(txt.targets[0], case.settings.aes_key) if (
            txt.record_type == "TXT" and len(txt.targets) == 1) else None
        target = stands_for(txt.dnsname, case, LATEST_TYPES) if labels else None
        if labels and target and target[1] and labels.get("owner") == zones.ME:
            found[(*target, txt.set_identifier)] = labels.get("resource")
    return found


def taken(case: Case) -> list[str]:
    """Record sets a Service asks for whose TXT names it, that dnsgate's changes moved to
    another Service or deleted."""
    asking = {(e.dnsname, e.record_type, e.set_identifier): e.label("resource")
              for e in case.desired}
    before = holders_of(case.zone, case)
    present = {record.key for record in case.zone}
    after_zone = zones.apply(case.zone, zones.dnsgate_groups(case)).zone
    after = holders_of(after_zone.values(), case)
    return [f"{key}: held by {holder}, now {after.get(key)}"
            for key, holder in before.items() if key in present
            and asking.get(key) == holder and (key not in after_zone or after.get(key) != holder)]


@pytest.mark.timeout(1800)
@settings(max_examples=EXAMPLES // 5, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=claimants.cases())
def test_set_identifiers_moving_between_services_take_no_record_set_from_its_holder(
        case: Case) -> None:
    assert violations(case) == []
    assert taken(case) == []
