"""Keep an in-memory copy of the Services, by list + watch, and say which ones changed; the
same for Ingresses (`KubernetesIngresses`, kept as `dnsgate.ingress.slim` keeps them).

Shared by the reconciler (which plans from the copy) and the webhook (whose claim index is
fed from it), so both follow the cluster the same way.

The list gives a resourceVersion; the watch continues from it, with bookmarks so the
version stays fresh while nothing changes. A 410 Gone (the version has been compacted away)
means events were missed: re-list, and report every Service whose copy differs. Any other
error is transient: back off and resume from the last version seen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from dnsgate import ingress, objectkey
from dnsgate.backoff import Backoff

Service = Mapping[str, Any]  # a Service as JSON (camelCase keys), as the API serves it

log = logging.getLogger(__name__)

OnChange = Callable[[set[str]], None]
OnRelist = Callable[[list[Service]], None]
WATCH_TIMEOUT = 300  # seconds the apiserver holds one watch before we renew it
# Re-connecting after an error: from about a second, never more than 30 s apart, so a
# restarted apiserver is found again quickly without every client hammering it at once.
RECONNECT = Backoff(base=1.0, cap=30.0)


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
LIST_PAGE = 500  # objects per list call (kube-apiserver's chunked list: limit + continue)
# Seconds to connect, and to wait for one page: an API server that never answers fails the
# list (and the store stays as it was) instead of holding `dnsgate reconcile --once` forever.
LIST_TIMEOUT = (10, 120)


# What dnsgate reads of a Service, and all it keeps: the source (annotations, type,
# externalIPs, clusterIP, externalName, ingress), the claim index (creationTimestamp), the
# status reporter (uid, resourceVersion, generation, conditions). Ports, selectors,
# managedFields and kubectl's last-applied copy of the whole object are most of a Service's
# JSON.
KEPT = {
    "metadata": ("name", "namespace", "uid", "resourceVersion", "generation",
                 "creationTimestamp", "deletionTimestamp", "annotations"),
    "spec": ("type", "externalIPs", "clusterIP", "externalName"),
    "status": ("loadBalancer", "conditions"),
}


def slim(service: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a Service that dnsgate reads; the watch cache holds every Service of the
    cluster (in the reconciler, and in each webhook worker), so the rest is dropped."""
    kept: dict[str, Any] = {}
    for section, fields in KEPT.items():
        source = service.get(section) or {}
        kept[section] = {name: source[name] for name in fields if name in source}
    annotations = kept["metadata"].get("annotations")
    if annotations and LAST_APPLIED in annotations:
        kept["metadata"]["annotations"] = {
            k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return kept


def without_own_writes(kept: Mapping[str, Any]) -> dict[str, Any]:
    """A kept object as the reconciler's DNS work reads it: without its resourceVersion and
    the status conditions dnsgate's own reports write. A reconciler store given this as its
    `trigger` does not sync a Service again because it wrote that Service's status (after a
    cold sync of 5,000 Services, 5,000 such echoes arrive); the store still keeps them, for
    the reporter."""
    metadata = {k: v for k, v in (kept.get("metadata") or {}).items() if k != "resourceVersion"}
    status = {k: v for k, v in (kept.get("status") or {}).items() if k != "conditions"}
    return {**kept, "metadata": metadata, "status": status}


class ServiceAPI(Protocol):
    """How a store reads its objects (Services, or Ingresses), as JSON dicts."""

    def list(self) -> tuple[list[dict[str, Any]], str]: ...

    def watch(self, resource_version: str, stop: threading.Event) -> Iterable[dict[str, Any]]: ...


class Gone(Exception):
    """The watch's resourceVersion is too old (HTTP 410): re-list."""


class ServiceStore:
    """Services (or Ingresses) by their keys (`dnsgate.objectkey`: "service/ns/name");
    thread-safe snapshots for the controller."""

    def __init__(self, api: ServiceAPI, on_change: OnChange,
                 on_relist: OnRelist | None = None,
                 kept: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
                 trigger: Callable[[Mapping[str, Any]], Any] | None = None,
                 on_deleted: OnChange | None = None,
                 key: Callable[[Mapping[str, Any]], str] = objectkey.of,
                 on_listed: Callable[[], None] | None = None,
                 relist_notifies: bool = True) -> None:
        """`kept`: what of each object to keep (`slim`; an Ingress store:
        `dnsgate.ingress.slim`). `trigger`: the part of a kept object whose change is
        reported to `on_change` (default all of it; the reconciler: `without_own_writes`).
        `on_deleted`: told of each DELETED event's key, before `on_change`; an object
        missing from a re-list is not reported to it (an empty list proves nothing). `key`:
        what each object is stored under (default its `dnsgate.objectkey` key; a store of
        objects dnsgate publishes nothing for, such as Gateways, names its own).
        `on_listed`: told once a list is wholly delivered, after `on_relist` and the changes
        it made were reported (so a reader waiting for it sees their effects).
        `relist_notifies=False`: a list's changes go to `on_relist` alone, not to
        `on_change` again (a reader that has just taken the whole list)."""
        self._api = api
        self._key = key
        self._kept = kept or slim
        self._trigger = trigger or (lambda kept_object: kept_object)
        self._on_change = on_change
        self._listeners: list[OnChange] = []
        self._on_relist = on_relist
        self._on_deleted = on_deleted
        self._on_listed = on_listed
        self._relist_notifies = relist_notifies
        self._services: dict[str, Service] = {}
        self._lock = threading.Lock()
        self.synced = threading.Event()
        self.relists = 0

    def subscribe(self, on_change: OnChange) -> None:
        """Also tell `on_change` of every change: a second reader of the same store (the
        route store reads the domain policy's Namespace store) needs no watch of its own."""
        self._listeners.append(on_change)

    def _notify(self, keys: set[str]) -> None:
        self._on_change(keys)
        for listener in self._listeners:
            listener(keys)

    def snapshot(self) -> list[Service]:
        with self._lock:
            return list(self._services.values())

    def get(self, key: str) -> dict[str, Any] | None:
        """The object of this key ("service/ns/name") as last seen, for reporters."""
        with self._lock:
            found = self._services.get(key)
        return dict(found) if found is not None else None

    def relist(self) -> str:
        items, version = self._api.list()
        kept = [self._kept(item) for item in items]
        fresh: dict[str, Service] = {self._key(item): item for item in kept}
        with self._lock:
            changed = {k for k in fresh.keys() | self._services.keys()
                       if self._changed(self._services.get(k), fresh.get(k))}
            self._services = fresh
        self.relists += 1
        if self._on_relist is not None:
            self._on_relist(list(fresh.values()))
        self.synced.set()
        if changed and self._relist_notifies:
            self._notify(changed)
        if self._on_listed is not None:
            self._on_listed()
        return version

    def run(self, stop: threading.Event) -> None:
        """List, then watch until `stop`; re-list on 410 Gone; back off on other errors."""
        version, failures = "", 0
        while not stop.is_set():
            try:
                if not version:
                    version = self.relist()
                for event in self._api.watch(version, stop):
                    version = self._apply(event) or version
                failures = 0
            except Gone:
                log.info("Service watch expired (410 Gone); re-listing")
                version = ""
            except Exception as exc:  # transient: the apiserver restarts, a socket drops
                failures += 1
                delay = RECONNECT.delay(failures)
                log.warning("Service watch failed (%s); retrying in %.1fs", exc, delay)
                stop.wait(delay)

    def _apply(self, event: dict[str, Any]) -> str | None:
        kind, item = event["type"], event["object"]
        version: str | None = item.get("metadata", {}).get("resourceVersion")
        if kind == "BOOKMARK":
            return version
        if kind == "ERROR":
            if item.get("code") == 410:
                raise Gone()
            raise RuntimeError(f"watch error: {item.get('message')}")
        copy = self._kept(item)
        key = self._key(copy)
        with self._lock:
            if kind == "DELETED":
                changed = self._services.pop(key, None) is not None
            else:
                changed = self._changed(self._services.get(key), copy)
                self._services[key] = copy
        if kind == "DELETED" and self._on_deleted is not None:
            self._on_deleted({key})
        if changed:
            self._notify({key})
        return version

    def _changed(self, before: Service | None, after: Service | None) -> bool:
        if before is None or after is None:
            return before is not after
        return bool(self._trigger(before) != self._trigger(after))


class KubernetesServices:
    """ServiceAPI over the kubernetes client, scoped to one namespace or all, and to the
    Services a label selector matches (applied by the API server) or all."""

    def _trim(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return slim(item)

    def __init__(self, core: Any, namespace: str = "", label_selector: str = "") -> None:
        self._core = core
        self._namespace = namespace
        self._label_selector = label_selector

    def _call(self, **kwargs: Any) -> Any:
        if self._label_selector:
            kwargs["label_selector"] = self._label_selector
        if self._namespace:
            return self._core.list_namespaced_service(self._namespace, **kwargs)
        return self._core.list_service_for_all_namespaces(**kwargs)

    def list(self) -> tuple[list[dict[str, Any]], str]:
        """Every object, read `LIST_PAGE` at a time and trimmed page by page: a relist of
        20,000 Services never holds them all as full JSON at once (a process keeps the peak
        of its heap as RSS). The pages are one consistent snapshot; the last one's
        resourceVersion is the list's."""
        import json

        items: list[dict[str, Any]] = []
        token = ""
        while True:
            paging: dict[str, Any] = {"limit": LIST_PAGE, "_preload_content": False,
                                      "_request_timeout": LIST_TIMEOUT}
            if token:
                paging["_continue"] = token
            body = json.loads(self._call(**paging).data)
            items += [self._trim(item) for item in body.get("items") or ()]
            token = body["metadata"].get("continue") or ""
            if not token:
                return items, body["metadata"].get("resourceVersion", "")

    def watch(self, resource_version: str, stop: threading.Event) -> Iterable[dict[str, Any]]:
        import json

        from kubernetes.client.exceptions import ApiException

        try:
            response = self._call(
                watch=True, resource_version=resource_version, allow_watch_bookmarks=True,
                timeout_seconds=WATCH_TIMEOUT, _preload_content=False,
                _request_timeout=(10, WATCH_TIMEOUT + 30))
        except ApiException as exc:
            if exc.status == 410:
                raise Gone() from exc
            raise
        try:
            for line in _lines(response):
                if stop.is_set():
                    return
                if line:
                    yield json.loads(line)
        finally:
            response.release_conn()


class KubernetesIngresses(KubernetesServices):
    """The same over networking.k8s.io/v1 Ingresses (kubernetes.client.NetworkingV1Api)."""

    def _trim(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return ingress.slim(item)

    def _call(self, **kwargs: Any) -> Any:
        if self._label_selector:
            kwargs["label_selector"] = self._label_selector
        if self._namespace:
            return self._core.list_namespaced_ingress(self._namespace, **kwargs)
        return self._core.list_ingress_for_all_namespaces(**kwargs)


class Readable(Protocol):
    """What the controller and the reporters read of a store."""

    def snapshot(self) -> list[Service]: ...

    def get(self, key: str) -> dict[str, Any] | None: ...


class Combined:
    """Several stores seen as one (the Service, Ingress and route stores), for the controller
    and the reporters: keys carry their kind, so they never collide (`dnsgate.objectkey`)."""

    def __init__(self, *stores: Readable) -> None:
        self.stores = stores

    def snapshot(self) -> list[Service]:
        return [obj for store in self.stores for obj in store.snapshot()]

    def get(self, key: str) -> dict[str, Any] | None:
        for store in self.stores:
            found = store.get(key)
            if found is not None:
                return found
        return None


def _lines(response: Any) -> Iterable[str]:
    buffer = b""
    for chunk in response.stream(amt=65536, decode_content=False):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.decode()
    if buffer.strip():
        yield buffer.decode()
