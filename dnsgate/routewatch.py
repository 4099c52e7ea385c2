"""Gateway API routes kept current (docs/gateway-api.md), each handed out already resolved
against the Gateways and namespace labels of the moment (`dnsgate.gateway.with_resolution`),
so every per-object rule (claims, records, reports) reads a route alone, as it reads a
Service.

Three kinds of store, each a `dnsgate.watch.ServiceStore` (the same list, watch, 410 and
back-off handling as the Service watch): one per route kind of the `gateway-*` sources given
(in --namespace, --label-filter applied by the API server), one of Gateways (in
--gateway-namespace, --gateway-label-filter applied by the API server) and one of the
Namespaces' labels (for a listener's `allowedRoutes.namespaces.from: Selector`): the domain
policy's when --domain-policy watches them already, else one of its own.

A change costs what it touches: a route change is that route's key; a Gateway change is the
keys of the routes whose parentRefs name that Gateway (an index kept from every route event,
so a route that moved to another Gateway is no longer re-read for the old one); a Namespace
label change is the keys of that namespace's routes.

Both deployables read routes through this one module, so they never disagree about which
routes a Gateway change touches or how a route resolves; each plugs in its own consumer:
the reconciler's controller hears keys (`on_change`, `on_deleted`) and reads `get` later;
the webhook's claim index (`webhook.routewatch`) also takes each full list of a kind
resolved (`on_relist`: the keys that list changed are not told again, so nothing resolves
twice) and waits for the Gateways and Namespaces to be listed (`on_listed`). Deliveries
that resolve are made one at a time, in the order of the changes: a consumer that resolves
in `on_change` never files a route resolved against an older view after a newer one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from dnsgate import gateway, objectkey, policywatch
from dnsgate.gateway import GatewayKey, GatewaySettings
from dnsgate.watch import (
    KubernetesServices,
    OnChange,
    Service,
    ServiceAPI,
    ServiceStore,
    without_own_writes,
)

OnRoutesListed = Callable[[objectkey.Kind, list[Service]], None]

GATEWAY = "gateway"
NAMESPACE = "namespace"
LISTED = (GATEWAY, NAMESPACE)
"""What `on_listed` is told of: a list of the Gateways, or of the Namespaces, is in."""


def gateway_key(obj: Mapping[str, Any]) -> str:
    """A Gateway's key in its store: "gateway/<namespace>/<name>"."""
    meta = obj.get("metadata") or {}
    return f"gateway/{meta.get('namespace') or ''}/{meta.get('name') or ''}"


def _gateway_of(key: str) -> GatewayKey:
    _, namespace, name = key.split("/", 2)
    return namespace, name


def namespace_key(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def kept_namespace(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A Namespace's name and labels, all a route's resolution reads of it."""
    meta = obj.get("metadata") or {}
    return {"metadata": {"name": meta.get("name"), "labels": dict(meta.get("labels") or {})}}


class CustomObjects(KubernetesServices):
    """ServiceAPI over one resource of a group and version (a route kind, or Gateways), in
    one namespace or all, filtered by a label selector on the API server; read through
    `dnsgate.corev1.CoreV1.list_at`, without the generated clients' cost in memory."""

    def __init__(self, core: Any, api_version: str, plural: str, namespace: str = "",
                 label_selector: str = "",
                 trim: Callable[[Mapping[str, Any]], dict[str, Any]] = dict) -> None:
        super().__init__(core, namespace, label_selector)
        self._api_version = api_version
        self._plural = plural
        self._trim_item = trim

    def _trim(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return self._trim_item(item)

    def _call(self, **kwargs: Any) -> Any:
        if self._label_selector:
            kwargs["label_selector"] = self._label_selector
        where = f"/namespaces/{self._namespace}" if self._namespace else ""
        return self._core.list_at(f"/apis/{self._api_version}{where}/{self._plural}",
                                  **kwargs)


class Routes:
    """The route stores, the Gateway store and the Namespace store, read as one store of
    resolved routes (`snapshot`, `get`)."""

    def __init__(self, routes: Mapping[str, ServiceAPI], gateways: ServiceAPI,
                 namespaces: ServiceAPI | ServiceStore, settings: GatewaySettings,
                 on_change: OnChange, on_deleted: OnChange | None = None, *,
                 on_relist: OnRoutesListed | None = None,
                 on_listed: Callable[[str], None] | None = None) -> None:
        """`routes`: route kind name ("HTTPRoute") -> its ServiceAPI (`CustomObjects`, or a
        fake); `namespaces`: a ServiceAPI for a Namespace watch of its own, or a store of
        Namespaces (name and labels) another reader runs, the domain policy's;
        `on_change` hears the keys of the routes whose resolution may have changed,
        `on_deleted` those of routes deleted; `on_relist` each full list of one route kind,
        resolved (its changes then skip `on_change`); `on_listed` `GATEWAY` or `NAMESPACE`
        once a list of them is in and the routes it changed were told (a shared Namespace
        store's lists are its owner's: not told)."""
        self.settings = settings
        self._on_change = on_change
        self._on_relist = on_relist
        self._lock = threading.Lock()
        self._delivery = threading.Lock()  # one resolving delivery at a time, in order
        self._parents: dict[str, frozenset[GatewayKey]] = {}  # route key -> its Gateways
        # Routes mostly name the same few Gateways: one copy of each set of them (memory per
        # gunicorn worker counts in the webhook), dropped once no route names its Gateways.
        self._shared_parents: dict[frozenset[GatewayKey], frozenset[GatewayKey]] = {}
        self._by_gateway: dict[GatewayKey, set[str]] = {}  # Gateway -> route keys
        self._by_namespace: dict[str, set[str]] = {}  # namespace -> route keys
        self._version = 0  # bumped by each Gateway or Namespace change
        self._view: tuple[int, gateway.View] | None = None
        by_name = {kind.name: kind for kind in objectkey.ROUTE_KINDS}
        self.routes = [ServiceStore(api, self._routes_changed,
                                    on_relist=partial(self._routes_listed, by_name[name]),
                                    kept=partial(gateway.slim_route, kind=name),
                                    trigger=without_own_writes, on_deleted=on_deleted,
                                    relist_notifies=on_relist is None)
                       for name, api in routes.items()]

        def told(what: str) -> Callable[[], None] | None:
            return None if on_listed is None else partial(on_listed, what)

        self.gateways = ServiceStore(gateways, self._gateways_changed,
                                     kept=gateway.slim_gateway, key=gateway_key,
                                     trigger=without_own_writes, on_listed=told(GATEWAY))
        self._shared = isinstance(namespaces, ServiceStore)
        if isinstance(namespaces, ServiceStore):
            self.namespaces = namespaces
            namespaces.subscribe(self._namespaces_changed)
        else:
            self.namespaces = ServiceStore(namespaces, self._namespaces_changed,
                                           kept=kept_namespace, key=namespace_key,
                                           on_listed=told(NAMESPACE))

    @property
    def stores(self) -> list[ServiceStore]:
        """The stores this runs, Gateways and Namespaces first (what `--once` lists, in that
        order, and what readiness waits for); a shared Namespace store is its owner's."""
        return [self.gateways, *(() if self._shared else (self.namespaces,)), *self.routes]

    def relist(self) -> None:
        for store in self.stores:
            store.relist()

    @property
    def synced(self) -> bool:
        return all(store.synced.is_set() for store in (*self.stores, self.namespaces))

    def view(self) -> gateway.View:
        """The Gateways and namespace labels routes resolve against now (kept until one of
        them changes)."""
        with self._lock:
            version, cached = self._version, self._view
        if cached is not None and cached[0] == version:
            return cached[1]
        made = gateway.View(
            {_gateway_of(gateway_key(gw)): gw for gw in self.gateways.snapshot()},
            {namespace_key(ns): dict((ns.get("metadata") or {}).get("labels") or {})
             for ns in self.namespaces.snapshot()})
        with self._lock:
            if self._version == version:
                self._view = (version, made)
        return made

    def snapshot(self) -> list[Service]:
        view = self.view()
        return [gateway.with_resolution(route, view, self.settings)
                for store in self.routes for route in store.snapshot()]

    def get(self, key: str) -> dict[str, Any] | None:
        found = self._raw(key)
        return None if found is None else gateway.with_resolution(found, self.view(),
                                                                  self.settings)

    def affected(self, gateways: Iterable[GatewayKey]) -> set[str]:
        """The keys of the routes whose parentRefs name any of these Gateways."""
        with self._lock:
            return {key for gw in gateways for key in self._by_gateway.get(gw, ())}

    def _raw(self, key: str) -> dict[str, Any] | None:
        for store in self.routes:
            found = store.get(key)
            if found is not None:
                return found
        return None

    def _routes_listed(self, kind: objectkey.Kind, routes: list[Service]) -> None:
        """A full list of one kind: index it whole (a re-list after 410 Gone drops routes
        whose DELETED event never came), and hand it out resolved to `on_relist`."""
        fresh = {objectkey.of(route): route for route in routes}
        with self._lock:
            for key in [key for key in self._parents
                        if objectkey.kind_of(key) == kind and key not in fresh]:
                self._index(key, None)
            for key, route in fresh.items():
                self._index(key, route)
        if self._on_relist is not None:
            with self._delivery:
                view = self.view()
                self._on_relist(kind, [gateway.with_resolution(route, view, self.settings)
                                       for route in routes])

    def _routes_changed(self, keys: set[str]) -> None:
        with self._lock:
            for key in keys:
                self._index(key, self._raw(key))
        self._tell(keys)

    def _tell(self, keys: set[str]) -> None:
        with self._delivery:
            self._on_change(keys)

    def _index(self, key: str, route: Mapping[str, Any] | None) -> None:
        """Called with the lock held: the route's Gateways and namespace, as it is now."""
        for gw in self._parents.pop(key, frozenset()):
            if self._drop(self._by_gateway, gw, key):  # no route names gw: nor any set of it
                self._shared_parents = {
                    parents: same for parents, same in self._shared_parents.items()
                    if gw not in parents}
        parsed = objectkey.parse(key)
        if parsed is not None:
            self._drop(self._by_namespace, parsed.namespace, key)
        if route is None:
            return
        parents = gateway.parent_gateways(route)
        self._parents[key] = self._shared_parents.setdefault(parents, parents)
        for gw in self._parents[key]:
            self._by_gateway.setdefault(gw, set()).add(key)
        if parsed is not None:
            self._by_namespace.setdefault(parsed.namespace, set()).add(key)

    @staticmethod
    def _drop(index: dict[Any, set[str]], at: Any, key: str) -> bool:
        """Whether that left nothing at `at`."""
        keys = index.get(at)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del index[at]
                return True
        return False

    def _gateways_changed(self, keys: set[str]) -> None:
        with self._lock:
            self._version += 1
        touched = self.affected(_gateway_of(key) for key in keys)
        if touched:
            self._tell(touched)

    def _namespaces_changed(self, keys: set[str]) -> None:
        # A shared store keys a Namespace by its object key ("service//<name>"), ours by
        # its name; a namespace's name never holds a "/".
        names = {key.rpartition("/")[2] for key in keys}
        with self._lock:
            self._version += 1
            touched = {route for ns in names for route in self._by_namespace.get(ns, ())}
        if touched:
            self._tell(touched)


def kubernetes(core: Any, kinds: Iterable[str], *, namespace: str,
               label_filter: str, settings: GatewaySettings, on_change: OnChange,
               on_deleted: OnChange | None = None,
               namespaces: ServiceStore | None = None,
               wrap: Callable[[ServiceAPI], ServiceAPI] = lambda api: api,
               on_relist: OnRoutesListed | None = None,
               on_listed: Callable[[str], None] | None = None) -> Routes:
    """`Routes` over the API: `core` a `dnsgate.corev1.CoreV1`; `kinds` the route kind
    names of the `gateway-*` sources; `namespaces` a Namespace store already watched (the
    domain policy's), else a watch of its own; `wrap` around each route and Gateway API (the
    reconciler counts their failures as source errors, as for Services)."""
    by_name = {kind.name: kind for kind in objectkey.ROUTE_KINDS}
    routes = {name: wrap(CustomObjects(core, by_name[name].api_version,
                                       by_name[name].resource, namespace, label_filter,
                                       trim=partial(gateway.slim_route, kind=name)))
              for name in kinds}
    gateways = wrap(CustomObjects(core, f"{gateway.GROUP}/v1", "gateways", settings.namespace,
                                  settings.label_filter, trim=gateway.slim_gateway))
    return Routes(routes, gateways, namespaces or policywatch.Namespaces(core), settings,
                  on_change, on_deleted, on_relist=on_relist, on_listed=on_listed)
