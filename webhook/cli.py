"""`dnsgate webhook`: serve the admission webhook over TLS until stopped.

It only reads its serving certificate: in a cluster from the Secret the kubelet mounts
(kept by the `dnsgate-certs` Deployment or by cert-manager), elsewhere from files `dnsgate
certs --out-dir` wrote. It keeps no certificate and holds no right to (docs/security.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from dnsgate import flags, logs, publication
from dnsgate.errors import ConfigError

HELP = "serve the admission webhook over TLS"

if TYPE_CHECKING:
    from webhook.settings import AdmissionSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # What is published, and by whom: the reconciler's flags, parsed by the same function.
    publication.add_arguments(parser, domains_required=True)
    flags.add(parser, "--tls-cert-file", required=True, type=Path,
              help="PEM serving certificate; re-read for every new connection, so a renewal "
                   "(a mounted Secret updated by the kubelet) is served without a restart")
    flags.add(parser, "--tls-key-file", required=True, type=Path,
              help="PEM private key of the serving certificate")
    flags.add(parser, "--port", type=int, default=8443, help="HTTPS port")
    flags.add(parser, "--host", default="0.0.0.0", help="address to listen on")
    flags.add(parser, "--default-ttl", type=int, default=60,
              help="seconds; the ttl annotation added to Services that set none")
    flags.add(parser, "--workers", type=int, default=2, help="gunicorn worker processes")
    flags.add(parser, "--threads", type=int, default=4, help="threads per worker")
    flags.add(parser, "--review-routes", choices=("plain-wsgi", "flask"), default="plain-wsgi",
              help="how /validate and /mutate are served: plain-wsgi (a WSGI callable in "
                   "front of Flask, same answers, less time per review) or flask (every "
                   "route through Flask, to compare)")
    flags.add(parser, "--request-timeout", type=float, default=10.0,
              help="seconds a connection may take for a request's body and its answer "
                   "before it is closed; the TLS handshake and the request's head must come "
                   "within 2.5 s (or this, if shorter), so slow clients cannot hold threads")
    logs.add_arguments(parser)


def _metrics_directory() -> None:
    """Give prometheus-client's multiprocess mode a clean directory, before it is imported
    (it picks its storage at import time). An existing setting is honoured and emptied."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory is None:
        directory = tempfile.mkdtemp(prefix="dnsgate-webhook-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    Path(directory).mkdir(parents=True, exist_ok=True)
    for stale in Path(directory).glob("*.db"):
        stale.unlink()
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess directory "
                           "was set; /metrics would miss other workers")


def run(args: argparse.Namespace) -> int:
    _metrics_directory()
    from webhook import watch
    from webhook.server import WebhookServer
    from webhook.settings import ServingSettings

    admission = admission_settings(args)
    if not args.request_timeout > 0:
        raise ConfigError(f"--request-timeout {args.request_timeout}: use a number of seconds "
                          "above 0")
    try:  # the watch threads connect later, in each worker: a bad kubeconfig fails here
        watch.api_client()
    except Exception as exc:  # ConfigException, or a malformed kubeconfig
        raise ConfigError(f"cannot reach the Kubernetes API to watch Services: {exc}") from exc
    logs.setup(args.log_level, args.log_format)
    for flag, path in (("--tls-cert-file", args.tls_cert_file),
                       ("--tls-key-file", args.tls_key_file)):
        if not path.is_file():
            raise ConfigError(f"{flag} {path}: no such file; mount the webhook's TLS Secret "
                              "there (kept by `dnsgate certs --keep` or cert-manager), or run "
                              "`dnsgate certs --out-dir ...` first")
    serving = ServingSettings(
        cert_file=args.tls_cert_file, key_file=args.tls_key_file, host=args.host,
        port=args.port, workers=args.workers, threads=args.threads,
        request_timeout=args.request_timeout, plain_reviews=args.review_routes == "plain-wsgi",
    )
    WebhookServer(admission, serving).run()
    return 0


def admission_settings(args: argparse.Namespace) -> AdmissionSettings:
    """What decides a verdict: the shared settings (`dnsgate.publication`, the reconciler's
    own parse) sliced for the review and the watch, and the TTL the mutation adds."""
    from webhook.settings import AdmissionSettings

    shared = publication.from_args(args)
    if not 1 <= args.default_ttl <= 2**31 - 1:
        raise ConfigError(f"--default-ttl {args.default_ttl} is out of range; use 1 to "
                          "2147483647 seconds")
    return AdmissionSettings.of(shared, default_ttl=args.default_ttl)

