"""Keeps a `ClaimIndex` current: list Services in every namespace, then watch from there.

The list's resourceVersion starts the watch; bookmarks (allowWatchBookmarks) move it forward
even when nothing changes, so a reconnect rarely needs a re-list. When the apiserver answers
410 Gone (the version was compacted away), the loop lists again and replaces the index whole.
Any other failure is retried with capped exponential backoff; the index keeps serving its
last known state meanwhile.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Protocol, cast

from webhook.index import ClaimIndex

log = logging.getLogger(__name__)

GONE = 410
# Seconds a single watch call may stay open; the apiserver ends watches after 30-60 min
# anyway, and a shorter bound surfaces a silently dead connection sooner.
WATCH_SECONDS = 300
BACKOFF_MAX = 30.0


def api_client() -> Any:
    """A client from the pod's service account, or else from KUBECONFIG; raises
    dnsgate.kube.NoKubernetesAPI when neither is there."""
    from kubernetes import client

    from dnsgate import kube

    kube.load_config()
    return client.ApiClient()


class ServiceAPI(Protocol):
    """The one call of kubernetes.client.CoreV1Api this loop makes (list, and watch)."""

    def list_service_for_all_namespaces(self, **kwargs: Any) -> Any: ...


class ServiceWatcher:
    def __init__(self, index: ClaimIndex, services: ServiceAPI | None = None) -> None:
        self.index = index
        self._services = services
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop in a daemon thread (it dies with its gunicorn worker)."""
        self._thread = threading.Thread(target=self.run, name="service-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """List, watch, re-list on 410 Gone, back off on errors; until `stop()`."""
        from kubernetes import client

        # CoreV1Api satisfies ServiceAPI at runtime; its generated stubs spell it differently.
        core = self._services or cast(ServiceAPI, client.CoreV1Api(api_client()))
        backoff = 0.5
        while not self._stop.is_set():
            try:
                version = self._list(core)
                backoff = 0.5
                self._watch(core, version)
            except client.ApiException as exc:
                if exc.status != GONE:
                    log.warning("Service watch failed (%s); retrying in %.1fs", exc, backoff)
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX)
            except Exception as exc:  # network errors of urllib3, decoding errors
                log.warning("Service watch failed (%r); retrying in %.1fs", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    def _list(self, core: ServiceAPI) -> str:
        response = core.list_service_for_all_namespaces(_preload_content=False)
        body = json.loads(response.data)
        self.index.replace(body.get("items") or [])
        version: str = body["metadata"]["resourceVersion"]
        log.info("listed %d Services at resourceVersion %s", len(body["items"] or []), version)
        return version

    def _watch(self, core: ServiceAPI, version: str) -> None:
        """Follow changes until the apiserver ends the watch; raise ApiException 410 to
        ask for a re-list."""
        from kubernetes import watch

        while not self._stop.is_set():
            stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
                core.list_service_for_all_namespaces,
                resource_version=version,
                allow_watch_bookmarks=True,
                timeout_seconds=WATCH_SECONDS,
            )
            for event in stream:
                # raw_object is the event's JSON as sent; the client turns an ERROR event
                # (410 Gone included) into ApiException itself.
                kind, obj = event["type"], event["raw_object"]
                version = (obj.get("metadata") or {}).get("resourceVersion") or version
                if kind in ("ADDED", "MODIFIED"):
                    self.index.upsert(obj)
                elif kind == "DELETED":
                    self.index.delete(obj)
                if self._stop.is_set():
                    return
