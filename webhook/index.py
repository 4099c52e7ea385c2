"""Which Services claim which hostnames right now: the webhook's memory of the cluster.

Fed by `webhook.watch` (dnsgate.watch's list, then watch, of Services in every namespace);
read by the review through the narrow `ClaimLookup` protocol, which tests satisfy with a plain fake.
A Service holds claims exactly for the names the reconciler would publish for it
(`dnsgate.claims.of_service`: annotations without a problem, names its type publishes),
each marked with whether the reconciler reports it as the name's holder. One index lives in
each gunicorn worker.
"""


import threading
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from dnsgate import annotations, claimindex, claims, txtname
from dnsgate.claims import Claim
from dnsgate.domains import DomainFilter
from dnsgate.watch import service_key


class ClaimLookup(Protocol):
    def claims_on(self, hostname: str) -> tuple[Claim, ...]: ...

    def wait_synced(self, timeout: float) -> bool: ...


def claims_of(service: Mapping[str, Any], domains: DomainFilter,
              txt: txtname.Naming = txtname.DEFAULT, *,
              publish_internal: bool = False) -> tuple[Claim, ...]:
    """The claims `service` makes, as the reconciler would count them."""
    notes = (service.get("metadata") or {}).get("annotations")
    if not claims.would_publish(service) or not annotations.has_dns_annotations(notes):
        return ()
    return claims.of_service(service, claims.parse(service, domains, txt),
                             claims.held_names(service), publish_internal=publish_internal)


class ClaimIndex:
    """Thread-safe hostname -> claims map (`dnsgate.claimindex`, the reconciler's too);
    `synced` once the first full list is in. A Service event updates only that Service's
    names, so it costs the same at 20,000 claims as at 20."""

    def __init__(self, domains: DomainFilter, txt: txtname.Naming = txtname.DEFAULT, *,
                 publish_internal: bool = False) -> None:
        self._domains = domains
        self._txt = txt
        self._publish_internal = publish_internal
        self._lock = threading.Lock()
        self._index = claimindex.ClaimIndex()
        self._synced = threading.Event()

    def replace(self, services: Iterable[Mapping[str, Any]]) -> None:
        """A full list: forget everything else (a re-list after 410 Gone drops deletions
        the watch never delivered)."""
        fresh = claimindex.ClaimIndex()
        for service in services:
            fresh.put(service_key(service), claims_of(service, self._domains, self._txt,
                                                      publish_internal=self._publish_internal))
        with self._lock:
            self._index = fresh
        self._synced.set()

    def upsert(self, service: Mapping[str, Any]) -> None:
        made = claims_of(service, self._domains, self._txt,
                         publish_internal=self._publish_internal)
        with self._lock:
            self._index.put(service_key(service), made)

    def delete(self, key: str) -> None:
        """Forget the Service "namespace/name"."""
        with self._lock:
            self._index.remove(key)

    def claims_on(self, hostname: str) -> tuple[Claim, ...]:
        with self._lock:
            return self._index.on(hostname)

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    @property
    def synced(self) -> bool:
        return self._synced.is_set()
