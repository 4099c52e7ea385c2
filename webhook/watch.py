"""Keeps a `ClaimIndex` current from `dnsgate.watch.ServiceStore`, the list+watch loop the
reconciler uses too, over Services and, when the Ingress source is on, Ingresses, in the
namespace and with the label selector the reconciler reads (`Scope`): bookmarks
keep the resourceVersion fresh, 410 Gone re-lists, other failures back off. Every full list
replaces that kind's part of the index whole (a re-list after 410 drops objects whose
DELETED event was never delivered); each watched change updates the claims of the objects
it names. The index keeps serving its last state while the watch reconnects.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from dnsgate import ingress, objectkey
from dnsgate.corev1 import CoreV1
from dnsgate.publication import Scope
from dnsgate.watch import KubernetesIngresses, KubernetesServices, ServiceAPI, ServiceStore
from webhook import heap
from webhook.index import ClaimIndex


def api_client() -> Any:
    """A client from the pod's service account, or else from KUBECONFIG; raises
    dnsgate.kube.NoKubernetesAPI when neither is there."""
    from kubernetes import client

    from dnsgate import kube

    kube.load_config()
    return client.ApiClient()


class ServiceWatcher:
    """One watch of one kind: Services, or Ingresses (`ingresses=True`)."""

    def __init__(self, index: ClaimIndex, services: ServiceAPI | None = None, *,
                 ingresses: bool = False, scope: Scope | None = None) -> None:
        """`scope`: the namespace and label selector the list and watch ask for (the
        reconciler's, so both read the same objects); default every object."""
        self.index = index
        self._services = services
        self._ingresses = ingresses
        self._scope = scope or Scope()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.store: ServiceStore | None = None

    def start(self) -> None:
        """Start the loop in a daemon thread (it dies with its gunicorn worker)."""
        name = "ingress-watch" if self._ingresses else "service-watch"
        self._thread = threading.Thread(target=self.run, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """List, watch, re-list on 410 Gone, back off on errors; until `stop()`."""
        from kubernetes import client

        namespace, selector = self._scope.namespace, self._scope.labels.text
        if self._ingresses:
            api = self._services or KubernetesIngresses(client.NetworkingV1Api(api_client()),
                                                        namespace, selector)
            store = ServiceStore(api, self._changed,
                                 on_relist=partial(self._relisted, kind=objectkey.INGRESS),
                                 kept=ingress.slim)
        else:
            api = self._services or KubernetesServices(CoreV1(api_client()), namespace,
                                                       selector)
            store = ServiceStore(api, self._changed, on_relist=self._relisted)
        self.store = store
        store.run(self._stop)

    def _relisted(self, objects: Iterable[Mapping[str, Any]],
                  kind: objectkey.Kind = objectkey.SERVICE) -> None:
        """A whole list replaces the index's part of that kind; the heap is then settled
        (`heap.settle`), so later garbage collections leave the claims just loaded alone."""
        self.index.replace(objects, kind)
        heap.settle()

    def _changed(self, keys: set[str]) -> None:
        assert self.store is not None
        self.index.refile(keys, self.store.get)
