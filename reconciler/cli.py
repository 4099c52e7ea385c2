"""`dnsgate reconcile`: flags (ExternalDNS's names and meanings, also read from DNSGATE_* and
EXTERNAL_DNS_* env), and the wiring of watch -> controller -> Route53. Heavy imports happen
inside `run`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from functools import partial
from typing import TYPE_CHECKING, Any

from dnsgate import externaldns, flags, logs, publication
from reconciler import alias

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from dnsgate.domainpolicy import Enforcement
    from dnsgate.policywatch import PolicyWatch
    from reconciler.checkup import Checkup
    from reconciler.controller import Controller
    from reconciler.health import HealthServer
    from reconciler.leader import LeaderElector
    from reconciler.settings import Settings


HELP = "keep Route53 in sync with annotated Services"


def add_arguments(parser: argparse.ArgumentParser, only: Collection[str] | None = None) -> None:
    """ExternalDNS's flags where dnsgate does the same (`external_dns=True`: also read from
    EXTERNAL_DNS_<FLAG>), then dnsgate's own. Every other ExternalDNS flag is refused by name,
    with the reason `dnsgate.externaldns` gives (docs/flags.md).

    `only`: the flags a command that reads these settings acts on (`dnsgate doctor`,
    `dnsgate iam-policy`); it lists those alone in its --help, refuses the others naming the
    command that takes them, and `settings` gives them their defaults."""

    def wanted(flag: str) -> bool:
        return only is None or flag in only

    def add(flag: str, **kwargs: Any) -> None:
        if wanted(flag):
            flags.add(parser, flag, external_dns=True, **kwargs)

    def own(flag: str, **kwargs: Any) -> None:
        if wanted(flag):
            flags.add(parser, flag, **kwargs)

    # What is published, and by whom: the flags the webhook reads too (dnsgate.publication).
    publication.add_arguments(parser, only=only)
    # Where to write, and how to keep ownership: each one implementation.
    add("--provider", default="aws", help="DNS provider: aws (Route53)")
    add("--registry", default="txt", help="ownership registry: txt")
    # Kubernetes
    add("--kubeconfig", default="",
        help="kubeconfig file (default: the pod's service account, else KUBECONFIG or "
             "~/.kube/config)")
    add("--server", default="", help="Kubernetes API server URL, overriding the kubeconfig's")
    # Which zones
    add("--aws-zone-type", default="", help='only zones of this type: public, private, or "" '
                                            "for both")
    add("--zone-id-filter", action="append", metavar="ZONE_ID",
        help="only these hosted zone ids (repeatable)")
    # Ownership
    add("--txt-encrypt-enabled", action="store_true",
        help="encrypt ownership TXT values (needs --txt-encrypt-aes-key)")
    add("--txt-encrypt-aes-key", default="",
        help="AES-256-GCM key for TXT values: 32 bytes, raw or base64 (from a Secret, never a "
             "ConfigMap; needs --txt-encrypt-enabled)")
    own("--txt-encrypt-aes-key-file", default="",
        help="read the AES key from this file, e.g. a mounted Secret")
    own("--rollback-release", default=alias.ROLLBACK_RELEASE,
        help="the ExternalDNS release you would go back to: a new alias record's "
             "ownership TXT is named as it writes them (before v0.22: cname-<name>; "
             "v0.22 and later: a-<name>); an alias keeps the one it has")
    add("--policy", default="sync",
        help="sync (create, update, delete), upsert-only (no deletes) or create-only")
    # AWS and Route53
    add("--aws-region", default="",
        help="AWS region to sign Route53 calls for (default: boto3's chain, AWS_REGION)")
    add("--aws-profile", action="append", metavar="PROFILE",
        help="AWS profile to use (default: boto3's chain, AWS_PROFILE); one only")
    add("--aws-batch-change-size", type=int, default=1000,
        help="most changes per Route53 call (1 to 1000; an update, sent as DELETE and "
             "CREATE, counts twice)")
    add("--aws-batch-change-size-values", type=int, default=1000,
        help="most record values per Route53 call (1 to 1000; an update, sent as DELETE "
             "and CREATE, counts twice)")
    add("--aws-batch-change-size-bytes", type=int, default=32000,
        help="most characters of record values per Route53 call (1 to 32000; an update "
             "counts twice)")
    add("--aws-batch-change-interval", default="0s",
        help="pause between two Route53 change calls: seconds or a Go duration (default 0s: "
             "calls are already paced to 5 per second)")
    add("--aws-api-retries", type=int, default=5,
        help="retries of a throttled or failed Route53 call, with backoff")
    add("--aws-prefer-cname", action="store_true",
        help="keep load balancer hostnames as CNAMEs instead of Route53 aliases (the alias "
             "annotation still makes an alias)")
    add("--aws-evaluate-target-health", action="store_true", default=True,
        help="EvaluateTargetHealth of alias records whose Service sets no "
             "aws-evaluate-target-health annotation")
    # The loop
    add("--interval", default="15m",
        help="full resync period, which repairs drift made outside Kubernetes: seconds "
             "or a Go duration (Service changes are applied as they happen)")
    add("--events", action="store_true", default=True,
        help="always on: dnsgate applies Service changes as they happen")
    add("--once", action="store_true", help="sync once, then exit (0: all landed)")
    add("--dry-run", action="store_true",
        help="print the planned changes as a table and change nothing")
    add("--migrate-from-txt-owner", default="", metavar="OWNER_ID",
        help="with --once: first take over the records whose TXT names this owner id and "
             "whose resource is an object here asking for them, and nothing else (a table "
             "first; try it with --dry-run)")
    add("--metrics-address", default="",
        help="serve /healthz, /readyz and /metrics at [HOST]:PORT, e.g. :7979 (default: off)")
    # dnsgate's own
    own("--health-port", type=int, default=0,
        help="serve /healthz, /readyz and /metrics on this port (0: off)")
    own("--leader-election-namespace", default="",
        help="hold the Lease dnsgate-reconciler in this namespace; only the leader "
             "writes to Route53 (empty: no election, this replica always writes)")
    own("--leader-election-id", default="",
        help="this replica's identity in the Lease (default: host name + random suffix)")
    own("--lease-duration", type=float, default=15.0,
        help="seconds a standby waits for a silent leader before taking over")
    own("--renew-deadline", type=float, default=10.0,
        help="seconds a leader may fail to renew before it stops writing")
    own("--retry-period", type=float, default=2.0,
        help="seconds between attempts to acquire or renew the Lease")
    own("--max-deletes", type=int, default=20,
        help="hold a sync's deletes when it, with the minute before it, would delete "
             "more record sets than this and more than --max-deletes-percent of those "
             "owned; a confirmation lets them go (docs/deletes.md)")
    own("--max-deletes-percent", type=float, default=25.0,
        help="the share of owned record sets, in percent, that --max-deletes also "
             "needs exceeded (100: no limit)")
    own("--confirm-deletes", default="", metavar="NAMESPACE/NAME",
        help="the ConfigMap whose data.plan, set to a held plan's hash, lets that "
             "plan's deletes go (default: dnsgate-confirm-deletes in "
             "--leader-election-namespace, else in dnsgate)")
    if wanted("--log-level"):
        logs.add_arguments(parser)
    if only is None:
        # Tuning flags of caches and rate limits dnsgate does not have: accepted, no effect.
        externaldns.add_ignored(parser)


def settings(args: argparse.Namespace) -> Settings:
    """The one parse of reconcile's settings (`reconciler.settings.from_args`) for a command
    given `only` part of its flags: the others take their defaults, as if not given."""
    from reconciler import settings as settings_module

    everything = flags.Parser(prog="dnsgate reconcile")
    add_arguments(everything)
    values = {setting.dest: list(setting.default) if setting.kind == "list" else setting.default
              for setting in flags.settings(everything)}
    return settings_module.from_args(argparse.Namespace(**{**values, **vars(args)}))


def run(args: argparse.Namespace) -> int:
    from reconciler import settings as settings_module

    logs.setup(args.log_level, args.log_format)
    settings = settings_module.from_args(args)  # a ConfigError is the one error line, exit 2
    if not args.events:
        logging.getLogger("dnsgate.reconcile").info(
            "--events=false has no effect: dnsgate applies Service changes as they happen")
    for message in externaldns.ignored_given(args):
        logging.getLogger("dnsgate.reconcile").info(message)
    return _serve(settings)


def _serve(settings: Settings) -> int:
    from kubernetes import client

    from dnsgate import kube, routewatch, watch
    from dnsgate.corev1 import CoreV1
    from reconciler import access, credentials, doctor, metrics
    from reconciler.checkup import Checkup
    from reconciler.controller import Controller
    from reconciler.errors import ConfigError, ReconcileError
    from reconciler.guardkube import Kubernetes
    from reconciler.report import LogReporter, Reporter
    from reconciler.reportqueue import QueuedReporter
    from reconciler.route53 import Provider
    from reconciler.source_reads import CountingServiceAPI
    from reconciler.status import KubernetesReporter, Reporters

    try:
        kube.load_config(settings.kubernetes.kubeconfig, settings.kubernetes.server)
    except kube.NoKubernetesAPI as exc:
        raise ConfigError(f"no Kubernetes API: {exc}") from exc
    checkup = Checkup(lambda: doctor.examine(
        settings, partial(access.connect, settings.kubernetes), partial(access.aws, settings.aws)))
    # A rotated credentials file needs no restart.
    route53 = credentials.FollowingClient(partial(credentials.route53_client, settings.aws))
    from dnsgate import ingress

    core = CoreV1()
    source = settings.source
    controller: Controller
    stores: list[watch.ServiceStore] = []
    if "service" in source.sources:
        stores.append(watch.ServiceStore(CountingServiceAPI(
            watch.KubernetesServices(core, source.namespace, source.label_filter),
            metrics.EXTERNAL_DNS_SOURCE_ERRORS.inc), lambda keys: controller.notify(keys),
            trigger=watch.without_own_writes, on_deleted=lambda keys: controller.deleted(keys)))
    if "ingress" in source.sources:
        stores.append(watch.ServiceStore(CountingServiceAPI(
            watch.KubernetesIngresses(client.NetworkingV1Api(), source.namespace,
                                      source.label_filter),
            metrics.EXTERNAL_DNS_SOURCE_ERRORS.inc), lambda keys: controller.notify(keys),
            kept=ingress.slim, trigger=watch.without_own_writes,
            on_deleted=lambda keys: controller.deleted(keys)))
    policy = _policy_watch(source.domain_policy, lambda current: controller.policy_changed(
        current))
    readable: list[watch.Readable] = list(stores)
    kinds = source.route_kinds
    if kinds:  # docs/gateway-api.md: each route handed out resolved against its Gateways
        routes = routewatch.kubernetes(
            core, kinds, namespace=source.namespace,
            label_filter=source.label_filter, settings=source.gateway,
            on_change=lambda keys: controller.notify(keys),
            on_deleted=lambda keys: controller.deleted(keys),
            namespaces=policy.namespaces if policy is not None else None,
            wrap=lambda api: CountingServiceAPI(api, metrics.EXTERNAL_DNS_SOURCE_ERRORS.inc))
        readable.append(routes)
        stores += routes.stores
    store = watch.Combined(*readable)

    def synced() -> bool:
        return all(s.synced.is_set() for s in stores) and (policy is None or policy.synced)

    reporter: Reporter = LogReporter()
    queued: QueuedReporter | None = None
    if not settings.controller.dry_run:  # a dry run changes nothing, Services included
        # Written in the background: Events and conditions never hold up DNS work.
        queued = QueuedReporter(KubernetesReporter(core, store.get))
        queued.start()
        reporter = Reporters(reporter, queued)
    # A new leader resyncs at once: whoever led before may have written meanwhile.
    elector = _elector(settings, on_lead=lambda: controller.resync())
    if elector is None:
        metrics.LEADER.set(1)  # no election: this replica is the writer
    guard = Kubernetes(core, client.NetworkingV1Api(), settings.controller.guard,
                       client.CustomObjectsApi())
    controller = Controller(
        settings.controller, settings.source, settings.registry,
        Provider(route53, settings.route53), store, reporter,
        gate=elector, out=sys.stdout, owners_index=_owners_index(settings, core),
        lookup=guard.exists, confirmed=guard.confirmed,
        announce=guard.announce if not settings.controller.dry_run else lambda *_: None)
    log = logging.getLogger("dnsgate.reconcile")
    try:
        if settings.controller.once:
            checkup.run()  # every check in the log before the sync; failures do not stop it
            for each in stores:
                each.relist()
            if policy is not None:
                policy.relist()
                if not policy.synced:
                    raise ConfigError(f"--domain-policy: {policy.error}")
                controller.policy_changed(policy.current())
            handed = True
            if settings.migrate_from_txt_owner:
                from reconciler import handover

                handed = handover.run(controller, settings.migrate_from_txt_owner, sys.stdout)
            ok = controller.run_once() and handed
            log.info("sync %s", "complete" if ok else "finished with failures")
            if controller.holding:
                log.warning("sync held deletes: %s", controller.holding)
            return 0 if ok else 1
        # Until the controller runs, SIGTERM exits at once (dnsgate.cli.stop_on_sigterm): the
        # start-up checks may wait a minute on a silent Route53, and nothing is in flight.
        watchers = [threading.Thread(target=each.run, args=(controller.stop,),
                                     name=f"watch-{index}", daemon=True)
                    for index, each in enumerate(stores)]
        for watcher in watchers:
            watcher.start()
        if policy is not None:
            watchers += policy.start(controller.stop)
        # Health first: the checks below may wait on an unreachable Route53, and a liveness
        # probe must not kill a replica that is only waiting (it reports not ready instead).
        if settings.health_port:
            _health(settings, synced, controller, elector, watchers, checkup,
                    policy).start()
        checkup.run()  # every check in the log before the first sync; failures do not stop it
        checkup.start(controller.stop)
        while not synced():
            if controller.stop.wait(0.5):
                return 0
        if policy is not None:  # the policy the first sync judges by (later: policy_changed)
            controller.policy_changed(policy.current())
        if elector is not None:
            elector.start()
        for signum in (signal.SIGTERM, signal.SIGINT):  # from now on: finish the batch
            signal.signal(signum, lambda *_: controller.shutdown())
        try:
            controller.run()
        finally:
            if elector is not None:
                elector.stop(release=True)  # a standby takes over at its next retry
        log.info("stopped")
        return 0
    except ConfigError:
        raise  # dnsgate.cli.main prints it as the one error line, exit 2
    except ReconcileError as exc:
        log.error("%s", exc)
        return 1
    finally:
        if queued is not None:  # what the last syncs found still reaches the Services
            queued.close(timeout=ONCE_DRAIN_SECONDS if settings.controller.once
                         else REPORTS_DRAIN_SECONDS)


# On the way out, reports still queued get this long to be written (a Pod's default grace
# period is 30 s); a later run rewrites whatever did not make it.
REPORTS_DRAIN_SECONDS = 10.0
# `--once` is a job that reports its one sync; it waits for every report, within reason.
ONCE_DRAIN_SECONDS = 600.0


def _owners_index(settings: Settings, core: Any) -> Callable[..., None] | None:
    """What writes the webhook's index of names other owner ids hold, when --owners-index
    names its ConfigMap and this run may change things (not --dry-run)."""
    from reconciler.owners_index import Publisher

    where = settings.owners_index
    if where is None or settings.controller.dry_run:
        return None
    return Publisher(core, where, settings.registry.owner_id, settings.source.domains,
                     settings.controller.interval).publish


def _elector(settings: Settings, on_lead: Callable[[], None]) -> LeaderElector | None:
    from kubernetes import client

    from reconciler.leader import LeaderElector

    if settings.leader_election is None:
        return None
    return LeaderElector(
        client.CoordinationV1Api(), settings.leader_election,
        on_change=lambda leading: on_lead() if leading else None)


def _policy_watch(where: str, on_change: Callable[[Enforcement], None]
                  ) -> PolicyWatch | None:
    """With --domain-policy, the watch of the policy and the namespaces' labels
    (docs/namespace-domains.md); its state goes to the log and to a metric."""
    if not where:
        return None
    from dnsgate import policywatch
    from reconciler import metrics

    return policywatch.kubernetes(
        where, on_change=on_change,
        on_state=lambda error: metrics.POLICY_INVALID.set(1 if error else 0))


def _health(settings: Settings, synced: Callable[[], bool], controller: Controller,
            elector: LeaderElector | None, watchers: list[threading.Thread],
            checkup: Checkup, policy: PolicyWatch | None = None) -> HealthServer:
    """/healthz: the watch thread turns. /readyz: every doctor check passes (else the
    failing ones, each with its fix), the watch is established and, on the writer, the last
    sync succeeded within two resync intervals; ready but "degraded", with the held plan,
    while deletes are held (docs/deletes.md says why that is not unready)."""
    from reconciler.health import HealthServer

    def alive() -> tuple[bool, str]:
        dead = [w.name for w in watchers if not w.is_alive()]
        return (False, f"watch thread died: {', '.join(dead)}") if dead else (True, "ok")

    def ready() -> tuple[bool, str]:
        healthy, failures = checkup.ready()
        if not healthy:
            return False, failures
        if policy is not None and not policy.synced:
            return False, f"{policy.error}: nothing is synced until it is fixed"
        if not synced():
            return False, "Service watch not established yet"
        if elector is not None and not elector.is_leader():
            return True, "ok (standby)"
        age = controller.seconds_since_success()
        if age is None or age > 2 * settings.controller.interval + 30:
            return False, ("no successful sync yet" if age is None
                           else f"last successful sync {age:.0f}s ago")
        if controller.holding:
            return True, f"degraded: {controller.holding}"
        if policy is not None and policy.error:
            return True, f"ok ({policy.error}; the last valid policy is in force)"
        return True, "ok"

    return HealthServer(settings.health_port, alive=alive, ready=ready,
                        address=settings.health_address)
