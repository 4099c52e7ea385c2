"""`dnsgate webhook`: serve the admission webhook over TLS until stopped.

With `--certificate-secret` it also issues, stores, renews and injects its own serving
certificate (webhook/certificate.py); without it the certificate files must be there already
(cert-manager's Secret mounted, or `dnsgate certs --out-dir`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dnsgate import flags, logs, publication
from dnsgate.errors import ConfigError

HELP = "serve the admission webhook over TLS"

if TYPE_CHECKING:
    from webhook.certificate import CertificateRenewer
    from webhook.settings import AdmissionSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # What is published, and by whom: the reconciler's flags, parsed by the same function.
    publication.add_arguments(parser, domains_required=True)
    flags.add(parser, "--tls-cert-file", required=True, type=Path,
              help="PEM serving certificate; re-read for every new connection")
    flags.add(parser, "--tls-key-file", required=True, type=Path,
              help="PEM private key of the serving certificate")
    flags.add(parser, "--certificate-secret",
              help="keep the serving certificate in this Secret (CA in NAME-ca), issuing it "
                   "if missing and renewing it with a third of its life left, and write it "
                   "to --tls-cert-file and --tls-key-file; without this flag those files "
                   "must exist")
    flags.add(parser, "--certificate-service", default="dnsgate-webhook",
              help="the webhook's Service; the certificate's DNS names derive from it")
    flags.add(parser, "--certificate-namespace",
              help="namespace of that Service and of --certificate-secret "
                   "(default: the pod's own namespace, else dnsgate)")
    flags.add(parser, "--certificate-check-interval", type=float, default=300.0,
              help="seconds between checks of the certificate and the CA bundle, after the "
                   "one at start")
    flags.add(parser, "--webhook-config", action="append",
              help="with --certificate-secret: inject the CA bundle into the Mutating and "
                   "the Validating WebhookConfiguration of this name (repeatable)")
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
              help="seconds a connection may take for its TLS handshake, request and answer "
                   "before it is closed (slow clients must not hold threads)")
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
    if not args.certificate_check_interval > 0:
        raise ConfigError(f"--certificate-check-interval {args.certificate_check_interval}: "
                          "use a number of seconds above 0")
    try:
        api_client = watch.api_client()
    except Exception as exc:  # ConfigException, or a malformed kubeconfig
        raise ConfigError(f"cannot reach the Kubernetes API to watch Services: {exc}") from exc
    logs.setup(args.log_level, args.log_format)
    renewer = None
    if args.certificate_secret:
        renewer = _keep_certificate(args, api_client)
    elif args.webhook_config:
        raise ConfigError("--webhook-config needs --certificate-secret (the CA it injects is "
                          "the one kept in that Secret)")
    for flag, path in (("--tls-cert-file", args.tls_cert_file),
                       ("--tls-key-file", args.tls_key_file)):
        if not path.is_file():
            raise ConfigError(f"{flag} {path}: no such file; give --certificate-secret, or run "
                              "`dnsgate certs --out-dir ...` first")
    serving = ServingSettings(
        cert_file=args.tls_cert_file, key_file=args.tls_key_file, host=args.host,
        port=args.port, workers=args.workers, threads=args.threads,
        request_timeout=args.request_timeout, plain_reviews=args.review_routes == "plain-wsgi",
    )
    WebhookServer(admission, serving, renewer=renewer).run()
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


def _keep_certificate(args: argparse.Namespace, api_client: Any) -> CertificateRenewer:
    """The first pass, before serving: a pod that cannot get a certificate exits saying why,
    instead of starting and failing every TLS handshake."""
    from kubernetes.client import ApiException

    from certs.inject import MissingConfiguration
    from certs.stores import StoreConflict
    from webhook import certificate, watch

    settings = certificate.CertificateSettings(
        secret=args.certificate_secret,
        service=args.certificate_service,
        namespace=args.certificate_namespace or certificate.default_namespace(),
        webhook_configs=tuple(args.webhook_config),
        cert_file=args.tls_cert_file,
        key_file=args.tls_key_file,
        check_interval=args.certificate_check_interval,
    )
    where = f"Secret {settings.namespace}/{settings.secret}"
    log = logging.getLogger("dnsgate.webhook.certificate")
    try:
        report = certificate.ensure(settings, api_client)
    except MissingConfiguration as exc:
        # The certificate is stored and written by now; only the injection waits. Serving
        # lets the configuration be applied after the webhook (or re-created) without a
        # crash loop; the next pass injects into it.
        log.warning("%s; the CA bundle goes in at the next check, in %.0f s", exc,
                    settings.check_interval)
        return certificate.CertificateRenewer(settings, watch.api_client)
    except ApiException as exc:
        hint = (" (the webhook's ServiceAccount needs the rights in "
                "manifests/base/rbac-webhook.yaml)" if exc.status == 403 else "")
        raise ConfigError(f"--certificate-secret: cannot keep the serving certificate in "
                          f"{where}: {exc.status} {exc.reason}{hint}") from exc
    except StoreConflict as exc:
        raise ConfigError(f"--certificate-secret: {exc}, three times in a row; is something "
                          f"else rewriting {where}?") from exc
    for line in report.lines:
        log.info(line)
    return certificate.CertificateRenewer(settings, watch.api_client)
