"""`dnsgate reconcile`: flags (ExternalDNS's names; each also from DNSGATE_* env), and the
wiring of watch -> controller -> Route53. Heavy imports happen inside `run`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING

from dnsgate import flags, logs

if TYPE_CHECKING:
    from collections.abc import Callable

    from dnsgate.watch import ServiceStore
    from reconciler.checkup import Checkup
    from reconciler.controller import Controller
    from reconciler.health import HealthServer
    from reconciler.leader import LeaderElector
    from reconciler.settings import Settings


HELP = "keep Route53 in sync with annotated Services"


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
              help="AES-256-GCM key for TXT values: 32 bytes, raw or base64 (from a Secret, "
                   "never a ConfigMap; needs --txt-encrypt-enabled)")
    flags.add(parser, "--txt-encrypt-aes-key-file", default="",
              help="read the AES key from this file, e.g. a mounted Secret")
    flags.add(parser, "--aws-zone-type", default="",
              help='only zones of this type: public, private, or "" for both')
    flags.add(parser, "--zone-id-filter", action="append", metavar="ZONE_ID",
              help="only these hosted zone ids (repeatable)")
    flags.add(parser, "--policy", default="sync",
              help="sync (create, update, delete), upsert-only (no deletes) or create-only")
    flags.add(parser, "--interval", default="15m",
              help="full resync period, which repairs drift made outside Kubernetes: seconds "
                   "or a Go duration (Service changes are applied as they happen)")
    flags.add(parser, "--once", action="store_true", help="sync once, then exit (0: all landed)")
    flags.add(parser, "--dry-run", action="store_true",
              help="print the planned changes as a table and change nothing")
    flags.add(parser, "--namespace", default="", help="watch only this namespace (default all)")
    flags.add(parser, "--health-port", type=int, default=0,
              help="serve /healthz, /readyz and /metrics on this port (0: off)")
    flags.add(parser, "--leader-election-namespace", default="",
              help="hold the Lease dnsgate-reconciler in this namespace; only the leader "
                   "writes to Route53 (empty: no election, this replica always writes)")
    flags.add(parser, "--leader-election-id", default="",
              help="this replica's identity in the Lease (default: host name + random suffix)")
    flags.add(parser, "--lease-duration", type=float, default=15.0,
              help="seconds a standby waits for a silent leader before taking over")
    flags.add(parser, "--renew-deadline", type=float, default=10.0,
              help="seconds a leader may fail to renew before it stops writing")
    flags.add(parser, "--retry-period", type=float, default=2.0,
              help="seconds between attempts to acquire or renew the Lease")
    logs.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from reconciler import settings as settings_module
    from reconciler.errors import ConfigError

    logs.setup(args.log_level, args.log_format)
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
    from kubernetes import client

    from dnsgate import kube, watch
    from reconciler import access, credentials, doctor, metrics
    from reconciler.checkup import Checkup
    from reconciler.controller import Controller
    from reconciler.errors import ConfigError, ReconcileError
    from reconciler.report import LogReporter, Reporter
    from reconciler.route53 import Provider
    from reconciler.source_reads import CountingServiceAPI
    from reconciler.status import KubernetesReporter, Reporters

    try:
        kube.load_config()
    except kube.NoKubernetesAPI as exc:
        raise ConfigError(f"no Kubernetes API: {exc}") from exc
    checkup = Checkup(lambda: doctor.examine(settings, access.connect, access.aws))
    checkup.run()  # every check in the log before the first sync; failures do not stop it
    route53 = credentials.FollowingClient()  # a rotated credentials file needs no restart
    core = client.CoreV1Api()
    api = CountingServiceAPI(watch.KubernetesServices(core, settings.source.namespace),
                             metrics.EXTERNAL_DNS_SOURCE_ERRORS.inc)
    controller: Controller
    store = watch.ServiceStore(api, lambda keys: controller.notify(keys))
    reporter: Reporter = LogReporter()
    if not settings.controller.dry_run:  # a dry run changes nothing, Services included
        reporter = Reporters(reporter, KubernetesReporter(core, store.get))
    # A new leader resyncs at once: whoever led before may have written meanwhile.
    elector = _elector(settings, on_lead=lambda: controller.resync())
    if elector is None:
        metrics.LEADER.set(1)  # no election: this replica is the writer
    controller = Controller(
        settings.controller, settings.source, settings.registry,
        Provider(route53, settings.route53), store, reporter,
        gate=elector, out=sys.stdout)
    log = logging.getLogger("dnsgate.reconcile")
    try:
        if settings.controller.once:
            store.relist()
            ok = controller.run_once()
            log.info("sync %s", "complete" if ok else "finished with failures")
            return 0 if ok else 1
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: controller.shutdown())
        watcher = threading.Thread(target=store.run, args=(controller.stop,),
                                   name="watch-services", daemon=True)
        watcher.start()
        checkup.start(controller.stop)
        if settings.health_port:
            _health(settings, store, controller, elector, watcher, checkup).start()
        while not store.synced.wait(0.5):
            if controller.stop.is_set():
                return 0
        if elector is not None:
            elector.start()
        try:
            controller.run()
        finally:
            if elector is not None:
                elector.stop(release=True)  # a standby takes over at its next retry
        log.info("stopped")
        return 0
    except ConfigError:
        raise  # `run` prints it as the one error line, exit 2
    except ReconcileError as exc:
        log.error("%s", exc)
        return 1


def _elector(settings: Settings, on_lead: Callable[[], None]) -> LeaderElector | None:
    from kubernetes import client

    from reconciler.leader import LeaderElector

    if settings.leader_election is None:
        return None
    return LeaderElector(
        client.CoordinationV1Api(), settings.leader_election,
        on_change=lambda leading: on_lead() if leading else None)


def _health(settings: Settings, store: ServiceStore, controller: Controller,
            elector: LeaderElector | None, watcher: threading.Thread,
            checkup: Checkup) -> HealthServer:
    """/healthz: the watch thread turns. /readyz: every doctor check passes (else the
    failing ones, each with its fix), the watch is established and, on the writer, the last
    sync succeeded within two resync intervals."""
    from reconciler.health import HealthServer

    def alive() -> tuple[bool, str]:
        return (True, "ok") if watcher.is_alive() else (False, "Service watch thread died")

    def ready() -> tuple[bool, str]:
        healthy, failures = checkup.ready()
        if not healthy:
            return False, failures
        if not store.synced.is_set():
            return False, "Service watch not established yet"
        if elector is not None and not elector.is_leader():
            return True, "ok (standby)"
        age = controller.seconds_since_success()
        if age is None or age > 2 * settings.controller.interval + 30:
            return False, ("no successful sync yet" if age is None
                           else f"last successful sync {age:.0f}s ago")
        return True, "ok"

    return HealthServer(settings.health_port, alive=alive, ready=ready)
