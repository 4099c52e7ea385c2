"""`dnsgate reconcile`: flags (ExternalDNS's names; each also from DNSGATE_* env), and the
wiring of watch -> controller -> Route53. Heavy imports happen inside `run`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING, NoReturn, cast

from dnsgate import flags

if TYPE_CHECKING:
    from reconciler.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    def one_line_error(message: str) -> NoReturn:
        # The issue asks for one clear line at start, not argparse's usage block.
        parser.exit(2, f"dnsgate reconcile: error: {message} (see dnsgate reconcile --help)\n")

    parser.error = one_line_error  # type: ignore[method-assign]
    flags.add(parser, "--domain-filter", action="append", metavar="DOMAIN",
              help="manage only names in these domains (repeatable; empty: every zone)")
    flags.add(parser, "--exclude-domains", action="append", metavar="DOMAIN",
              help="never manage names in these subdomains (repeatable)")
    flags.add(parser, "--txt-owner-id", default="default",
              help="owner id written to and required in ownership TXT records")
    flags.add(parser, "--txt-prefix", default="", help="prefix for ownership TXT names")
    flags.add(parser, "--txt-suffix", default="",
              help="suffix for the first label of ownership TXT names")
    flags.add(parser, "--txt-wildcard-replacement", default="",
              help="label that replaces a leading '*' in ownership TXT names")
    flags.add(parser, "--txt-encrypt-enabled", action="store_true",
              help="encrypt ownership TXT values (needs --txt-encrypt-aes-key)")
    flags.add(parser, "--txt-encrypt-aes-key", default="",
              help="AES-256-GCM key for TXT values: 32 bytes, raw or base64; enables encryption")
    flags.add(parser, "--aws-zone-type", default="",
              help='only zones of this type: public, private, or "" for both')
    flags.add(parser, "--zone-id-filter", action="append", metavar="ZONE_ID",
              help="only these hosted zone ids (repeatable)")
    flags.add(parser, "--policy", default="sync",
              help="sync (create, update, delete), upsert-only (no deletes) or create-only")
    flags.add(parser, "--interval", default="1m",
              help="full resync period: seconds or a Go duration (ExternalDNS default 1m)")
    flags.add(parser, "--once", action="store_true", help="sync once, then exit (0: all landed)")
    flags.add(parser, "--dry-run", action="store_true",
              help="print the planned changes as a table and change nothing")
    flags.add(parser, "--namespace", default="", help="watch only this namespace (default all)")
    flags.add(parser, "--log-level", default="info", help="debug, info, warning or error")


def run(args: argparse.Namespace) -> int:
    from reconciler import settings as settings_module
    from reconciler.errors import ConfigError

    logging.basicConfig(stream=sys.stderr, level=str(args.log_level).upper(),
                        format="dnsgate reconcile: %(levelname)s %(message)s")
    for noisy in ("botocore", "urllib3", "kubernetes"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = settings_module.from_args(args)
    except ConfigError as exc:
        print(f"dnsgate reconcile: error: {exc}", file=sys.stderr)
        return 2
    try:
        return _serve(settings)
    except ConfigError as exc:
        print(f"dnsgate reconcile: error: {exc}", file=sys.stderr)
        return 2


def _serve(settings: Settings) -> int:
    import boto3
    from botocore.config import Config
    from kubernetes import client, config

    from reconciler import watch
    from reconciler.controller import Controller
    from reconciler.errors import ConfigError, ReconcileError
    from reconciler.report import LogReporter
    from reconciler.route53 import Provider, Route53Client

    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        try:
            config.load_kube_config()  # type: ignore[no-untyped-call]
        except (config.ConfigException, OSError) as exc:
            raise ConfigError(f"no Kubernetes API: not in a cluster, and kubeconfig: {exc}") \
                from exc
    # botocore's retries off: throttle.call retries with our backoff and counts every call.
    route53 = boto3.client("route53", config=Config(retries={"total_max_attempts": 1}))
    api = watch.KubernetesServices(client.CoreV1Api(), settings.source.namespace)
    controller: Controller
    store = watch.ServiceStore(api, lambda keys: controller.notify(keys))
    controller = Controller(
        settings.controller, settings.source, settings.registry,
        Provider(cast(Route53Client, route53), settings.route53), store, LogReporter(),
        out=sys.stdout)
    log = logging.getLogger("dnsgate.reconcile")
    try:
        if settings.controller.once:
            store.relist()
            ok = controller.run_once()
            log.info("sync %s", "complete" if ok else "finished with failures")
            return 0 if ok else 1
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: controller.shutdown())
        threading.Thread(target=store.run, args=(controller.stop,), name="watch-services",
                         daemon=True).start()
        while not store.synced.wait(0.5):
            if controller.stop.is_set():
                return 0
        controller.run()
        log.info("stopped")
        return 0
    except ConfigError:
        raise  # `run` prints it as the one error line, exit 2
    except ReconcileError as exc:
        log.error("%s", exc)
        return 1
