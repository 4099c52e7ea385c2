"""Another writer in the zone while dnsgate works: generated out-of-band writes, and dnsgate's
sync stepped through with those writes landing between any two of its steps.

dnsgate reads the zone (its cache), plans, and sends each change group as its own batch;
Route53 refuses a group whose DELETE no longer matches or whose CREATE finds a set
(`zones.apply`, the model of Route53). A refused group's names are read again through the
zone cache (`ZoneCache.reread`, as the controller does), planned again and sent once more.
The writer may act after the read, between any two batches, after the re-read: it takes a
name over (its record and TXT replaced by another owner's), rewrites or deletes any record
set, or creates another owner's record and TXT where none is, as the AWS console or
another cluster would; not where that TXT would own a record at another name too (a
wildcard's namesake, `namesakes_read`), which no condition on dnsgate's batches can see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from hypothesis import strategies as st

from reconciler import endpoint, plan, registry
from reconciler.endpoint import Endpoint, Key
from reconciler.route53 import Zone
from reconciler.zones import ZoneCache
from tests.reconcile import zones
from tests.reconcile.zones import Action, Case

ZONE = Zone("Z1", zones.ZONE, private=False)
KINDS = ("takeover", "rewrite", "remove", "add")
STEPS = 6  # the read, up to four batches, the re-read: writes drawn for later steps never land


@dataclass(frozen=True)
class Write:
    kind: str
    pick: int
    """Which record set, counted in the zone's sorted keys as they are when it lands."""
    step: int


writes = st.lists(st.builds(Write, st.sampled_from(KINDS), st.integers(0, 30),
                            st.integers(0, STEPS - 1)), max_size=3)


@dataclass(frozen=True)
class Batch:
    """One group dnsgate sent, and the zone just before and just after it."""

    group: list[Action]
    before: dict[Key, Endpoint]
    after: dict[Key, Endpoint]


def run(case: Case, planned_writes: Sequence[Write]) -> list[Batch]:
    """dnsgate's sync of `case` with the writes landing at their steps: every batch sent."""
    state = {r.key: bare(r) for r in case.zone}
    step = 0

    def tick() -> None:
        nonlocal state, step
        for write in planned_writes:
            if write.step == step:
                state = land(write, state, case)
        step += 1

    anchor, anchor_of = registry.anchors(case.settings)
    cache = ZoneCache(Listing(lambda: state), anchor)
    cache.refresh()  # the read
    tick()
    view = registry.read(cache.records(ZONE), case.settings)
    first = plan.calculate(view.endpoints, case.desired, policy=case.policy, owner_id=zones.ME,
                           sharing=lambda r: registry.sharing(view, r, case.settings))
    sent: list[Batch] = []
    refused: list[registry.ChangeGroup] = []
    for group in registry.changes(first, view, case.settings):
        if not send(group, state, sent):
            refused.append(group)
        state = sent[-1].after
        tick()
    if not refused:
        return sent
    cache.reread(ZONE, {n for g in refused for c in g.changes
                        for n in registry.names_read(c.record, case.settings)})
    tick()
    names = {g.dnsname for g in refused}
    view = registry.read(cache.at(ZONE, {anchor_of(n) for n in names}), case.settings)
    second = plan.calculate([e for e in view.endpoints if e.dnsname in names],
                            [e for e in case.desired if e.dnsname in names],
                            policy=case.policy, owner_id=zones.ME,
                            sharing=lambda r: registry.sharing(view, r, case.settings))
    for group in registry.changes(second, view, case.settings):
        send(group, state, sent)
        state = sent[-1].after
        tick()
    return sent


def send(group: registry.ChangeGroup, state: dict[Key, Endpoint], sent: list[Batch]) -> bool:
    """One ChangeResourceRecordSets call holding `group`; True when Route53 took it."""
    changes = [(c.action, c.record) for c in group.changes]
    applied = zones.apply(state.values(), [changes])
    sent.append(Batch(changes, state, applied.zone))
    return not applied.refused


class Listing:
    """What the zone cache needs of Route53, read from the model's zone as it is now."""

    def __init__(self, zone: Callable[[], dict[Key, Endpoint]]) -> None:
        self.zone = zone

    def zones(self) -> tuple[Zone, ...]:
        return (ZONE,)

    def records(self, zone: Zone) -> tuple[Endpoint, ...]:
        return tuple(self.zone().values())

    def records_at(self, zone: Zone, names: Iterable[str]) -> tuple[Endpoint, ...]:
        wanted = set(names)
        return tuple(r for r in self.zone().values() if r.dnsname in wanted)

    def apply(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("the model applies batches itself")


# ---- the other writer -----------------------------------------------------------------------

def land(write: Write, state: dict[Key, Endpoint], case: Case) -> dict[Key, Endpoint]:
    """The zone after `write`; unchanged where Route53 would refuse it (a CNAME beside
    another type at its name)."""
    before, state = state, dict(state)
    if write.kind == "add":
        wanted = sorted(case.desired, key=lambda r: r.key)
        if not wanted:
            return state
        record = bare(wanted[write.pick % len(wanted)])
        txt = their_txt(record, case)
        if record.key in state or txt.key in state:
            return state  # their CREATE batch fails whole
        if namesakes_read(record, txt, state, case):
            return state  # a TXT-name collision no condition can see: see namesakes_read
        state[record.key], state[txt.key] = record, txt
    else:
        keys = sorted(state)
        if not keys:
            return state
        key = keys[write.pick % len(keys)]
        there = state[key]
        if write.kind == "remove":
            del state[key]
        elif write.kind == "rewrite":
            state[key] = rewritten(there, case)
        else:  # takeover: their values, and their TXT where ours was
            state[key] = rewritten(there, case)
            if there.record_type != endpoint.TXT:
                txt = their_txt(there, case)
                state[txt.key] = txt
    return state if valid(state) else before


def rewritten(record: Endpoint, case: Case) -> Endpoint:
    """The set with another owner's values: a record's other targets (and TTL), an ownership
    TXT naming the other owner. An ordinary TXT stays ordinary: one turned into an ownership
    TXT at a name that maps to our record is a TXT-name collision, which no condition on
    the sets dnsgate writes can see (docs/route53.md, "Conditional writes")."""
    if record.record_type == endpoint.TXT:
        if len(record.targets) != 1 or registry.decode(record.targets[0],
                                                       case.settings.aes_key) is None:
            return replace(record, targets=('"v=spf1 ~all"',))
        return replace(record, targets=(registry.encode({endpoint.OWNER: zones.OTHER,
                                                         endpoint.RESOURCE: "service/x/y"}),))
    if record.alias:
        return replace(record, targets=tuple(t for t in zones.ELBS if t not in record.targets)
                       [:1] or record.targets)
    others = [t for t in zones.TARGETS[record.record_type] if t not in record.targets]
    return replace(record, targets=tuple(others[:1]) or record.targets, ttl=record.ttl + 1)


def their_txt(record: Endpoint, case: Case) -> Endpoint:
    """The new-format TXT another ExternalDNS writes for `record` (under type CNAME for an A
    alias, as releases up to v0.21 do)."""
    kind = registry.txt_type(record, case.settings)
    name = registry.txt_name(record.dnsname, kind, case.settings)
    value = registry.encode({endpoint.OWNER: zones.OTHER, endpoint.RESOURCE: "service/x/y"})
    return zones.ownership_txt(name, value, record)


def namesakes_read(record: Endpoint, txt: Endpoint, state: dict[Key, Endpoint],
                   case: Case) -> list[Endpoint]:
    """The records at another name than `record` that its new TXT `txt` would own too: with
    a wildcard replacement `W`, `*.<rest>` and `W.<rest>` look their TXTs up under one name
    (docs/externaldns-txt-registry.md, "Names two records share"), so creating one of them
    with its TXT makes every release read the other, untouched, as that owner's (`cname-W`
    for a CNAME `*` is the TXT of an alias `W` too). That is a TXT at another name starting
    to name our record: a write of sets dnsgate neither deletes nor creates, which no
    condition of a Route53 batch can see (docs/route53.md, "Conditional writes"), and which
    ExternalDNS's own next loop would read the same way; like an ordinary TXT turned into an
    ownership TXT (`rewritten`), the model leaves it out."""
    replacement = case.settings.wildcard_replacement.lower()

    def anchor(name: str) -> str:
        first, dot, rest = name.partition(".")
        return f"{replacement}{dot}{rest}" if first == "*" and replacement else name

    kind = registry.txt_type(record, case.settings)
    return [other for other in state.values()
            if other.dnsname != record.dnsname and anchor(other.dnsname) == anchor(record.dnsname)
            and other.set_identifier == txt.set_identifier
            and kind in ({other.record_type} | ({endpoint.CNAME, endpoint.A} if other.alias
                                                and other.record_type == endpoint.A else set()))]


def bare(record: Endpoint) -> Endpoint:
    return replace(record, labels=())


def valid(state: dict[Key, Endpoint]) -> bool:
    types: dict[str, set[str]] = {}
    for name, kind, _ in state:
        types.setdefault(name, set()).add(kind)
    return all(endpoint.CNAME not in kinds or len(kinds) == 1 for kinds in types.values())
