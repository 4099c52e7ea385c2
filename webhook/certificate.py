"""The webhook keeping its own serving certificate (`dnsgate webhook --certificate-secret`).

Before gunicorn starts, one pass of `certs.keeper` makes sure the CA and the serving
certificate exist in the Secrets, writes the serving pair to `--tls-cert-file` and
`--tls-key-file` (an emptyDir in the pod) and injects the CA bundle into the
WebhookConfigurations. Each worker then repeats the pass every `check_interval` seconds: it
renews the certificate when a third of its life is left, picks up a certificate another
replica renewed, and puts back a caBundle that something overwrote. gunicorn re-reads the
files for every new connection, so nothing restarts.

Why here and not in a Job or a hook: docs/install.md ("Hooks, and why dnsgate does not use
them"); the concurrency rules: docs/install.md ("What dnsgate does instead").

A file lock beside the certificate serialises the passes of one pod's workers, so two of
them never write the key of one certificate and the certificate of another.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from certs import inject, keeper, rotation
from certs.stores import SecretStore, ServingFiles

log = logging.getLogger("dnsgate.webhook.certificate")

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


@dataclass(frozen=True)
class CertificateSettings:
    """Where the webhook keeps its certificate and whom it tells about the CA."""

    secret: str
    service: str
    namespace: str
    webhook_configs: tuple[str, ...]
    cert_file: Path
    key_file: Path
    # Seconds between passes. A caBundle blanked by someone else blocks DNS-annotated
    # Services (failurePolicy Fail) until it is put back, so this is minutes, not the
    # day the renewal itself could wait; a pass that changes nothing costs four GETs.
    check_interval: float = 300.0

    @property
    def configurations(self) -> tuple[keeper.Configuration, ...]:
        kinds: tuple[inject.Kind, ...] = ("mutating", "validating")
        return tuple((kind, name) for name in self.webhook_configs for kind in kinds)


def default_namespace() -> str:
    """The pod's own namespace when in a cluster, else dnsgate's usual one."""
    try:
        return SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or "dnsgate"
    except OSError:
        return "dnsgate"


def ensure(settings: CertificateSettings, api_client: Any) -> keeper.Report:
    """One pass; raises kubernetes ApiException or inject.MissingConfiguration."""
    from kubernetes import client

    stores = (
        SecretStore(client.CoreV1Api(api_client), settings.namespace, settings.secret),
        ServingFiles(settings.cert_file, settings.key_file),
    )
    wanted = rotation.Wanted(service=settings.service, namespace=settings.namespace)
    with _lock(settings.cert_file.parent / ".dnsgate-certificate.lock"):
        return keeper.ensure(
            stores, wanted, configurations=settings.configurations,
            admission_api=client.AdmissionregistrationV1Api(api_client),
        )


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class CertificateRenewer:
    """Repeats `ensure` in a daemon thread of one gunicorn worker until stopped.

    It is built before gunicorn forks and started in each worker; its Kubernetes client is
    made in the worker (by `client_factory`), as a connection pool must not be shared
    across a fork."""

    def __init__(
        self, settings: CertificateSettings, client_factory: Callable[[], Any]
    ) -> None:
        self.settings = settings
        self.client_factory = client_factory
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self.run, name="certificate-renewal", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        api_client = self.client_factory()
        while not self._stop.wait(self.settings.check_interval):
            self.run_once(api_client)

    def run_once(self, api_client: Any) -> None:
        """One pass, logged; a failure is logged and retried at the next interval, as the
        current certificate keeps serving meanwhile."""
        try:
            report = ensure(self.settings, api_client)
        except Exception as exc:  # ApiException, MissingConfiguration, network errors
            log.warning("keeping the serving certificate in Secret %s/%s failed; retrying "
                        "in %.0f s: %s", self.settings.namespace, self.settings.secret,
                        self.settings.check_interval, exc)
            return
        for line in report.lines:
            log.log(logging.INFO if report.wrote else logging.DEBUG, line)
