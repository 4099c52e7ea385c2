"""Generated Services whose set identifiers move between them, for the property tests: the
cases where "who holds a name" and "who holds a record set" part.

A case is two generations of a few Services asking for a few names of one zone. The first
generation is published as dnsgate publishes it (its claims settled, its plan applied to an
empty zone), which gives every row an owner its TXT names. In the second, a Service may
move its set identifier to one another Service holds, drop it, add one, keep it, or take
another name; the zone is then what the sources' records must be reconciled with. The
desired records are every second-generation Service's, unsettled: ExternalDNS's plan is
given all of them and resolves each row itself; dnsgate settles the claims first
(`zones.dnsgate_groups`).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from dnsgate.domains import DomainFilter
from reconciler import source
from reconciler.endpoint import Endpoint
from reconciler.settings import RegistrySettings, SourceSettings
from tests.reconcile import zones
from tests.reconcile.zones import ZONE, Case

A = "external-dns.alpha.kubernetes.io/"
SERVICES = (("team-a", "web"), ("team-b", "web"), ("team-c", "api"))
NAMES = tuple(f"{first}.{ZONE}" for first in ("www", "team", "a-team"))
SET_IDS = (None, "blue", "green")
TARGETS = (["10.4.11.1"], ["10.4.11.2"], ["2001:db8::1"], ["lb1.example.org"])
CREATED = ("2020-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
SETTINGS = SourceSettings(DomainFilter.of([ZONE]))


def service(namespace: str, name: str, created: str, names: list[str],
            set_identifier: str | None, weight: str, targets: list[str]) -> dict[str, Any]:
    """A LoadBalancer Service as the watch cache keeps it."""
    notes = {A + "hostname": ",".join(names), A + "target": ",".join(targets),
             A + "ttl": "300"}
    if set_identifier is not None:
        notes |= {A + "set-identifier": set_identifier, A + "aws-weight": weight}
    return {"metadata": {"namespace": namespace, "name": name, "creationTimestamp": created,
                         "annotations": notes},
            "spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {}}}


@st.composite
def generations(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Services before and after. Each keeps its creation time and its targets (its
    record type); its names and set identifier may move, mostly onto another's."""
    created = draw(st.permutations(CREATED))
    before: list[tuple[str, str, list[str], str | None, list[str]]] = []
    for namespace, name in SERVICES:
        names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True))
        before.append((namespace, name, names, draw(st.sampled_from(SET_IDS)),
                       draw(st.sampled_from(TARGETS))))
    held = [set_id for *_, set_id, _ in before]
    after_set_ids = st.sampled_from([*SET_IDS, *held, *held])  # others' more often
    first, second = [], []
    for (namespace, name, names, set_id, targets), when in zip(before, created, strict=True):
        first.append(service(namespace, name, when, names, set_id, "10", targets))
        if draw(st.integers(0, 5)) == 0:
            continue  # deleted
        if draw(st.booleans()):
            names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True))
        moved = draw(after_set_ids) if draw(st.integers(0, 3)) else set_id
        second.append(service(namespace, name, when, names, moved,
                              draw(st.sampled_from(("10", "100"))), targets))
    return first, second


def published(services: list[dict[str, Any]], case: Case) -> tuple[Endpoint, ...]:
    """The zone dnsgate leaves after publishing `services` into an empty zone."""
    desired = source.desired(services, SETTINGS, naming=case.settings).endpoints
    empty = Case((), tuple(desired), case.settings, "sync")
    return tuple(zones.apply((), zones.dnsgate_groups(empty)).zone.values())


def story(moved_to: str | None) -> Case:
    """Team B's older Service holds `www`/green, team A's newer one `www`/blue; team B then
    asks for `moved_to` (blue: team A's set identifier; None: no set identifier)."""
    www = [f"www.{ZONE}"]
    team_a = service("team-a", "web", CREATED[2], www, "blue", "100", ["10.4.11.1"])
    before = [service("team-b", "web", CREATED[0], www, "green", "10", ["10.4.11.2"]), team_a]
    after = [service("team-b", "web", CREATED[0], www, moved_to, "10", ["10.4.11.2"]), team_a]
    chosen = RegistrySettings(owner_id=zones.ME)
    zone = published(before, Case((), (), chosen, "sync"))
    candidates = tuple(e for r in source.desired(after, SETTINGS, naming=chosen).services
                       for e in r.endpoints)
    return Case(zone, candidates, chosen, "sync", tuple(after))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    chosen = draw(zones.settings())
    first, second = draw(generations())
    bare = Case((), (), chosen, draw(zones.policies))
    zone = published(first, bare)
    candidates = tuple(e for r in source.desired(second, SETTINGS, naming=chosen).services
                       for e in r.endpoints)
    return Case(zone, candidates, chosen, bare.policy, tuple(second))

