"""Keeps the claim index's Gateway API route claims equal to the reconciler's: the routes,
Gateways and namespace labels are the reconciler's own route store (`dnsgate.routewatch`:
one list+watch of each, one Gateway -> routes index, one resolution rule), so a route is
claimed for exactly the hosts the reconciler resolves it to, and re-claimed exactly when a
change would make the reconciler re-read it (docs/gateway-api.md, "At the door").

This is only the plug into the index: a full list of a kind replaces that kind's claims
(already resolved, so nothing is resolved twice), a change re-files the routes it touches,
and the index counts as synced only once the routes of every kind, the Gateways and the
namespaces have each been listed once. The store delivers one resolving change at a time,
so a route resolved against an older view never overwrites one resolved against a newer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from dnsgate import objectkey, routewatch
from dnsgate.corev1 import CoreV1
from dnsgate.gateway import GatewaySettings
from dnsgate.publication import Scope
from dnsgate.watch import Service, ServiceAPI
from webhook import heap
from webhook.index import ClaimIndex

GATEWAYS = routewatch.GATEWAY
NAMESPACES = routewatch.NAMESPACE
WAITS_FOR = routewatch.LISTED
"""What the index waits for besides the route kinds (`ClaimIndex.also_listed`)."""


class RouteWatch:
    """The routes of `kinds`, the Gateways and the namespaces' labels, feeding `index`."""

    def __init__(self, index: ClaimIndex, kinds: Iterable[objectkey.Kind],
                 settings: GatewaySettings, scope: Scope | None = None,
                 apis: Mapping[str, ServiceAPI] | None = None) -> None:
        """`apis`: the list+watch of each route kind (by label), of "gateway" and of
        "namespace"; default the cluster's, in the reconciler's scope (`Scope` for routes,
        --gateway-namespace and --gateway-label-filter for Gateways)."""
        self.index = index
        self._kinds = tuple(kinds)
        self._settings = settings
        self._scope = scope or Scope()
        self._apis = apis
        self._stop = threading.Event()
        self.routes: routewatch.Routes | None = None

    def start(self) -> None:
        """One daemon thread per list+watch (they die with their gunicorn worker)."""
        routes = self.routes = self._store()
        for number, store in enumerate(routes.stores):
            threading.Thread(target=store.run, args=(self._stop,),
                             name=f"route-watch-{number}", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _store(self) -> routewatch.Routes:
        if self._apis is None:
            from webhook.watch import api_client

            return routewatch.kubernetes(
                CoreV1(api_client()), [kind.name for kind in self._kinds],
                namespace=self._scope.namespace, label_filter=self._scope.labels.text,
                settings=self._settings, on_change=self._changed,
                on_relist=self._relisted, on_listed=self.index.listed)
        return routewatch.Routes({kind.name: self._apis[kind.label] for kind in self._kinds},
                                 self._apis[GATEWAYS], self._apis[NAMESPACES], self._settings,
                                 self._changed, on_relist=self._relisted,
                                 on_listed=self.index.listed)

    def _relisted(self, kind: objectkey.Kind, routes: list[Service]) -> None:
        """A whole list replaces the index's part of that kind; the heap is then settled
        (`heap.settle`), as after a Service list."""
        self.index.replace(routes, kind)
        heap.settle()

    def _changed(self, keys: set[str]) -> None:
        assert self.routes is not None
        self.index.refile(keys, self.routes.get)
