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

from dnsgate import externaldns, flags, logs
from dnsgate.errors import ConfigError

HELP = "serve the admission webhook over TLS"

if TYPE_CHECKING:
    from dnsgate.ingress import IngressSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add(parser, "--domain-filter", action="append", required=True, external_dns=True,
              help="manage only names in this domain (dot boundary; repeatable)")
    flags.add(parser, "--exclude-domains", action="append", external_dns=True,
              help="never manage names in this domain (repeatable)")
    flags.add(parser, "--tls-cert-file", required=True, type=Path,
              help="PEM serving certificate; re-read for every new connection, so a renewal "
                   "(a mounted Secret updated by the kubelet) is served without a restart")
    flags.add(parser, "--tls-key-file", required=True, type=Path,
              help="PEM private key of the serving certificate")
    flags.add(parser, "--port", type=int, default=8443, help="HTTPS port")
    flags.add(parser, "--host", default="0.0.0.0", help="address to listen on")
    flags.add(parser, "--default-ttl", type=int, default=60,
              help="seconds; the ttl annotation added to Services that set none")
    flags.add(parser, "--txt-prefix", default="",
              help="the reconciler's --txt-prefix: ownership TXT names must fit DNS")
    flags.add(parser, "--txt-suffix", default="",
              help="the reconciler's --txt-suffix: ownership TXT names must fit DNS")
    flags.add(parser, "--txt-wildcard-replacement", default="",
              help="the reconciler's --txt-wildcard-replacement")
    flags.add(parser, "--publish-internal-services", action="store_true", external_dns=True,
              help="the reconciler's --publish-internal-services: ClusterIP Services' "
                   "hostnames are published, and so claimed")
    flags.add(parser, "--source", action="append", external_dns=True, metavar="SOURCE",
              help="the reconciler's --source (repeatable): with ingress, Ingresses are "
                   "reviewed and claim names too")
    flags.add(parser, "--ingress-class", action="append", external_dns=True, metavar="CLASS",
              help="the reconciler's --ingress-class: only these classes' Ingresses claim")
    flags.add(parser, "--ignore-ingress-tls-spec", action="store_true", external_dns=True,
              help="the reconciler's --ignore-ingress-tls-spec")
    flags.add(parser, "--ignore-ingress-rules-spec", action="store_true", external_dns=True,
              help="the reconciler's --ignore-ingress-rules-spec")
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
    from dnsgate import txtname
    from dnsgate.domains import DomainFilter
    from webhook import watch
    from webhook.server import WebhookServer
    from webhook.settings import AdmissionSettings, ServingSettings

    naming_error = txtname.naming_error(args.txt_prefix, args.txt_suffix,
                                        args.txt_wildcard_replacement)
    if naming_error:
        raise ConfigError(naming_error)
    if not args.request_timeout > 0:
        raise ConfigError(f"--request-timeout {args.request_timeout}: use a number of seconds "
                          "above 0")
    if not 1 <= args.default_ttl <= 2**31 - 1:
        raise ConfigError(f"--default-ttl {args.default_ttl} is out of range; use 1 to "
                          "2147483647 seconds")
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
    admission = AdmissionSettings(
        domains=DomainFilter.of(args.domain_filter, args.exclude_domains),
        default_ttl=args.default_ttl,
        txt=txtname.TXTNaming(args.txt_prefix, args.txt_suffix, args.txt_wildcard_replacement),
        publish_internal=args.publish_internal_services,
        ingresses=_ingress_settings(args),
    )
    serving = ServingSettings(
        cert_file=args.tls_cert_file, key_file=args.tls_key_file, host=args.host,
        port=args.port, workers=args.workers, threads=args.threads,
        request_timeout=args.request_timeout, plain_reviews=args.review_routes == "plain-wsgi",
    )
    WebhookServer(admission, serving).run()
    return 0


def _ingress_settings(args: argparse.Namespace) -> IngressSettings | None:
    """The Ingress source's settings when --source names ingress, else None."""
    from dnsgate.ingress import IngressSettings

    sources = tuple(args.source or ("service",))
    message = externaldns.unsupported_value("source", sources)
    if message:
        raise ConfigError(message)
    if "ingress" not in sources:
        return None
    return IngressSettings(classes=tuple(args.ingress_class or ()),
                           ignore_tls_spec=args.ignore_ingress_tls_spec,
                           ignore_rules_spec=args.ignore_ingress_rules_spec)

