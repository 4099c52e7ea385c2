"""gunicorn serving the app over TLS, configured in code rather than a config file.

- gthread workers with keep-alive: kube-apiserver reuses its connections to a webhook, and
  gunicorn's sync worker would close each one after a response. The worker is
  `webhook.worker.DeadlineWorker`: a connection gets a thread only once it has sent
  something, then a short deadline for its handshake and request head and
  `request_timeout` seconds for its answer. gunicorn itself gives a new connection a thread
  at once and has no read timeout, so idle or one-byte clients would hold every thread.
- TLS 1.2 at least, set in gunicorn's `ssl_context` hook. gunicorn calls the hook for every
  accepted connection and its default factory re-reads `certfile`/`keyfile` each time, so a
  renewed certificate (a Secret volume updated in place) is served without a restart.
- The Flask app and its Service index are built in each worker after the fork (no
  preload): the watch thread must live in the process that answers. `post_worker_init`
  starts it.
- Metrics use prometheus-client's multiprocess mode: `dnsgate webhook` points
  PROMETHEUS_MULTIPROC_DIR at an empty directory before anything imports prometheus-client,
  and `child_exit` marks a dead worker's gauges so /metrics (any worker) adds up all of them.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from dnsgate import domainpolicy, objectkey, policywatch, publication
from webhook import routewatch
from webhook.app import create_app
from webhook.index import ClaimIndex
from webhook.owners import NoIndex, OwnersLookup, OwnersWatch
from webhook.settings import AdmissionSettings, ServingSettings
from webhook.watch import ServiceWatcher
from webhook.worker import with_timeout


def tls_context(config: Any, default_factory: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    context = default_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _unenforced() -> domainpolicy.Enforcement:
    return domainpolicy.UNENFORCED


class WebhookServer(BaseApplication):  # type: ignore[misc]
    def __init__(
        self,
        admission: AdmissionSettings,
        serving: ServingSettings,
    ) -> None:
        self.admission = admission
        self.serving = serving
        self.watchers: list[ServiceWatcher | OwnersWatch | routewatch.RouteWatch] = []
        self.policy: policywatch.PolicyWatch | None = None
        super().__init__()

    def load_config(self) -> None:
        options = {
            "bind": f"{self.serving.host}:{self.serving.port}",
            "certfile": str(self.serving.cert_file),
            "keyfile": str(self.serving.key_file),
            "ssl_context": tls_context,
            "worker_class": with_timeout(self.serving.request_timeout),
            "workers": self.serving.workers,
            "threads": self.serving.threads,
            "keepalive": self.serving.keepalive,
            "timeout": self.serving.timeout,
            "post_worker_init": self._post_worker_init,
            "child_exit": _child_exit,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "dnsgate-webhook",
            # gunicorn 25+ opens a control socket under $HOME/.gunicorn for `gunicornc`; on a
            # read-only root that fails with an error in every pod's log, and dnsgate manages
            # its workers through the pod's lifecycle, never through a socket anyone could use.
            "control_socket_disable": True,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        scope = self.admission.scope
        services = scope.watches(publication.SERVICE)
        routes = [kind for kind in objectkey.ROUTE_KINDS
                  if kind.name in self.admission.route_kinds]
        index = ClaimIndex(self.admission.domains, self.admission.txt,
                           publish_internal=self.admission.publish_internal,
                           ingresses=self.admission.ingresses, services=services,
                           routes=routes, also_listed=routewatch.WAITS_FOR if routes else ())
        self.watchers = [ServiceWatcher(index, scope=scope)] if services else []
        if self.admission.ingresses is not None:
            self.watchers.append(ServiceWatcher(index, ingresses=True, scope=scope))
        if routes:
            self.watchers.append(routewatch.RouteWatch(index, routes, self.admission.gateway,
                                                       scope))
        current: Callable[[], domainpolicy.Enforcement] = _unenforced
        if self.admission.domain_policy:
            from webhook import metrics
            from webhook.watch import api_client

            self.policy = policywatch.kubernetes(
                self.admission.domain_policy, api_client(),
                on_state=lambda error: metrics.POLICY_INVALID.set(1 if error else 0))
            current = self.policy.current
        owners: OwnersLookup = NoIndex()
        if self.admission.owners_index is not None:
            owners = OwnersWatch(self.admission.owners_index, self.admission.owner_id)
            self.watchers.append(owners)
        return create_app(self.admission, index, cert_file=self.serving.cert_file,
                          plain_reviews=self.serving.plain_reviews, policy=current,
                          owners=owners)

    def _post_worker_init(self, worker: Any) -> None:
        assert self.watchers, "gunicorn loads the app before post_worker_init"
        for watcher in self.watchers:
            watcher.start()
        if self.policy is not None:
            import threading

            self.policy.start(threading.Event())  # daemon threads: they die with the worker
