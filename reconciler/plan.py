"""The plan: what to change in one zone, decided from what is there and what is wanted.

Pure: no boto3, no kubernetes, no clock. Record sets are compared per (name, SetIdentifier)
and then per type, as ExternalDNS's plan does (docs/externaldns-txt-registry.md). `current`
carries the registry's labels (`owner`, `resource`, `txt-missing`); `desired` carries
`resource`. Where a (name, SetIdentifier) is wanted as CNAME and as another type, the CNAME
is dropped (a CNAME cannot share its name; ExternalDNS keeps the A/AAAA too).

Decision table, for one desired record set D and the current set C of the same key:

| C exists? | ours? | differs? | sync / upsert-only        | create-only | sent as (`registry`)   |
|-----------|-------|----------|---------------------------|-------------|------------------------|
| no        | -     | -        | create (*)                | create (*)  | CREATE set + TXT       |
| yes       | yes   | no       | nothing (idempotent)      | nothing     | -                      |
| yes       | yes   | yes      | update                    | nothing     | DELETE old set + TXT,  |
|           |       |          |                           |             | CREATE new set + TXT   |
| yes       | no    | -        | skip, reported            | skip        | -                      |

(*) only when no record of any type is at the (name, SetIdentifier), or every one there is
ours, and no record at another name could be owned through its TXT (`sharing`: a wildcard
and a record named like the TXT wildcard replacement); otherwise skipped and reported
("differs" also covers a changed `resource` label).
Records at the name with another SetIdentifier do not block: weighted sets of several owners
share a name (Route53 itself refuses a set that mixes routing policies).

"Exists" and "ours" are what dnsgate last read, which may be stale (the zone cache lives an
`--interval`). So nothing is sent as an UPSERT: each DELETE names the set exactly as read and
each CREATE fails on a set that exists, and Route53 refuses the whole group if the zone moved
(docs/route53.md, "Conditional writes"). The controller then re-reads those names and plans
them again with this same table: a name another owner took is skipped and reported.

A current set we own that no Service wants is deleted under `sync` only. A record we own
whose new-format TXT is missing (owned through an old-format TXT) gets its TXT re-created.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from reconciler.endpoint import CNAME, OWNER, RESOURCE, Endpoint, Key

TXT_MISSING = "txt-missing"


@dataclass(frozen=True)
class Update:
    old: Endpoint
    new: Endpoint


@dataclass(frozen=True)
class Skip:
    """A desired record set left alone, and why (for the Service's report)."""

    endpoint: Endpoint
    reason: str


@dataclass(frozen=True)
class Plan:
    creates: tuple[Endpoint, ...] = ()
    updates: tuple[Update, ...] = ()
    deletes: tuple[Endpoint, ...] = ()
    repairs: tuple[Endpoint, ...] = ()
    skipped: tuple[Skip, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.creates or self.updates or self.deletes or self.repairs)


def calculate(
    current: Iterable[Endpoint],
    desired: Iterable[Endpoint],
    *,
    policy: str,
    owner_id: str,
    sharing: Callable[[Endpoint], Sequence[Endpoint]] = lambda _: (),
    foreign: Callable[[Endpoint], Endpoint | None] = lambda _: None,
) -> Plan:
    """Creates, updates, deletes and TXT repairs that bring `current` to `desired`.
    `sharing(record)`: the records at other names its ownership TXT could own too
    (`registry.sharing`). `foreign(record)`: another owner's ownership TXT the record would
    be read through once written (`registry.foreign_txt`): it is then not written."""
    have = {record.key: record for record in current}
    at_row: dict[tuple[str, str], list[Endpoint]] = defaultdict(list)
    for record in have.values():
        at_row[(record.dnsname, record.set_identifier)].append(record)
    want: dict[Key, Endpoint] = {}
    for record in desired:
        want.setdefault(record.key, record.with_labels(**{OWNER: owner_id}))
    want = _without_conflicting_cnames(want)

    creates: list[Endpoint] = []
    updates: list[Update] = []
    repairs: list[Endpoint] = []
    skipped: list[Skip] = []
    for key, wanted in sorted(want.items()):
        existing = have.get(key)
        if existing is None:
            blockers = [r for r in at_row[(wanted.dnsname, wanted.set_identifier)]
                        if r.label(OWNER) != owner_id]
            shared = sharing(wanted)
            if blockers:
                skipped.append(Skip(wanted, _taken(blockers[0])))
            elif shared:
                skipped.append(Skip(wanted, _shares_txt(wanted, shared[0])))
            elif (held := foreign(wanted)) is not None:
                skipped.append(Skip(wanted, _foreign(wanted, held)))
            else:
                creates.append(wanted)
            continue
        if existing.label(OWNER) != owner_id:
            skipped.append(Skip(wanted, _taken(existing)))
            continue
        changed = (not existing.same_record(wanted)
                   or existing.label(RESOURCE) != wanted.label(RESOURCE))
        if changed and policy != "create-only":
            # A plain A turning into an alias is read through more TXTs than before.
            if (held := foreign(wanted)) is not None:
                skipped.append(Skip(wanted, _foreign(wanted, held)))
            else:
                updates.append(Update(existing, wanted))
        elif existing.label(TXT_MISSING):
            repairs.append(existing.with_labels(**{TXT_MISSING: ""}))

    deletes: list[Endpoint] = []
    if policy == "sync":
        deletes = [record for key, record in sorted(have.items())
                   if key not in want and record.label(OWNER) == owner_id]
    return Plan(tuple(creates), tuple(updates), tuple(deletes), tuple(repairs), tuple(skipped))


def _without_conflicting_cnames(want: dict[Key, Endpoint]) -> dict[Key, Endpoint]:
    """RFC 1034 3.6.2: a CNAME holds its name alone. Wanted together with another type at one
    (name, SetIdentifier), the CNAME gives way, as in ExternalDNS's conflict resolver."""
    types: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, kind, set_id in want:
        types[(name, set_id)].add(kind)
    return {key: record for key, record in want.items()
            if not (key[1] == CNAME and len(types[(key[0], key[2])]) > 1)}


def _shares_txt(wanted: Endpoint, other: Endpoint) -> str:
    return (f"{other.describe()} ({', '.join(other.targets)}) could be owned through the same "
            f"ownership TXT record as {wanted.describe()} (--txt-wildcard-replacement names "
            "it); dnsgate creates neither beside the other")


def _foreign(wanted: Endpoint, txt: Endpoint) -> str:
    return (f"the ownership TXT record {txt.dnsname} ({txt.targets[0]}) is not ours, and "
            f"ExternalDNS releases read it for the alias {wanted.describe()}: written beside "
            "it, the alias would be nobody's; dnsgate leaves the name alone until that TXT "
            "is removed or handed over")


def _taken(record: Endpoint) -> str:
    owner = record.label(OWNER)
    what = f"{record.describe()} ({', '.join(record.targets)})"
    if owner is None:
        return f"{what} exists without an ownership TXT record; dnsgate leaves it untouched"
    return f'{what} is owned by "{owner}"; dnsgate leaves it untouched'
