"""`dnsgate certs --keep`: keep the webhook's certificate in place until stopped.

This is what the `dnsgate-certs` Deployment runs (docs/security.md says why it is a pod of
its own, apart from the webhook). It runs one pass of `certs.keeper` at start and then one
every `interval` seconds: it issues the CA and the serving certificate into their Secrets,
renews the certificate with a third of its life left, and puts back a caBundle that
something blanked or overwrote. The webhook pods mount the serving Secret and the kubelet
brings them each new version (docs/kubelet.md, "Volumes"); nothing else is told.

A pass that fails is logged and tried again after `RETRY_AFTER` seconds, as the certificate
already in place keeps serving meanwhile; only a refusal by RBAC at the first pass ends the
process, because no later pass can succeed without a change to the install. A pass that
found a webhook configuration missing succeeded (the Secrets are in place, so the webhook
pods can start), and the next one comes after `RETRY_AFTER` seconds too: Argo CD applies the
configurations in a sync wave after this Deployment is ready, and from then until the CA
bundle is in, the apiserver cannot reach the webhook (docs/install.md, "Sync waves").

`--health-port` serves /healthz (a pass finished recently: a loop stuck in a call that never
returns gets the pod restarted) and /readyz (the last pass succeeded, missing configurations
or not: readiness that waited for them would hold back the wave that applies them).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from certs import keeper, rotation
from certs.stores import Store
from dnsgate.errors import ConfigError

log = logging.getLogger("dnsgate.certs")

# Seconds before a failed pass is tried again: soon, since a missing caBundle blocks
# DNS-annotated Services (failurePolicy Fail), yet slow enough not to hammer an apiserver
# that is down.
RETRY_AFTER = 5.0
# A loop is alive while its last pass finished less than this many intervals ago.
STUCK_AFTER_INTERVALS = 3


@dataclass(frozen=True)
class Keeping:
    """What the keeper keeps, and how often it looks."""

    stores: Sequence[Store]
    wanted: rotation.Wanted
    configurations: Sequence[keeper.Configuration]
    admission_api: Any
    # Seconds between passes. A pass that changes nothing costs four GETs, so this is short:
    # a blanked caBundle blocks DNS-annotated Services until it is put back.
    interval: float = 60.0


@dataclass
class Progress:
    """When the last pass finished, and whether it succeeded; read by the health server."""

    finished: float = field(default_factory=time.monotonic)
    ok: bool = False
    detail: str = "no pass yet"
    # The webhook configurations the last pass found missing: look again soon.
    missing: tuple[str, ...] = ()


def run_pass(keeping: Keeping) -> keeper.Report:
    return keeper.ensure(keeping.stores, keeping.wanted, configurations=keeping.configurations,
                         admission_api=keeping.admission_api)


def logged_pass(keeping: Keeping, progress: Progress,
                run: Callable[[Keeping], keeper.Report] = run_pass, *,
                announce: bool = False) -> bool:
    """One pass, its outcome recorded; its lines logged at info when it wrote something or
    `announce` (the first pass says what it found), else at debug (a quiet minute's check).
    False when it failed."""
    try:
        report = run(keeping)
    except ConfigError:
        raise
    except Exception as exc:  # ApiException, MissingConfiguration, StoreConflict, network
        log.warning("keeping the webhook's certificate failed; trying again in %.0f s: %s",
                    min(keeping.interval, RETRY_AFTER), exc)
        progress.finished, progress.ok, progress.detail = time.monotonic(), False, str(exc)
        return False
    for line in report.lines:
        log.log(logging.INFO if report.wrote or announce else logging.DEBUG, line)
    # A configuration that goes missing (deleted, or not applied yet) takes the admission
    # check away: said once as a warning, not buried in each quiet pass's debug lines.
    for name in report.missing:
        if name not in progress.missing:
            log.warning("%s does not exist: no Service is reviewed through it; its CA bundle "
                        "goes in once it is applied (looking every %.0f s)", name,
                        min(keeping.interval, RETRY_AFTER))
    progress.finished, progress.ok, progress.detail = time.monotonic(), True, report.lines[-1]
    progress.missing = report.missing
    return True


def keep(keeping: Keeping, progress: Progress, stop: threading.Event,
         run: Callable[[Keeping], keeper.Report] = run_pass) -> None:
    """Pass after pass until `stop` is set; the first pass has already run."""
    while not stop.wait(keeping.interval if progress.ok and not progress.missing
                        else min(keeping.interval, RETRY_AFTER)):
        logged_pass(keeping, progress, run)


def stop_on_sigterm() -> threading.Event:
    """An event set by SIGTERM (the kubelet's stop) or SIGINT: the loop ends between passes,
    and the process exits 0 well within the grace period."""
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def serve_health(port: int, keeping: Keeping, progress: Progress) -> ThreadingHTTPServer:
    """/healthz and /readyz on `port`, in a daemon thread."""
    def check(path: str) -> tuple[int, str]:
        if path == "/readyz":
            return (200 if progress.ok else 503), progress.detail
        since = time.monotonic() - progress.finished
        limit = STUCK_AFTER_INTERVALS * max(keeping.interval, RETRY_AFTER)
        if since > limit:
            return 503, f"no pass has finished for {since:.0f} s (limit {limit:.0f} s)"
        return 200, f"last pass finished {since:.0f} s ago"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            code, text = check(path) if path in ("/healthz", "/readyz") else (404, "not found")
            body = (text + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # probes every few seconds would drown the log

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server
