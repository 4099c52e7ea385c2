"""Keeps the claim index's Gateway API route claims equal to the reconciler's: each route of
a configured kind is claimed for the hosts it resolves to against the Gateways and namespace
labels watched here (`dnsgate.gateway.with_resolution`), as the reconciler resolves it
(docs/gateway-api.md, "At the door").

A route's claims change when the route changes and also when a Gateway it names (its
parentRefs: `gateway.parent_gateways`) or its namespace's labels (allowedRoutes selectors)
change, so each such event re-resolves the routes it concerns. One lock orders the
resolutions: a route resolved against an older view never overwrites one resolved against a
newer one. The index counts as synced only once the routes of every kind, the Gateways and
the namespaces have each been listed once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from dnsgate import gateway, objectkey
from dnsgate.corev1 import CoreV1
from dnsgate.gateway import GatewayKey, GatewaySettings
from dnsgate.policywatch import Namespaces
from dnsgate.publication import Scope
from dnsgate.watch import KubernetesServices, ServiceAPI, ServiceStore
from webhook.index import ClaimIndex

GATEWAYS = "gateway"
NAMESPACES = "namespace"
WAITS_FOR = (GATEWAYS, NAMESPACES)
"""What the index waits for besides the route kinds (`ClaimIndex.also_listed`)."""


def _plural(kind: objectkey.Kind) -> str:
    return kind.plural.lower()


class Resources(KubernetesServices):
    """ServiceAPI over one Gateway API resource (a route kind, or Gateways), in one
    namespace or all, matching a label selector or all."""

    def __init__(self, core: CoreV1, api_version: str, plural: str,
                 trim: Callable[[Mapping[str, Any]], dict[str, Any]],
                 namespace: str = "", label_selector: str = "") -> None:
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
        self._lock = threading.Lock()
        self._routes: dict[str, dict[str, Any]] = {}
        self._gateways: dict[GatewayKey, dict[str, Any]] = {}
        self._labels: dict[str, dict[str, str]] = {}
        self._stop = threading.Event()
        self.stores: dict[str, ServiceStore] = {}

    def start(self) -> None:
        """One daemon thread per list+watch (they die with their gunicorn worker)."""
        apis = self._apis or self._cluster_apis()
        for kind in self._kinds:
            self.stores[kind.label] = ServiceStore(
                apis[kind.label], partial(self._routes_changed, kind.label),
                on_relist=partial(self._routes_listed, kind),
                kept=partial(gateway.slim_route, kind=kind.name))
        self.stores[GATEWAYS] = ServiceStore(apis[GATEWAYS], self._gateways_changed,
                                             on_relist=self._gateways_listed,
                                             kept=gateway.slim_gateway)
        self.stores[NAMESPACES] = ServiceStore(apis[NAMESPACES], self._namespaces_changed,
                                               on_relist=self._namespaces_listed,
                                               kept=_namespace_labels)
        for name, store in self.stores.items():
            threading.Thread(target=store.run, args=(self._stop,), name=f"{name}-watch",
                             daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _cluster_apis(self) -> dict[str, ServiceAPI]:
        from webhook.watch import api_client

        core = CoreV1(api_client())
        namespace, selector = self._scope.namespace, self._scope.labels.text
        apis: dict[str, ServiceAPI] = {
            kind.label: Resources(core, kind.api_version, _plural(kind),
                                  partial(gateway.slim_route, kind=kind.name), namespace,
                                  selector)
            for kind in self._kinds}
        apis[GATEWAYS] = Resources(core, f"{gateway.GROUP}/v1", "gateways",
                                   gateway.slim_gateway, self._settings.namespace,
                                   self._settings.label_filter)
        apis[NAMESPACES] = Namespaces(core)
        return apis

    # ---- routes ----------------------------------------------------------------------

    def _routes_listed(self, kind: objectkey.Kind, routes: Iterable[Mapping[str, Any]]
                       ) -> None:
        with self._lock:
            for key in [k for k in self._routes if objectkey.kind_of(k) == kind]:
                del self._routes[key]
            fresh = {objectkey.of(route): dict(route) for route in routes}
            self._routes.update(fresh)
            self.index.replace([self._resolved(route) for route in fresh.values()], kind)

    def _routes_changed(self, label: str, keys: set[str]) -> None:
        store = self.stores[label]
        with self._lock:
            for key in keys:
                route = store.get(key)
                if route is None:
                    self._routes.pop(key, None)
                    self.index.delete(key)
                elif self._routes.get(key) != route:  # after a re-list: already resolved
                    self._routes[key] = route
                    self.index.upsert(self._resolved(route))

    def _resolved(self, route: Mapping[str, Any]) -> dict[str, Any]:
        return gateway.with_resolution(
            route, gateway.View(self._gateways, self._labels), self._settings)

    def _re_resolve(self, concerned: Callable[[Mapping[str, Any]], bool]) -> None:
        """Resolve again the routes a Gateway or namespace event concerns (lock held)."""
        for route in self._routes.values():
            if concerned(route):
                self.index.upsert(self._resolved(route))

    # ---- Gateways and namespaces ---------------------------------------------------

    def _gateways_listed(self, gateways: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            self._gateways = {_gateway_key(g): dict(g) for g in gateways}
            self._re_resolve(lambda _: True)
        self.index.listed(GATEWAYS)

    def _gateways_changed(self, keys: set[str]) -> None:
        store = self.stores[GATEWAYS]
        with self._lock:
            changed: set[GatewayKey] = set()
            for key in keys:
                parsed = objectkey.parse(key)
                if parsed is None:
                    continue
                where = (parsed.namespace, parsed.name)
                found = store.get(key)
                if found is None:
                    self._gateways.pop(where, None)
                else:
                    self._gateways[where] = found
                changed.add(where)
            self._re_resolve(lambda route: bool(gateway.parent_gateways(route) & changed))

    def _namespaces_listed(self, namespaces: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            self._labels = {_name(ns): dict(ns["metadata"]["labels"]) for ns in namespaces}
            self._re_resolve(lambda _: True)
        self.index.listed(NAMESPACES)

    def _namespaces_changed(self, keys: set[str]) -> None:
        store = self.stores[NAMESPACES]
        with self._lock:
            changed: set[str] = set()
            for key in keys:
                name = key.rsplit("/", 1)[-1]  # a namespace's store key: "service//<name>"
                found = store.get(key)
                if found is None:
                    self._labels.pop(name, None)
                else:
                    self._labels[name] = dict(found["metadata"]["labels"])
                changed.add(name)
            self._re_resolve(lambda route: _namespace_of(route) in changed)


def _namespace_labels(item: Mapping[str, Any]) -> dict[str, Any]:
    meta = item.get("metadata") or {}
    return {"metadata": {"name": meta.get("name"), "labels": dict(meta.get("labels") or {})}}


def _gateway_key(obj: Mapping[str, Any]) -> GatewayKey:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _namespace_of(route: Mapping[str, Any]) -> str:
    return str((route.get("metadata") or {}).get("namespace") or "")
