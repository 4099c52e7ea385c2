"""Claims by hostname, kept current one Service at a time: the one index behind the webhook's
lookups and the reconciler's incremental desired state, so both see the same claims.

Replacing a Service's claims touches only the names it claimed before or claims now, so
the work per Service event is proportional to that Service's names, never to the
cluster's; each name's claims are kept in the order the claim rule settles them
(`Claim.precedence`). Not thread-safe: the webhook holds it under its own lock; the
reconciler's loop is its only user there.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsgate.claims import Claim


class ClaimIndex:
    def __init__(self) -> None:
        self._by_service: dict[str, tuple[Claim, ...]] = {}
        self._by_name: dict[str, tuple[Claim, ...]] = {}

    def put(self, service: str, made: Iterable[Claim]) -> set[str]:
        """Replace `service`'s claims with `made`; returns the names whose claims changed."""
        fresh = tuple(made)
        before = self._by_service.get(service, ())
        if fresh == before:
            return set()
        if fresh:
            self._by_service[service] = fresh
        else:
            self._by_service.pop(service, None)
        touched = {c.hostname for c in before} | {c.hostname for c in fresh}
        for name in touched:
            others = [c for c in self._by_name.get(name, ()) if c.service != service]
            others += [c for c in fresh if c.hostname == name]
            if others:
                self._by_name[name] = tuple(sorted(others, key=lambda c: c.precedence))
            else:
                self._by_name.pop(name, None)
        return touched

    def remove(self, service: str) -> set[str]:
        """Forget `service`'s claims; returns the names it claimed."""
        return self.put(service, ())

    def on(self, hostname: str) -> tuple[Claim, ...]:
        """The claims on `hostname`, the one that would keep it first."""
        return self._by_name.get(hostname, ())

    def of(self, service: str) -> tuple[Claim, ...]:
        return self._by_service.get(service, ())

    def names(self) -> Iterable[str]:
        return self._by_name.keys()

    def claimants(self) -> Iterable[str]:
        """The keys of every Service or Ingress with a claim."""
        return self._by_service.keys()
