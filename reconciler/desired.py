"""What the Services ask for, kept current one Service at a time.

A resync computes it whole from the watch's snapshot and the holders the registry read
(`reset`). Between resyncs a Service event recomputes only that Service's records and
claims (`source.read`) and re-settles only the names whose claims changed; a change that
lands re-settles only its names with their rows' new holders (`hold`). So an event costs what it
touches, at any number of Services. `scoped` hands a sync the part it plans as a
`source.Desired`; `whole` is the value `source.desired` computes from the same Services and
holders (the property tests hold the two equal after any sequence of events).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from dnsgate import claims, domainpolicy, objectkey, txtname
from dnsgate.claimindex import ClaimIndex
from dnsgate.watch import Service
from reconciler import source
from reconciler.settings import SourceSettings
from reconciler.source import Holders, ServiceRecords


@dataclass(frozen=True)
class Changed:
    """What a batch of Service events changed."""

    names: frozenset[str]
    """Every name the changed Services claimed before or claim now."""
    gone: frozenset[str]
    """Services deleted (their keys)."""


class DesiredState:
    def __init__(self, settings: SourceSettings, naming: txtname.Naming = txtname.DEFAULT
                 ) -> None:
        self.settings = settings
        self.naming = naming
        self._names = txtname.Mapper.named(naming)
        self.loaded = False
        self._records: dict[str, ServiceRecords] = {}
        self._claims = ClaimIndex()
        self._holders: dict[claims.Row, frozenset[str]] = {}  # row -> keys its TXTs name
        self._rows_at: dict[str, set[str]] = {}  # name -> set identifiers of held rows
        self._held: dict[str, set[claims.Row]] = {}  # key -> rows whose TXTs name it
        self._lost: dict[str, dict[str, claims.Claim]] = {}  # name -> loser -> keeper
        self.policy = domainpolicy.UNENFORCED
        """The domain policy the records are computed under; `next_policy` replaces it at
        the next `reset`, so one desired state never mixes two policies. New namespace
        labels alone replace it at once (`Controller.policy_changed`), their namespaces'
        Services then judged again."""
        self.next_policy = domainpolicy.UNENFORCED
        self.refused: set[str] = set()  # keys whose names the domain policy refuses

    def reset(self, services: Iterable[Service], holders: Holders) -> frozenset[str]:
        """Recompute everything from every Service and who holds each name (a resync);
        returns the Services gone since the last time."""
        before = self._records.keys()
        self.policy = self.next_policy
        self.refused = set()
        self._records, self._claims, self._lost = {}, ClaimIndex(), {}
        self._holders, self._rows_at, self._held = {}, {}, {}
        self._hold(holders)
        for service in services:
            self._put(service)
        for name in self._claims.names():
            self._settle(name)
        self.loaded = True
        return frozenset(before - self._records.keys())

    def update(self, changed: Mapping[str, Service | None]) -> Changed:
        """Take the new state of these Services (key -> object, or None once deleted) and
        re-settle the names their claims touch."""
        names: set[str] = set()
        contested: set[str] = set()  # names whose claims changed: settled again
        gone: set[str] = set()
        for key, service in changed.items():
            if service is None:
                if self._records.pop(key, None) is not None:
                    gone.add(key)
                self.refused.discard(key)
                contested |= self._claims.remove(key)
            else:
                contested |= self._put(service)
                names |= {c.hostname for c in self._claims.of(key)}
        contested |= self._namesakes(contested)
        for name in contested:
            self._settle(name)
        return Changed(frozenset(names | contested), frozenset(gone))

    def hold(self, names: Set[str], holders: Holders) -> None:
        """Who holds the rows at these names now (changes to them landed): `holders` has
        every row held at them; a row held before and missing from it is held no more. The
        names and their namesakes (names sharing their ownership TXT names) are re-settled."""
        released: dict[claims.Row, frozenset[str]] = {
            (name, set_id): frozenset() for name in names
            for set_id in self._rows_at.get(name, ())}
        self._hold({**released, **holders})
        touched = set(names) | {name for name, _ in holders}
        for name in touched | self._namesakes(touched):
            self._settle(name)

    def records_of(self, key: str) -> ServiceRecords | None:
        """What this object asks for now; None when it is not in the view."""
        return self._records.get(key)

    def records(self) -> dict[str, ServiceRecords]:
        """Every object's, as a copy (kept across a `reset`, to compare with)."""
        return dict(self._records)

    def held(self, services: Iterable[str]) -> dict[str, tuple[claims.Row, ...]]:
        """The rows each of these Services holds, sorted (reported on the Service)."""
        return {s: tuple(sorted(self._held[s])) for s in services if self._held.get(s)}

    def scoped(self, names: Set[str], services: Set[str]) -> source.Desired:
        """The desired state at `names`, with every Service that claims one of them or is
        in `services`, and those Services' lost claims (all of them: a Service's outcome
        names one, wherever it is)."""
        involved = set(services) | {c.service for n in names for c in self._claims.on(n)}
        results = sorted((self._records[s] for s in involved if s in self._records),
                         key=lambda r: r.service)
        endpoints = tuple(e for r in results for e in r.endpoints if e.dnsname in names
                          and r.service not in self._lost.get(e.dnsname, {}))
        return source.Desired(endpoints, tuple(results), self._conflicts(results))

    def whole(self) -> source.Desired:
        """Everything: what `source.desired` gives for the same Services and holders."""
        results = sorted(self._records.values(), key=lambda r: r.service)
        endpoints = tuple(e for r in results for e in r.endpoints
                          if r.service not in self._lost.get(e.dnsname, {}))
        return source.Desired(endpoints, tuple(results), self._conflicts(results))

    # ---- internals --------------------------------------------------------------------

    def _put(self, service: Service) -> set[str]:
        records, made = source.read(service, self.settings, self.naming, self.policy)
        self._records[records.service] = records
        if records.refused_by_policy:
            self.refused.add(records.service)
        else:
            self.refused.discard(records.service)
        return self._claims.put(objectkey.of(service), made)

    def _hold(self, holders: Holders) -> None:
        for at, services in holders.items():
            for service in self._holders.get(at, frozenset()) - services:
                self._held[service].discard(at)
                if not self._held[service]:
                    del self._held[service]
            for service in services:
                self._held.setdefault(service, set()).add(at)
            name, set_id = at
            if services:
                self._holders[at] = services
                self._rows_at.setdefault(name, set()).add(set_id)
            elif self._holders.pop(at, None) is not None:
                self._rows_at[name].discard(set_id)
                if not self._rows_at[name]:
                    del self._rows_at[name]

    def _namesakes(self, names: Iterable[str]) -> set[str]:
        """The claimed names that share their ownership TXT names with one of `names`: a
        claim on either settles both (`dnsgate.claims.conflicts`)."""
        return {other for name in names if (other := self._names.namesake(name)) is not None
                and self._claims.on(other)}

    def _settle(self, name: str) -> None:
        contenders = (*self._claims.on(name), *self._claims.on(self._names.namesake(name) or ""))
        made = [source.holding(c, self._holders) for c in contenders]
        lost = {loser.service: keeper for loser, keeper in claims.winners(made, self._names)[1]
                if loser.hostname == name}
        if lost:
            self._lost[name] = lost
        else:
            self._lost.pop(name, None)

    def _conflicts(self, results: Iterable[ServiceRecords]) -> tuple[source.Conflict, ...]:
        # Routes serving a host together publish the keeper's records, which are theirs
        # too: no conflict to report (`dnsgate.claims.together`).
        found = [source.conflict(r.service, c.hostname, keeper)
                 for r in results for c in self._claims.of(r.service)
                 if (keeper := self._lost.get(c.hostname, {}).get(r.service)) is not None
                 and not claims.together(c, keeper)]
        return tuple(sorted(found, key=lambda c: (c.service, c.hostname)))
