"""Generated zones, desired record sets and registry settings for the property tests, and a
model of how Route53 applies changes.

Zones are built to hit what confuses an ownership reader: names that begin with a type and a
dash (`a-team`, `aaaa-team`, `cname-team`, `a-a-team`, `mx-team`), wildcards and a record
named like the wildcard replacement, TXT records of both formats, of another owner, with no
owner (ordinary TXT) and at names that only look like ownership names, set identifiers,
Route53 alias records (their TXT under `cname-` or `a-`), and every kind of prefix and
suffix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from dnsgate.domains import DomainFilter
from reconciler import endpoint, registry, source
from reconciler.endpoint import Endpoint, Key
from reconciler.settings import RegistrySettings, SourceSettings

ZONE = "goldentooth.net"
ME, OTHER = "me", "someone-else"
AES_KEY = b"0123456789abcdef0123456789abcdef"  # 32 characters: v0.14 takes no base64 form
FIRST_LABELS = ("team", "a-team", "aaaa-team", "cname-team", "a-a-team", "mx-team", "wild",
                "*", "a", "www")
AFFIXES = (("", ""), ("txt-", ""), ("_own.", ""), ("%{record_type}-", ""),
           ("%{record_type}.", ""), ("", "-own"), ("", "-%{record_type}"))
TARGETS = {endpoint.A: ("10.4.11.1", "10.4.11.2"),
           endpoint.AAAA: ("2001:db8::1", "2001:db8::2"),
           endpoint.CNAME: ("lb1.example.org", "lb2.example.org")}
# TXT names that are ownership names only under some affix, or look like one
LOOK_ALIKE_TXTS = ("a-a-team", "txt-a-team", "txt-team", "_own.a-team", "_own.team", "team-own",
                   "a-team-own", "a.team", "aaaa.team", "team-a", "cname-team-own", "a-wild",
                   "a-*", "mx-team", "a-mx-team", "txt-txt-team", "-team")
ELBS = ("k8s-web-1.us-east-1.elb.amazonaws.com", "web-2.elb.eu-west-1.amazonaws.com")
RESOURCES = ("service/web/team", "service/web/www", "service/other/team")
POLICIES = ("sync", "upsert-only", "create-only")


@dataclass(frozen=True)
class Case:
    zone: tuple[Endpoint, ...]
    desired: tuple[Endpoint, ...]
    """What the sources ask for: every candidate, as ExternalDNS's plan is given them."""
    settings: RegistrySettings
    policy: str
    claimants: tuple[dict[str, Any], ...] = ()
    """The Services `desired` comes from (tests/reconcile/claimants.py), when generated as
    Services: dnsgate then settles their claims (`source.desired`) before its plan."""


# Strategies are built once: hypothesis validates each new strategy object it draws from,
# which would cost more than the test itself.
names = st.sampled_from([f"{first}.{ZONE}" for first in FIRST_LABELS])
kinds = st.sampled_from(endpoint.MANAGED_TYPES)
set_ids = st.sampled_from(("", "", "blue", "green"))
weights = st.sampled_from(("10", "20"))
ttls = st.sampled_from((60, 300))
resources = st.sampled_from(RESOURCES)
target_lists = {kind: st.lists(st.sampled_from(TARGETS[kind]), min_size=1,
                               max_size=1 if kind == endpoint.CNAME else 2, unique=True)
                for kind in endpoint.MANAGED_TYPES}
affixes = st.sampled_from(AFFIXES)
# "Wild": refused at start, but the registry must stay safe with it (ExternalDNS writes the
# TXT name lower-cased and looks the wildcard up as given).
replacements = st.sampled_from(("", "wild", "Wild"))
owners = st.sampled_from((ME, ME, OTHER, None))
ordinary_values = st.sampled_from(('"v=spf1 -all"', '"heritage=other,external-dns/owner=me"'))
formats = st.sampled_from(("none", "new", "new", "old", "both"))
stray_txts = st.lists(st.tuples(st.sampled_from(FIRST_LABELS), st.sampled_from(("A", "AAAA", ""))),
                      max_size=3)
look_alikes = st.lists(st.tuples(st.sampled_from(LOOK_ALIKE_TXTS), st.sampled_from(("", "blue"))),
                       max_size=2)
policies = st.sampled_from(POLICIES)


aliases = st.sampled_from((False, False, False, True))
alias_kinds = st.sampled_from((endpoint.A, endpoint.A, endpoint.AAAA))
alias_targets = st.sampled_from(ELBS)
target_health = st.sampled_from(("true", "false"))


@st.composite
def records(draw: st.DrawFn, *, resource: bool = False) -> Endpoint:
    """A record set; one in four is a Route53 alias (A, or AAAA) to a load balancer, with
    the properties and TTL ExternalDNS gives an alias (docs/route53-alias.md)."""
    aliased = draw(aliases)
    kind = draw(alias_kinds if aliased else kinds)
    set_id = draw(set_ids)
    properties = {endpoint.WEIGHT: draw(weights)} if set_id else {}
    labels = {endpoint.RESOURCE: draw(resources)} if resource else {}
    if aliased:
        properties |= {endpoint.ALIAS: "true",
                       endpoint.EVALUATE_TARGET_HEALTH: draw(target_health)}
        return endpoint.make(draw(names), kind, [draw(alias_targets)], ttl=300,
                             set_identifier=set_id, properties=properties, labels=labels)
    return endpoint.make(draw(names), kind, draw(target_lists[kind]), ttl=draw(ttls),
                         set_identifier=set_id, properties=properties, labels=labels)


zone_records = st.lists(records(), max_size=5)
desired_records = st.lists(records(resource=True), max_size=5)


@st.composite
def settings(draw: st.DrawFn) -> RegistrySettings:
    prefix, suffix = draw(affixes)
    return RegistrySettings(
        owner_id=ME, prefix=prefix, suffix=suffix, wildcard_replacement=draw(replacements),
        aes_key=AES_KEY if draw(st.integers(0, 9)) == 0 else None)


def txt_value(draw: st.DrawFn, settings: RegistrySettings) -> str:
    owner = draw(owners)
    if owner is None:
        return draw(ordinary_values)
    labels = {endpoint.OWNER: owner, endpoint.RESOURCE: draw(resources)}
    sealed = settings.aes_key is not None and draw(st.booleans())
    return registry.encode(labels, settings.aes_key if sealed else None)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    chosen = draw(settings())
    zone: dict[Key, Endpoint] = {}
    for record in draw(zone_records):
        zone[record.key] = record
        # ExternalDNS up to v0.21 names an A alias's TXT for CNAME, v0.22+ for A.
        kind = draw(st.sampled_from((endpoint.CNAME, endpoint.A))) if (
            record.alias and record.record_type == endpoint.A) else record.record_type
        new = registry.txt_name(record.dnsname, kind, chosen)
        old = registry.txt_name(record.dnsname, "", chosen, new_format=False)
        txt_names = {"new": [new], "old": [old], "both": [new, old], "none": []}[draw(formats)]
        for name in txt_names:
            txt = ownership_txt(name, txt_value(draw, chosen), record)
            zone[txt.key] = txt
    # TXTs at names that look like ownership names of names nobody has
    for first, kind in draw(stray_txts):
        name = registry.txt_name(f"{first}.{ZONE}", kind, chosen, new_format=bool(kind))
        txt = endpoint.make(name, endpoint.TXT, [txt_value(draw, chosen)])
        zone.setdefault(txt.key, txt)
    for first, set_id in draw(look_alikes):
        txt = endpoint.make(f"{first}.{ZONE}", endpoint.TXT, [txt_value(draw, chosen)],
                            set_identifier=set_id)
        zone.setdefault(txt.key, txt)
    # A valid zone: a CNAME holds its name alone (Route53 refuses anything beside it).
    cnames = {name for name, kind, _ in zone if kind == endpoint.CNAME}
    zone = {key: r for key, r in zone.items() if key[0] not in cnames or key[1] == endpoint.CNAME}
    desired: dict[Key, Endpoint] = {}
    for record in draw(desired_records):
        desired.setdefault(record.key, record)
    return Case(tuple(zone.values()), tuple(desired.values()), chosen, draw(policies))


def ownership_txt(name: str, value: str, record: Endpoint) -> Endpoint:
    """A TXT as ExternalDNS writes it: the record's set identifier and routing, TTL 300 (an
    alias's properties have no Route53 field on a TXT, so a listing shows none)."""
    return endpoint.make(name, endpoint.TXT, [value], set_identifier=record.set_identifier,
                         properties=dict(endpoint.txt_properties(record.properties)))


# ---- dnsgate's answer --------------------------------------------------------------------

Action = tuple[str, Endpoint]


def dnsgate_groups(case: Case, *, mapped_types: Sequence[str] | None = None
                   ) -> list[list[Action]]:
    """The change groups dnsgate's registry and plan produce for a case."""
    from reconciler import plan

    view = registry.read(case.zone, case.settings)
    desired = case.desired
    if case.claimants:
        holders = source.holders(view.endpoints, ME)
        desired = source.desired(case.claimants, SourceSettings(DomainFilter.of([ZONE])),
                                 naming=case.settings, holders=holders).endpoints
    planned = plan.calculate(view.endpoints, desired, policy=case.policy, owner_id=ME,
                             sharing=lambda r: registry.sharing(view, r, case.settings))
    return [[(c.action, c.record) for c in g.changes]
            for g in registry.changes(planned, view, case.settings)]


# ---- Route53 -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Refusal:
    reason: str
    record: Endpoint
    """The change Route53 refused."""
    group: list[Action]


@dataclass(frozen=True)
class Applied:
    zone: dict[Key, Endpoint]
    refused: tuple[Refusal, ...]
    """Groups Route53 refused, each with the first change it refused."""


def apply(zone: Iterable[Endpoint], groups: Iterable[list[Action]]) -> Applied:
    """Each group as one ChangeResourceRecordSets call: all of it lands or none of it. A
    CREATE of an existing set, a DELETE that does not match the set exactly, a CNAME sharing
    its name with another type (RFC 1034 3.6.2), and a simple set beside weighted ones of its
    name and type are refused."""
    state = {record.key: _bare(record) for record in zone}
    refused: list[Refusal] = []
    for group in groups:
        trial = dict(state)
        for action, record in group:
            bare = _bare(record)
            if action == "CREATE" and bare.key in trial:
                refused.append(Refusal(f"CREATE of existing {bare.describe()}", bare, group))
                break
            if action == "DELETE" and trial.get(bare.key) != bare:
                what = "different" if bare.key in trial else "absent"
                refused.append(Refusal(f"DELETE of {what} {bare.describe()}", bare, group))
                break
            if action == "DELETE":
                del trial[bare.key]
                continue
            trial[bare.key] = bare
            if _cname_conflict(trial, bare):
                refused.append(Refusal(f"{action} of {bare.describe()} beside a CNAME", bare,
                                       group))
                break
            if _mixed_routing(trial, bare):
                refused.append(Refusal(f"{action} of {bare.describe()} mixing routing policies",
                                       bare, group))
                break
        else:
            state = trial
    return Applied(state, tuple(refused))


def _cname_conflict(zone: dict[Key, Endpoint], written: Endpoint) -> bool:
    kinds = {kind for name, kind, _ in zone if name == written.dnsname}
    return endpoint.CNAME in kinds and len(kinds) > 1


def _mixed_routing(zone: dict[Key, Endpoint], written: Endpoint) -> bool:
    simple = {bool(set_id) for name, kind, set_id in zone
              if (name, kind) == (written.dnsname, written.record_type)}
    return len(simple) > 1


def _bare(record: Endpoint) -> Endpoint:
    return replace(record, labels=())


# ---- ExternalDNS's answer, as Route53 changes ----------------------------------------------

def request(case: Case) -> dict[str, Any]:
    return {
        "zone": [_json(r) for r in case.zone],
        "desired": [{**_json(r), "resource": r.label(endpoint.RESOURCE) or ""}
                    for r in case.desired],
        "registry": {
            "owner_id": case.settings.owner_id, "prefix": case.settings.prefix,
            "suffix": case.settings.suffix,
            "wildcard_replacement": case.settings.wildcard_replacement,
            "encrypt_enabled": case.settings.aes_key is not None,
            "aes_key": case.settings.aes_key.decode() if case.settings.aes_key else "",
        },
        "policy": case.policy,
    }


def _json(record: Endpoint) -> dict[str, Any]:
    return {"name": record.dnsname, "type": record.record_type, "targets": list(record.targets),
            "ttl": record.ttl, "set_identifier": record.set_identifier,
            "properties": dict(record.properties)}


def oracle_groups(answer: dict[str, Any]) -> list[list[Action]]:
    """ExternalDNS's changes as its AWS provider sends them: creates as CREATE, new halves
    of updates as UPSERT, deletes as DELETE, grouped by the record each belongs to (a TXT by
    its `ownedRecord` label), as the provider retries a refused batch name by name."""
    groups: dict[str, list[Action]] = {}
    for field, action in (("delete", "DELETE"), ("create", "CREATE"),
                          ("update_new", "UPSERT")):
        for raw in answer.get(field) or ():
            labels = raw.get("labels") or {}
            owner_of = labels.get("ownedRecord") or raw["name"]
            groups.setdefault(owner_of, []).append((action, from_json(raw)))
    return [groups[name] for name in sorted(groups)]


def from_json(raw: dict[str, Any]) -> Endpoint:
    """A record of the oracle's answer as Route53 would hold it: its AWS properties (an
    alias's only on A and AAAA: a TXT carries no alias field)."""
    properties = {k: v for k, v in (raw.get("properties") or {}).items()
                  if k.startswith("aws/") or k == endpoint.ALIAS}
    if raw["type"] not in (endpoint.A, endpoint.AAAA) or properties.get(endpoint.ALIAS) != "true":
        properties = dict(endpoint.txt_properties(tuple(properties.items())))
    labels = {k: v for k, v in (raw.get("labels") or {}).items()
              if k in (endpoint.OWNER, endpoint.RESOURCE)}
    # Route53 stores a record set written without a TTL as 300 s.
    return endpoint.make(raw["name"], raw["type"], raw["targets"], ttl=raw.get("ttl") or None,
                         set_identifier=raw.get("set_identifier"), properties=properties,
                         labels=labels)
