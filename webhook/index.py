"""Which Services and Ingresses claim which hostnames right now: the webhook's memory of the
cluster, one index for both kinds (a name one holds cannot be taken by the other).

Fed by `webhook.watch` (dnsgate.watch's list, then watch, of Services, and of Ingresses when
the Ingress source is on, in the namespace and with the label selector the reconciler reads:
an object it never reads claims nothing here either);
read by the review through the narrow `ClaimLookup` protocol, which tests satisfy with a plain fake.
A Service holds claims exactly for the names the reconciler would publish for it
(`dnsgate.claims.of_service`: annotations without a problem, names its type publishes),
each marked with whether the reconciler reports it as its record set's holder (the
`dnsgate.io/DNSNamesHeld` condition, `dnsgate.claims.held_rows`). One index lives in
each gunicorn worker.
"""


import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from dnsgate import annotations, claimindex, claims, gateway, ingress, objectkey, txtname
from dnsgate.claims import Claim
from dnsgate.domains import DomainFilter
from dnsgate.ingress import IngressSettings
from webhook import metrics


class ClaimLookup(Protocol):
    def claims_on(self, hostname: str) -> tuple[Claim, ...]: ...

    def wait_synced(self, timeout: float) -> bool: ...


def claims_of(service: Mapping[str, Any], domains: DomainFilter,
              txt: txtname.Naming = txtname.DEFAULT, *,
              publish_internal: bool = False,
              ingresses: IngressSettings = ingress.DEFAULT) -> tuple[Claim, ...]:
    """The claims `service` (or an Ingress, or a route carrying its resolution:
    `webhook.routewatch`) makes, as the reconciler would count them."""
    notes = (service.get("metadata") or {}).get("annotations")
    if not claims.would_publish(service, ingresses) or not (
            ingress.is_ingress(service) or gateway.is_route(service)
            or annotations.has_dns_annotations(notes)):
        return ()
    return claims.of_service(service, claims.parse(service, domains, txt, ingresses),
                             claims.held_rows(service), publish_internal=publish_internal,
                             ingresses=ingresses)


class ClaimIndex:
    """Thread-safe hostname -> claims map (`dnsgate.claimindex`, the reconciler's too);
    `synced` once the first full list of each kind watched is in. A Service or Ingress event
    updates only that object's names, so it costs the same at 20,000 claims as at 20. The
    number of claims held is kept as it changes, for `metrics.CLAIMS`."""

    def __init__(self, domains: DomainFilter, txt: txtname.Naming = txtname.DEFAULT, *,
                 publish_internal: bool = False,
                 ingresses: IngressSettings | None = None, services: bool = True,
                 routes: Iterable[objectkey.Kind] = (), also_listed: Iterable[str] = ()
                 ) -> None:
        """`ingresses`: the Ingress source's settings, None when Ingresses are not watched;
        `services`: whether Services are (not without --source=service); `routes`: the
        route kinds watched; `also_listed`: what else must be listed once before the index
        counts as synced (`listed`: the Gateways and namespaces routes resolve against)."""
        self._domains = domains
        self._txt = txt
        self._publish_internal = publish_internal
        self._ingresses = ingresses or ingress.DEFAULT
        self._lock = threading.Lock()
        self._index = claimindex.ClaimIndex()
        self._synced = threading.Event()
        self._unlisted: set[str] = (
            ({objectkey.SERVICE.label} if services else set())
            | ({objectkey.INGRESS.label} if ingresses is not None else set())
            | {kind.label for kind in routes} | set(also_listed))
        self._claim_count = 0

    def replace(self, objects: Iterable[Mapping[str, Any]],
                kind: objectkey.Kind = objectkey.SERVICE) -> None:
        """A full list of one kind's objects: forget every other one of that kind (a re-list
        after 410 Gone drops deletions the watch never delivered). The kind is read from
        each key (`dnsgate.objectkey`), whatever the namespaces are called."""
        made = {objectkey.of(obj): self._claims(obj) for obj in objects}
        fresh = claimindex.ClaimIndex()
        with self._lock:
            for key in self._index.claimants():
                if objectkey.kind_of(key) != kind:
                    fresh.put(key, self._index.of(key))
            for key, claimed in made.items():
                fresh.put(key, claimed)
            self._index = fresh
            self._count(sum(len(fresh.of(key)) for key in fresh.claimants()))
        self.listed(kind.label)

    def listed(self, what: str) -> None:
        """One of the lists the index waits for (a kind's label, or an `also_listed` name)
        is in."""
        with self._lock:
            self._unlisted.discard(what)
            if not self._unlisted:
                self._synced.set()

    def _claims(self, obj: Mapping[str, Any]) -> tuple[Claim, ...]:
        return claims_of(obj, self._domains, self._txt, publish_internal=self._publish_internal,
                         ingresses=self._ingresses)

    def upsert(self, service: Mapping[str, Any]) -> None:
        made = self._claims(service)
        key = objectkey.of(service)
        with self._lock:
            self._count(self._claim_count - len(self._index.of(key)) + len(made))
            self._index.put(key, made)

    def refile(self, keys: Iterable[str],
               current: Callable[[str], Mapping[str, Any] | None]) -> None:
        """File the objects of these keys again as `current` (a store's `get`) has them now:
        claims for those there, none for those gone."""
        for key in keys:
            found = current(key)
            if found is None:
                self.delete(key)
            else:
                self.upsert(found)

    def delete(self, key: str) -> None:
        """Forget the object of this key ("service/ns/name", "ingress/ns/name")."""
        with self._lock:
            self._count(self._claim_count - len(self._index.of(key)))
            self._index.remove(key)

    def claims_on(self, hostname: str) -> tuple[Claim, ...]:
        with self._lock:
            return self._index.on(hostname)

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    @property
    def claims(self) -> int:
        """Claims held, over every name."""
        return self._claim_count

    def _count(self, claims: int) -> None:
        self._claim_count = claims
        metrics.CLAIMS.set(claims)

    @property
    def synced(self) -> bool:
        return self._synced.is_set()
