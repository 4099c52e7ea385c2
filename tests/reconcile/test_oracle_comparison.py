"""dnsgate's registry and plan against ExternalDNS's own (devstack/oracle), release by release.

For each generated case (tests/reconcile/zones.py) both answer, and the answers are compared
where it matters, in Route53's terms:

1. reading: the owner and resource dnsgate reads for every record equal ExternalDNS's
   (read with the release's own list of mapped types);
2. outcome: applying each side's changes to the zone as Route53 would (a group lands whole or
   not at all) leaves the same A/AAAA/CNAME record sets with the same owners.

Differences the README lists under "Deliberate differences from ExternalDNS" are excused,
each by its own rule below, for the records it concerns and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from devstack import oracle
from dnsgate import txtname
from reconciler import endpoint, registry
from reconciler.endpoint import Endpoint, Key
from tests.reconcile import claimants, zones
from tests.reconcile.zones import Case

EXAMPLES = 2000

Row = tuple[str, str]  # (name, set identifier): ExternalDNS plans per row


@pytest.fixture(scope="module", params=oracle.VERSIONS)
def external_dns(request: pytest.FixtureRequest) -> Iterator[oracle.Oracle]:
    with oracle.Oracle(request.param) as running:
        yield running


def mapped_types(version: str) -> tuple[str, ...]:
    return txtname.V0_14_MAPPED_TYPES if version == oracle.SEED else txtname.MAPPED_TYPES


def ownership(records: list[Endpoint] | tuple[Endpoint, ...]) -> dict[Key, tuple[str | None, ...]]:
    return {r.key: (r.label(endpoint.OWNER), r.label(endpoint.RESOURCE)) for r in records
            if r.record_type in endpoint.MANAGED_TYPES}


def row(key: Key) -> Row:
    return key[0], key[2]


# ---- deliberate differences, each excusing the rows it concerns --------------------------

def ambiguous_rows(records: Iterable[Endpoint], case: Case) -> set[Row]:
    """A wildcard and a record named like its (lower-cased) replacement that one TXT could
    own: its own type's, an A alias's under CNAME too, the old format's for all but AAAA.
    dnsgate owns neither and creates neither beside the other; ExternalDNS owns both (and,
    with a mixed-case replacement, never the wildcard), before or after either side's
    changes."""
    replacement = case.settings.wildcard_replacement.lower()
    seen: dict[Key, set[Key]] = {}
    for record in records:
        if record.record_type not in endpoint.MANAGED_TYPES:
            continue
        first, dot, rest = record.dnsname.partition(".")
        anchor = f"{replacement}{dot}{rest}" if first == "*" and replacement else record.dnsname
        kinds = {record.record_type} | ({""} if record.record_type != endpoint.AAAA else set())
        if record.alias and record.record_type == endpoint.A:
            kinds.add(endpoint.CNAME)
        for kind in kinds:
            seen.setdefault((anchor, kind, record.set_identifier), set()).add(record.key)
    return {row(key) for keys in seen.values() if len({k[0] for k in keys}) > 1 for key in keys}


def alias_txt_rows(records: Iterable[Endpoint], case: Case, version: str) -> set[Row]:
    """An A alias's TXT: v0.14 reads only one that maps to type CNAME (`cname-<name>`), v0.23
    one that maps to type A (`a-<name>`) before it; dnsgate reads CNAME's (what it writes,
    and every release reads) before A's, and owns the alias only when all its TXTs agree.
    So v0.14 calls an alias owned through an A-typed TXT alone unowned, with both TXTs v0.23
    reads the A-typed one, and where they disagree dnsgate calls the alias nobody's."""
    names = registry.mapper(case.settings)
    listed = list(records)
    mapped: dict[Key, str | None] = {}
    for txt in listed:
        stands_for = names.record_of(txt.dnsname) if txt.record_type == endpoint.TXT else None
        labels = registry.decode(txt.targets[0], case.settings.aes_key) if (
            stands_for is not None and len(txt.targets) == 1) else None
        if stands_for is not None and labels is not None:
            mapped[(*stands_for, txt.set_identifier)] = labels.get(endpoint.OWNER)
    rows: set[Row] = set()
    for record in listed:
        if not (record.alias and record.record_type == endpoint.A):
            continue
        lookup = names.lookup_name(record.dnsname)
        found = {kind: mapped[key] for kind in (endpoint.A, endpoint.CNAME, "")
                 if (key := (lookup, kind, record.set_identifier)) in mapped}
        by_a, by_cname = endpoint.A in found, endpoint.CNAME in found
        if (by_a and (version == oracle.SEED or by_cname)) or len(set(found.values())) > 1:
            rows.add(row(record.key))
    return rows


def contested_rows(records: Iterable[Endpoint], case: Case, version: str) -> set[Row]:
    """Ownership TXTs that map to one (name, type or "", set identifier) and name different
    owners (`cname-team` and `-cname-team` under `%{record_type}-`): ExternalDNS keeps the
    one it lists later; dnsgate calls the records there nobody's, whatever the order."""
    names = registry.mapper(case.settings, mapped_types(version))
    owners: dict[Key, set[str | None]] = {}
    for txt in records:
        stands_for = names.record_of(txt.dnsname) if txt.record_type == endpoint.TXT else None
        labels = registry.decode(txt.targets[0], case.settings.aes_key) if (
            stands_for is not None and len(txt.targets) == 1) else None
        if stands_for is not None and labels is not None:
            owners.setdefault((*stands_for, txt.set_identifier), set()).add(
                labels.get(endpoint.OWNER))
    return {row(key) for key, found in owners.items() if len(found) > 1}


def difference_rows(case: Case, version: str) -> set[Row]:
    excused = ambiguous_rows([*case.zone, *case.desired], case)
    excused |= alias_txt_rows(case.zone, case, version)
    excused |= contested_rows(case.zone, case, version)
    if version == oracle.SEED:
        # v0.14 reads `mx-foo` as an old-format TXT; dnsgate, as v0.23, as `foo` type MX.
        latest = ownership(registry.read(case.zone, case.settings).endpoints)
        seed = ownership(registry.read(case.zone, case.settings,
                                       mapped_types=txtname.V0_14_MAPPED_TYPES).endpoints)
        excused |= {row(key) for key in latest if latest[key] != seed[key]}
    return excused


def refused_rows(applied: zones.Applied, case: Case) -> set[Row]:
    """ExternalDNS sends changes Route53 refuses: a TXT CREATE where that TXT is, a DELETE of
    a TXT that is not there (or not with the value it regenerated), v0.14's old-format TXT
    beside a CNAME. It then loses every change at that name (its AWS provider retries a
    refused batch name by name); dnsgate writes TXTs against what it read and isolates a
    refusal to the one record's group."""
    return _rows_of((refusal.group for refusal in applied.refused), case)


def colliding_rows(applied: zones.Applied, case: Case) -> set[Row]:
    """A wanted record named like another's TXT (CNAME `a-team` and the TXT of A `team`)
    cannot both be: whichever Route53 gets first stays, and the sides send them in another
    order. And dnsgate leaves a TXT that is not its own where it is, so its group fails."""
    return _rows_of((r.group for r in applied.refused
                     if r.reason.endswith(("beside a CNAME", "mixing routing policies"))
                     or (r.reason.startswith("CREATE of existing")
                         and r.record.record_type == endpoint.TXT)), case)


def _rows_of(groups: Iterable[list[zones.Action]], case: Case) -> set[Row]:
    names = registry.mapper(case.settings)
    rows: set[Row] = set()
    for group in groups:
        for _, record in group:
            owned = names.record_of(record.dnsname) if record.record_type == endpoint.TXT else None
            rows.add((owned[0] if owned else record.dnsname, record.set_identifier))
    return rows


def competing_rows(case: Case) -> set[Row]:
    """Services asking for one name (without different set identifiers to share it): where
    a row's current owner is among its candidates for each type asked, and no conflicting
    claim at the name holds a row of its own, both keep the current owner (ExternalDNS's
    PerResource resolver; dnsgate's holder, per row). Elsewhere ExternalDNS merges types
    from several objects or takes the least target, and dnsgate gives the record set whole
    to the earliest created Service (README, "Deliberate differences")."""
    if not case.claimants:
        return set()
    asked: dict[Row, dict[str, set[str]]] = {}  # row -> resource -> types it asks for
    for record in case.desired:
        resource = record.label(endpoint.RESOURCE) or ""
        asked.setdefault(row(record.key), {}).setdefault(resource, set()).add(
            record.record_type)
    owner: dict[Row, dict[str, str | None]] = {}  # row -> type -> resource of ours
    for record in registry.read(case.zone, case.settings).endpoints:
        if record.record_type in endpoint.MANAGED_TYPES:
            mine = record.label(endpoint.OWNER) == zones.ME
            owner.setdefault(row(record.key), {})[record.record_type] = (
                record.label(endpoint.RESOURCE) if mine else None)

    def holder(at: Row) -> str | None:
        found = set((owner.get(at) or {None: None}).values())
        return found.pop() if len(found) == 1 else None

    def rivals(at: Row, resource: str) -> set[Row]:
        return {other for other, by in asked.items() if other[0] == at[0]
                and (not other[1] or not at[1] or other[1] == at[1])
                and any(r != resource for r in by)}

    excused: set[Row] = set()
    for at, by in asked.items():
        contested = len(by) > 1 or any(rivals(at, r) for r in by)
        kept = holder(at)
        settled = (kept in by and set(owner.get(at) or ()) >= set().union(*by.values())
                   and all(types == by[kept] for types in by.values())
                   and not any(holder(other) in asked[other] and holder(other) != kept
                               for other in rivals(at, kept or "")))
        if contested and not settled:
            excused.add(at)
    return excused


def hijacked_rows(answer: dict[str, Any], case: Case) -> set[Row]:
    """v0.14 also writes old-format TXTs, and an old-format TXT for `a-team` is where the
    new-format TXT of `team` lives: read back, it claims `team`, which v0.14 never made.
    dnsgate writes only the new format."""
    names = registry.mapper(case.settings)
    rows: set[Row] = set()
    for raw in (answer.get("create") or []) + (answer.get("update_new") or []):
        written_for = (raw.get("labels") or {}).get("ownedRecord")
        if raw["type"] != endpoint.TXT or not written_for:
            continue
        read_as = names.record_of(raw["name"])
        if read_as is not None and read_as[0] != written_for:
            rows.add((read_as[0], raw.get("set_identifier") or ""))
    return rows


# ---- the comparison ----------------------------------------------------------------------

def differences(case: Case, answer: dict[str, Any], version: str) -> list[str]:
    if answer.get("error"):
        return [f"ExternalDNS refused the case: {answer['error']}"]
    excused = difference_rows(case, version) | competing_rows(case)
    found: list[str] = []

    theirs = ownership([zones.from_json(raw) for raw in answer["current"] or ()])
    ours = ownership(registry.read(case.zone, case.settings,
                                   mapped_types=mapped_types(version)).endpoints)
    for key in sorted(set(ours) | set(theirs)):
        if row(key) not in excused and ours.get(key) != theirs.get(key):
            found.append(f"reading {key}: dnsgate {ours.get(key)}, ExternalDNS {theirs.get(key)}")

    ours_applied = zones.apply(case.zone, zones.dnsgate_groups(case))
    theirs_applied = zones.apply(case.zone, zones.oracle_groups(answer))
    excused |= refused_rows(theirs_applied, case) | colliding_rows(ours_applied, case)
    excused |= hijacked_rows(answer, case)
    excused |= ambiguous_rows([*ours_applied.zone.values(), *theirs_applied.zone.values()], case)
    for applied in (ours_applied, theirs_applied):
        excused |= alias_txt_rows(applied.zone.values(), case, version)
        excused |= contested_rows(applied.zone.values(), case, version)
    ours_final = {k: r for k, r in ours_applied.zone.items()
                  if r.record_type in endpoint.MANAGED_TYPES}
    theirs_final = {k: r for k, r in theirs_applied.zone.items()
                    if r.record_type in endpoint.MANAGED_TYPES}
    ours_owner = owners(ours_applied.zone.values(), case)
    theirs_owner = owners(theirs_applied.zone.values(), case)
    for key in sorted(set(ours_final) | set(theirs_final)):
        if row(key) in excused:
            continue
        if ours_final.get(key) != theirs_final.get(key):
            found.append(f"outcome {key}: dnsgate {describe(ours_final.get(key))}, "
                         f"ExternalDNS {describe(theirs_final.get(key))}")
        elif ours_owner.get(key) != theirs_owner.get(key):
            found.append(f"owner of {key}: dnsgate {ours_owner.get(key)}, "
                         f"ExternalDNS {theirs_owner.get(key)}")
    if found:
        found += [f"  dnsgate refused: {r.reason}" for r in ours_applied.refused]
        found += [f"  ExternalDNS refused: {r.reason}" for r in theirs_applied.refused]
    return found


def owners(records: object, case: Case) -> dict[Key, str | None]:
    view = registry.read(list(records), case.settings)  # type: ignore[call-overload]
    return {r.key: r.label(endpoint.OWNER) for r in view.endpoints}


def describe(record: Endpoint | None) -> str:
    if record is None:
        return "absent"
    return f"{','.join(record.targets)} ttl {record.ttl} {dict(record.properties)}"


def explain(case: Case) -> str:
    lines = [f"settings: {case.settings}", f"policy: {case.policy}", "zone:"]
    lines += [f"  {r.describe()} {r.targets} ttl={r.ttl} {dict(r.properties)}" for r in case.zone]
    lines += [f"claimant: {c['metadata']['namespace']}/{c['metadata']['name']} "
              f"{c['metadata']['creationTimestamp']} {c['metadata']['annotations']}"
              for c in case.claimants]
    lines += ["desired:"]
    lines += [f"  {r.describe()} {r.targets} ttl={r.ttl} {dict(r.labels)}" for r in case.desired]
    return "\n".join(lines)


def compare(external_dns: oracle.Oracle, case: Case) -> None:
    answer = external_dns.ask(zones.request(case))

    found = differences(case, answer, external_dns.version)

    assert not found, f"ExternalDNS {external_dns.version}:\n" + "\n".join(found) + (
        "\n" + explain(case))


@pytest.mark.timeout(1800)  # thousands of examples, on a busy 2-core machine
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=zones.cases())
def test_dnsgate_decides_as_external_dns(external_dns: oracle.Oracle, case: Case) -> None:
    compare(external_dns, case)


@pytest.mark.timeout(1800)
@settings(max_examples=EXAMPLES // 2, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=claimants.cases())
@example(case=claimants.story("blue"))
@example(case=claimants.story(None))
def test_the_current_owner_of_a_record_set_keeps_it_as_in_external_dns(
        external_dns: oracle.Oracle, case: Case) -> None:
    """Services whose set identifiers move onto rows others hold, drop them, add them: the
    row stays with the Service its TXT names, in dnsgate as in ExternalDNS."""
    compare(external_dns, case)
