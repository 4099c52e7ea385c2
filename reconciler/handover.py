"""A deliberate owner hand-over: `dnsgate reconcile --once --migrate-from-txt-owner=OLD`
takes the records another owner id holds for objects of this cluster, and nothing else
(docs/owners.md, "Hand-over").

ExternalDNS v0.20+ does this with the same flag by relabelling every record whose TXT names
OLD as its own when it reads the zone. Its plan then deletes each such record no source here
wants: the records OLD's own cluster still serves (ExternalDNS issue 5993). And its Route53
provider drops an update whose record is unchanged, so a record whose owner alone should
change keeps OLD's TXT (issue 6671). dnsgate decides record by record (`decide`):

| owner in TXT | within --domain-filter | its resource here asks for this record set | result  |
|--------------|------------------------|-------------------------------------------|---------|
| not OLD      | -                      | -                                         | ignored |
| OLD          | no                     | -                                         | left    |
| OLD          | yes                    | no (absent here, or asks for another)     | left    |
| OLD          | yes                    | yes, but a TXT it shares owns a left one  | left    |
| OLD          | yes                    | yes                                       | taken   |

A taken record's change group (`changes`) rewrites its ownership even when nothing else
changes, under the conditional writes of every dnsgate change (docs/route53.md): the DELETE
of the record exactly as listed and its CREATE as it was, the DELETE of each of OLD's TXTs
it was read through, with the exact value listed, and the CREATE of dnsgate's TXT naming this
owner id and the resource. If OLD changed the record or a TXT since it was read, Route53
refuses the group and nothing of it lands. Targets that differ from what the object asks for
are left to the ordinary sync that follows, which now owns the record.

`run` reads every zone once, prints the table of decisions, and applies the taken groups
unless --dry-run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TextIO

from dnsgate.domains import DomainFilter
from reconciler import endpoint, registry, source
from reconciler.endpoint import Endpoint, Key
from reconciler.registry import Change, ChangeGroup, View
from reconciler.settings import RegistrySettings

if TYPE_CHECKING:
    from reconciler.controller import Controller

TAKE, LEAVE = "take", "leave"
HEADER = ("HAND-OVER", "NAME", "TYPE", "RESOURCE", "WHY")


@dataclass(frozen=True)
class Decision:
    record: Endpoint
    """As read, labelled with OLD's ownership."""
    action: str
    why: str
    wanted: Endpoint | None = None
    """What the object asks for at this record set (taken records only)."""


def decide(view: View, wanted: Iterable[Endpoint], *, old_owner: str, domains: DomainFilter,
           present: Callable[[str], bool], settings: RegistrySettings) -> tuple[Decision, ...]:
    """One decision per record set of the zone whose ownership names `old_owner`.
    `wanted`: what the objects here ask for, each labelled with its resource; `present`:
    whether an object of that key ("service/ns/name") is in this cluster."""
    by_key = {record.key: record for record in wanted}
    decisions: dict[Key, Decision] = {}
    for record in view.endpoints:
        if record.label(endpoint.OWNER) != old_owner:
            continue
        decisions[record.key] = _decide(record, by_key.get(record.key), domains, present)
    # A TXT deleted for a taken record must own no record left behind: it would lose its
    # owner. Leaving one record can strand another's TXT, so settle until nothing changes.
    changed = True
    while changed:
        changed = False
        for key, decision in decisions.items():
            if decision.action != TAKE:
                continue
            stranded = _stranded(decision.record, view, decisions, old_owner, settings)
            if stranded is not None:
                decisions[key] = replace(decision, action=LEAVE, wanted=None, why=(
                    f"an ownership TXT it is read through also owns {stranded.describe()}, "
                    "which is left"))
                changed = True
    return tuple(decisions[key] for key in sorted(decisions))


def _decide(record: Endpoint, wanted: Endpoint | None, domains: DomainFilter,
            present: Callable[[str], bool]) -> Decision:
    resource = record.label(endpoint.RESOURCE) or ""
    if not domains.matches(record.dnsname):
        return Decision(record, LEAVE, "outside --domain-filter")
    if wanted is not None and wanted.label(endpoint.RESOURCE) == resource:
        then = "" if wanted.same_record(record) else "; the sync then updates it"
        return Decision(record, TAKE, f"{resource} asks for it here{then}", wanted)
    if not resource:
        return Decision(record, LEAVE, "its TXT names no resource")
    if not present(resource):
        return Decision(record, LEAVE, f"{resource} is not in this cluster")
    if wanted is not None:
        return Decision(record, LEAVE,
                        f"{wanted.label(endpoint.RESOURCE)} holds this record set here")
    return Decision(record, LEAVE, f"{resource} does not ask for this record set here")


def _stranded(record: Endpoint, view: View, decisions: Mapping[Key, Decision],
              old_owner: str, settings: RegistrySettings) -> Endpoint | None:
    names = registry.mapper(settings)
    for txt in _old_txts(record, view, old_owner, settings):
        stands_for = names.record_of(txt.dnsname)
        if stands_for is None:
            continue
        for other in view.readers.get((*stands_for, txt.set_identifier), ()):
            found = decisions.get(other.key)
            if found is None or found.action != TAKE:
                return other
    return None


def _old_txts(record: Endpoint, view: View, old_owner: str,
              settings: RegistrySettings) -> tuple[Endpoint, ...]:
    """The TXTs `record` was read through that name `old_owner`."""
    found = view.ownership.get(record.key, registry.Ownership())
    return registry.owned_txts(found, replace(settings, owner_id=old_owner))


def changes(decisions: Sequence[Decision], view: View, *, old_owner: str,
            settings: RegistrySettings) -> tuple[ChangeGroup, ...]:
    """One group per name: the taken records there, guarded and re-owned (module doc)."""
    by_name: dict[str, list[Change]] = {}
    resources: dict[str, str] = {}
    deleted: set[Key] = set()
    for decision in decisions:
        if decision.action != TAKE or decision.wanted is None:
            continue
        record = decision.record
        resource = decision.wanted.label(endpoint.RESOURCE) or ""
        ours = replace(record, labels=endpoint.pairs({endpoint.OWNER: settings.owner_id,
                                                      endpoint.RESOURCE: resource}))
        old_txts = _old_txts(record, view, old_owner, settings)
        txts = tuple(Change("DELETE", t) for t in old_txts if t.key not in deleted)
        deleted.update(change.record.key for change in txts)
        group = by_name.setdefault(record.dnsname, [])
        # An alias keeps its `cname-` or `a-` name, so the release that wrote it plans
        # nothing afterwards (docs/route53-alias.md, "Which TXT name an alias gets").
        group += [Change("DELETE", record), *txts, Change("CREATE", record),
                  *(Change("CREATE", registry.ownership_record(ours, settings, kind=kind))
                    for kind in registry.kept_txt_types(record, old_txts, settings))]
        resources.setdefault(record.dnsname, resource)
    # Every DELETE before any CREATE: Route53 applies a batch in order.
    return tuple(ChangeGroup(resources[name], name, (
        *(c for c in group if c.action == "DELETE"), *(c for c in group if c.action == "CREATE")))
                 for name, group in sorted(by_name.items()))


def render(decisions: Sequence[Decision], old_owner: str, owner_id: str, *,
           dry_run: bool) -> str:
    """The table a person reviews before the hand-over is applied."""
    rows = [HEADER] + [(d.action.upper(), d.record.dnsname, _kind(d.record),
                        d.record.label(endpoint.RESOURCE) or "-", d.why) for d in decisions]
    if len(rows) == 1:
        return f'No record set in the zone is owned by "{old_owner}".\n'
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    taken = sum(d.action == TAKE for d in decisions)
    end = "dry run, nothing sent" if dry_run else "sending"
    return "\n".join(lines) + (f'\n{taken} of {len(decisions)} record set(s) owned by '
                               f'"{old_owner}" to be owned by "{owner_id}"; {end}.\n')


def _kind(record: Endpoint) -> str:
    return record.record_type + (" alias" if record.alias else "") + (
        f" [{record.set_identifier}]" if record.set_identifier else "")


def run(controller: Controller, old_owner: str, out: TextIO) -> bool:
    """Read every zone, print each zone's hand-over table, apply the taken groups (unless
    --dry-run). True when every group landed (or nothing was to be sent)."""
    settings = controller.registry_settings
    zones = controller.zones
    zones.refresh()
    views = {zone.id: registry.read(zones.records(zone), settings) for zone in zones.zones}
    read = [e for view in views.values() for e in view.endpoints]
    # The object OLD's TXT names keeps a contested record set, as ours would.
    holders = {**source.holders(read, old_owner), **source.holders(read, settings.owner_id)}
    controller.desired.reset(controller.services.snapshot(), holders)
    wanted = zones.split(controller.desired.whole().endpoints)
    ok = True
    dry_run = controller.settings.dry_run
    for zone in zones.zones:
        view = views[zone.id]
        decisions = decide(view, wanted.get(zone.id, []), old_owner=old_owner,
                           domains=controller.source_settings.domains,
                           present=lambda key: controller.services.get(key) is not None,
                           settings=settings)
        out.write(f"zone {zone.name} ({zone.id}):\n")
        out.write(render(decisions, old_owner, settings.owner_id, dry_run=dry_run))
        groups = changes(decisions, view, old_owner=old_owner, settings=settings)
        if dry_run or not groups:
            continue
        applied = zones.apply(zone, groups, controller.stop)
        for failure in applied.failed:
            out.write(f"not taken: {failure.group.dnsname} ({failure.group.resource}): "
                      f"{failure.message}\n")
        ok = ok and not applied.failed
    return ok
