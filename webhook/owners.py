"""The webhook's copy of the owners index (`dnsgate.owners`): the one ConfigMap
`--owners-index` names, kept by the list + watch loop the Service index uses
(`dnsgate.watch.ServiceStore`), asking the API server for that name alone (a field selector,
which the webhook's RBAC needs: it may read that ConfigMap and no other).

The review asks `state()`: the index if it can be trusted now, else why not. The ConfigMap's
data as last seen is parsed once per resourceVersion; each answer judges it against the
clock, so an index goes stale while the reconciler is down without any event saying so.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Protocol

from dnsgate import owners
from dnsgate.watch import KubernetesServices, ServiceStore


class OwnersLookup(Protocol):
    def state(self) -> owners.Index | owners.Unusable | None:
        """None: no index configured (--owners-index ""), nothing to check."""


class NoIndex:
    def state(self) -> None:
        return None


NO_INDEX = NoIndex()


def kept(item: Mapping[str, Any]) -> dict[str, Any]:
    """What of the ConfigMap is kept: its name and its data."""
    metadata = item.get("metadata") or {}
    return {"metadata": {k: metadata.get(k) for k in ("name", "namespace", "resourceVersion")},
            "data": dict(item.get("data") or {})}


class ConfigMapAPI(KubernetesServices):
    """`dnsgate.watch.ServiceAPI` over one ConfigMap, by name."""

    def __init__(self, core: Any, where: owners.Location) -> None:
        super().__init__(core, where.namespace)
        self._where = where

    def _trim(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return kept(item)

    def _call(self, **kwargs: Any) -> Any:
        kwargs["field_selector"] = f"metadata.name={self._where.name}"
        return self._core.list_namespaced_config_map(self._where.namespace, **kwargs)


class OwnersWatch:
    def __init__(self, where: owners.Location, owner_id: str,
                 api: Any = None) -> None:
        """`api`: a `dnsgate.watch.ServiceAPI` (tests); default the cluster's."""
        self.where = where
        self._owner_id = owner_id
        self._api = api
        self._stop = threading.Event()
        self.store: ServiceStore | None = None
        # The index parsed once per version of the ConfigMap: parsing a full one takes tens
        # of milliseconds, and every review asks; only its age is judged again each time.
        self._parsed: tuple[str | None, owners.Index | owners.Unusable] | None = None

    def state(self) -> owners.Index | owners.Unusable:
        store = self.store
        if store is None or not store.synced.is_set():
            return owners.Unusable(f"the index of names other owners hold ({self.where}) "
                                   "has not been read yet")
        found = store.snapshot()
        version = found[0]["metadata"].get("resourceVersion") if found else None
        parsed = self._parsed
        if parsed is None or parsed[0] != version or version is None:
            data = found[0].get("data") if found else None
            parsed = self._parsed = (version, owners.parse(data, self.where))
        return owners.judge(parsed[1], self._owner_id, owners.now(), self.where)

    def start(self) -> None:
        if self._api is None:
            from dnsgate.corev1 import CoreV1
            from webhook.watch import api_client

            self._api = ConfigMapAPI(CoreV1(api_client()), self.where)
        self.store = ServiceStore(self._api, lambda _keys: None, kept=kept)
        threading.Thread(target=self.store.run, args=(self._stop,), name="owners-watch",
                         daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
