"""The promise, as a property: over generated zones, desired records, settings and policies,
dnsgate never DELETEs or UPSERTs a record set, or an ownership TXT, that is not owned by its
owner id under ExternalDNS's mapping.

"Owned under ExternalDNS's mapping" is computed here, from docs/externaldns-txt-registry.md,
by code that shares nothing with dnsgate/txtname.py or reconciler/registry.py, for both
releases' lists of types; a change is allowed only if both call the record ours. An A alias
is ours only when every TXT some release reads for it (under type CNAME, under type A as
v0.22+ write it, old format) names us (docs/route53-alias.md). Where the TXTs mapped to one
(name, type or "", set identifier) name different owners, the record is nobody's, whatever
order the zone lists them in (docs/externaldns-txt-registry.md, "TXTs that disagree").
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
from hypothesis import HealthCheck, example, given, settings

from reconciler import endpoint, registry
from reconciler.endpoint import Endpoint, Key
from reconciler.settings import RegistrySettings
from tests.reconcile import claimants, outofband, zones
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


CONTESTED = "<TXTs naming different owners>"  # owners no record is ever ours through
UNREADABLE = "<sealed under another key>"


def sealed_elsewhere(value: str, key: bytes | None) -> bool:
    """With a key, a value that is base64 of more than a 12-byte nonce and a 16-byte tag but
    does not open with it: an ownership TXT whose owner cannot be read."""
    if key is None:
        return False
    try:
        raw = base64.b64decode(value.strip('"'), validate=True)
    except binascii.Error:
        return False
    return len(raw) > 28 and labels_of(value, key) is None


def owners_of(case: Case, types: list[str]) -> dict[Key, str | None]:
    """(record name, type or "", set identifier) -> the owner its mapped TXTs name; where
    they name different owners, whatever the listing order, CONTESTED (docs/
    externaldns-txt-registry.md, "TXTs that disagree"). A TXT sealed under another key names
    an owner that is not us."""
    key = case.settings.aes_key
    named: dict[Key, set[str | None]] = {}
    for txt in case.zone:
        if txt.record_type != "TXT" or len(txt.targets) != 1:
            continue
        labels = labels_of(txt.targets[0], key)
        if labels is None and not sealed_elsewhere(txt.targets[0], key):
            continue
        target = stands_for(txt.dnsname, case, types)
        if target is not None:
            named.setdefault((*target, txt.set_identifier), set()).add(
                labels.get("owner") if labels is not None else UNREADABLE)
    return {k: found.pop() if len(found) == 1 else CONTESTED for k, found in named.items()}


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


def _txt(first: str, owner: str) -> Endpoint:
    value = registry.encode({endpoint.OWNER: owner, endpoint.RESOURCE: "service/web/team"})
    return endpoint.make(f"{first}.{zones.ZONE}", "TXT", [value])


# Drawn once: under `%{record_type}-`, `cname-team` and `-cname-team` both stand for `team`
# CNAME and name different owners; keeping the later listed, dnsgate called it ours and
# deleted it to make room for the A record.
CONTESTED_CNAME = Case(
    zone=(endpoint.make(f"team.{zones.ZONE}", "CNAME", ["lb1.example.org"]),
          _txt("-cname-team", zones.OTHER), _txt("cname-team", zones.ME),
          _txt("a-team", zones.ME)),
    desired=tuple(endpoint.make(f"team.{zones.ZONE}", kind, [target],
                                labels={endpoint.RESOURCE: "service/web/team"})
                  for kind, target in (("A", "10.4.11.1"), ("CNAME", "lb1.example.org"))),
    settings=RegistrySettings(owner_id=zones.ME, prefix="%{record_type}-"),
    policy="sync")

# Two TXTs of ours for one record (`-a-team` and `a-team` both map to `team` A under
# `%{record_type}-`); another owner takes one of them after the read: the delete must carry
# both, exactly as read, or it lands past the one taken.
TWO_TXTS_ONE_TAKEN = (
    Case(zone=(endpoint.make(f"team.{zones.ZONE}", "A", ["10.4.11.1"]),
               endpoint.make(f"a-team.{zones.ZONE}", "A", ["10.4.11.1"]),
               _txt("-a-team", zones.ME), _txt("a-team", zones.ME)),
         desired=(), settings=RegistrySettings(owner_id=zones.ME, prefix="%{record_type}-"),
         policy="sync"),
    [outofband.Write("takeover", 0, 0)])

# An alias is owned through all its TXTs, the old format's (`*-own` under `-own`) too;
# another owner takes that one after the read: the alias's update must carry it as read.
ALIAS_OLD_TXT_TAKEN = (
    Case(zone=(endpoint.make(f"*.{zones.ZONE}", "A", ["k8s-web-1.us-east-1.elb.amazonaws.com"],
                             properties={"alias": "true",
                                         "aws/evaluate-target-health": "true"}),
               _txt("cname-*-own", zones.ME), _txt("*-own", zones.ME)),
         desired=(endpoint.make(f"*.{zones.ZONE}", "A", ["10.4.11.1"],
                                labels={endpoint.RESOURCE: "service/web/team"}),),
         settings=RegistrySettings(owner_id=zones.ME, suffix="-own"), policy="sync"),
    [outofband.Write("takeover", 0, 0)])


# Drawn at random: with replacement `wild`, the alias `wild` is owned through the old-format
# TXT `wild` alone (both releases call it ours and delete it, as dnsgate does: no `*` record
# is there to share that TXT). After the read another owner creates `*` CNAME with its TXT
# `cname-wild`, which every release also reads for the alias `wild`: the alias turns theirs
# without being touched, and dnsgate's delete, sent as read, still lands. No condition of a
# Route53 batch sees a set appear that the batch neither deletes nor creates, so the model
# leaves such a write out (`outofband.namesakes_read`; docs/route53.md, "Conditional
# writes"), as it leaves out an ordinary TXT turned into an ownership TXT.
ALIAS = {"alias": "true", "aws/evaluate-target-health": "true"}
WILDCARD_NAMESAKE_ADDED = (
    Case(zone=(endpoint.make(f"team.{zones.ZONE}", "A", [zones.ELBS[0]], properties=ALIAS),
               endpoint.make(f"wild.{zones.ZONE}", "A", [zones.ELBS[0]], properties=ALIAS),
               _txt("wild", zones.ME), _txt("a-a-team", zones.ME)),
         desired=(endpoint.make(f"*.{zones.ZONE}", "CNAME", ["lb1.example.org"],
                                labels={endpoint.RESOURCE: "service/web/team"}, ttl=60),
                  endpoint.make(f"team.{zones.ZONE}", "A", ["10.4.11.1"],
                                labels={endpoint.RESOURCE: "service/web/team"}, ttl=60)),
         settings=RegistrySettings(owner_id=zones.ME, wildcard_replacement="wild",
                                   aes_key=b"0123456789abcdef0123456789abcdef"),
         policy="sync"),
    [outofband.Write("add", 0, 0)])


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
@example(case=CONTESTED_CNAME)
def test_never_deletes_or_overwrites_what_is_not_ours(case: Case) -> None:
    assert violations(case) == []


# ---- names two records share -------------------------------------------------------------
# A wildcard and a record named like the wildcard replacement (lower-cased, as the TXT name is
# written) may be owned through one TXT: the TXT cannot say which, so neither is touched, and
# no change rewrites or deletes a TXT such a pair shares or that a record at another name than
# the group's could be owned through (docs/externaldns-txt-registry.md, "Names two records
# share").

def readable(record: Endpoint) -> set[str]:
    """The types a TXT may be mapped to and still own `record` ("" for the old format)."""
    kinds = {record.record_type} | ({""} if record.record_type != "AAAA" else set())
    if record.record_type == "A" and dict(record.properties).get("alias") == "true":
        kinds.add("CNAME")
    return kinds


def readers(case: Case) -> dict[Key, set[str]]:
    """(name, type or "", set identifier) -> the names of the zone's records a TXT mapped
    there could own."""
    replacement = case.settings.wildcard_replacement.lower()
    found: dict[Key, set[str]] = {}
    for record in case.zone:
        if record.record_type not in ("A", "AAAA", "CNAME"):
            continue
        name = record.dnsname
        if name.startswith("*.") and replacement:
            name = replacement + name[1:]
        for kind in readable(record):
            found.setdefault((name, kind, record.set_identifier), set()).add(record.dnsname)
    return found


def shared_records(case: Case, by_key: dict[Key, set[str]]) -> set[tuple[str, str, str]]:
    """(name, type, set identifier) of each record a TXT could own together with a record at
    another name: the pair is nobody's. Per record, not per name: `wild` AAAA shares nothing
    with `*` A even while `wild` A does (AAAA reads no old-format TXT)."""
    replacement = case.settings.wildcard_replacement.lower()
    found = set()
    for record in case.zone:
        name = record.dnsname
        if name.startswith("*.") and replacement:
            name = replacement + name[1:]
        for kind in readable(record) if record.record_type in ("A", "AAAA", "CNAME") else ():
            if len(by_key.get((name, kind, record.set_identifier), ())) > 1:
                found.add((record.dnsname, record.record_type, record.set_identifier))
    return found


def sharing_violations(case: Case) -> list[str]:
    by_key = readers(case)
    shared = shared_records(case, by_key)
    found = []
    for group in zones.dnsgate_groups(case):
        names = {change.dnsname for _, change in group if change.record_type != "TXT"}
        for action, change in group:
            if change.record_type != "TXT":
                if action != "CREATE" and (change.dnsname, change.record_type,
                                           change.set_identifier) in shared:
                    found.append(f"{action} {change.describe()}: shares a TXT")
                continue
            target = stands_for(change.dnsname, case, LATEST_TYPES)
            owners = by_key.get((*target, change.set_identifier), set()) if target else set()
            # A group of TXT changes alone rewrites the TXT of the one record it could own.
            if action != "CREATE" and (len(owners) > 1 or (names and owners - names)):
                found.append(f"{action} {change.describe()}: could own {sorted(owners)}")
    return found


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
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=zones.cases().filter(lambda c: c.settings.wildcard_replacement != ""))
def test_never_touches_what_a_wildcard_and_its_replacements_namesake_share(case: Case) -> None:
    assert sharing_violations(case) == []


# ---- another writer between any two steps ---------------------------------------------------

WRITER_EXAMPLES = 10_000



def ours_now(record: Endpoint, zone: dict[Key, Endpoint], case: Case) -> bool:
    """Whether `record` is ours in `zone` as it is at that moment, read as above."""
    now = Case(tuple(zone.values()), case.desired, case.settings, case.policy)
    if record.record_type != "TXT":
        return ours_by_both(record, now)
    labels = labels_of(record.targets[0], case.settings.aes_key) if len(
        record.targets) == 1 else None
    return (labels or {}).get("owner") == zones.ME


def changed_not_ours(batch: outofband.Batch, case: Case) -> list[str]:
    """Record sets not ours when the batch landed that it changed or removed."""
    found = []
    for key, there in batch.before.items():
        after = batch.after.get(key)
        if after != there and not ours_now(there, batch.before, case):
            found.append(f"{there.describe()} ({', '.join(there.targets)}) not ours, became "
                         f"{after.targets if after else 'absent'} by {batch.group}")
    return found


@pytest.mark.timeout(1800)
@settings(max_examples=WRITER_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=zones.cases(), writes=outofband.writes)
@example(case=CONTESTED_CNAME, writes=[])
@example(case=TWO_TXTS_ONE_TAKEN[0], writes=TWO_TXTS_ONE_TAKEN[1])
@example(case=ALIAS_OLD_TXT_TAKEN[0], writes=ALIAS_OLD_TXT_TAKEN[1])
@example(case=WILDCARD_NAMESAKE_ADDED[0], writes=WILDCARD_NAMESAKE_ADDED[1])
def test_another_writer_between_any_two_steps_never_makes_us_change_what_is_not_ours(
        case: Case, writes: list[outofband.Write]) -> None:
    """The zone changes after dnsgate read it, between its batches and after it re-read a
    refused name (tests/reconcile/outofband.py); whatever is not ours at the moment a batch
    lands, the batch leaves as it is."""
    assert [v for batch in outofband.run(case, writes) for v in changed_not_ours(batch, case)
            ] == []


@pytest.mark.timeout(1800)
@settings(max_examples=EXAMPLES // 5, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=claimants.cases())
@example(case=claimants.story("blue"))
@example(case=claimants.story(None))
def test_set_identifiers_moving_between_services_take_no_record_set_from_its_holder(
        case: Case) -> None:
    assert violations(case) == []
    assert taken(case) == []
