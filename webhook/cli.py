"""`dnsgate webhook`: serve the admission webhook over TLS until stopped."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from dnsgate import flags, logs

HELP = "serve the admission webhook over TLS"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add(parser, "--domain-filter", action="append", required=True,
              help="manage only names in this domain (dot boundary; repeatable)")
    flags.add(parser, "--exclude-domains", action="append",
              help="never manage names in this domain (repeatable)")
    flags.add(parser, "--tls-cert-file", required=True, type=Path,
              help="PEM serving certificate; re-read for every new connection")
    flags.add(parser, "--tls-key-file", required=True, type=Path,
              help="PEM private key of the serving certificate")
    flags.add(parser, "--port", type=int, default=8443, help="HTTPS port")
    flags.add(parser, "--host", default="0.0.0.0", help="address to listen on")
    flags.add(parser, "--default-ttl", type=int, default=60,
              help="seconds; the ttl annotation added to Services that set none")
    flags.add(parser, "--workers", type=int, default=2, help="gunicorn worker processes")
    flags.add(parser, "--threads", type=int, default=4, help="threads per worker")
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
    from dnsgate.domains import DomainFilter
    from webhook import watch
    from webhook.server import WebhookServer
    from webhook.settings import AdmissionSettings, ServingSettings

    if not 1 <= args.default_ttl <= 2**31 - 1:
        raise SystemExit(f"--default-ttl {args.default_ttl}: use 1 to 2147483647 seconds")
    for path in (args.tls_cert_file, args.tls_key_file):
        if not path.is_file():
            raise SystemExit(f"{path}: no such file; run `dnsgate certs --out-dir ...` first")
    try:
        watch.api_client()
    except Exception as exc:  # ConfigException, or a malformed kubeconfig
        raise SystemExit(f"dnsgate webhook: cannot reach the Kubernetes API to watch "
                         f"Services: {exc}") from exc
    logs.setup(args.log_level, args.log_format)
    admission = AdmissionSettings(
        domains=DomainFilter.of(args.domain_filter, args.exclude_domains),
        default_ttl=args.default_ttl,
    )
    serving = ServingSettings(
        cert_file=args.tls_cert_file, key_file=args.tls_key_file, host=args.host,
        port=args.port, workers=args.workers, threads=args.threads,
    )
    WebhookServer(admission, serving).run()
    return 0
