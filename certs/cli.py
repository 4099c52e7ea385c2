"""`dnsgate certs`: create or renew the webhook's CA and serving certificate, store them,
and inject the CA bundle into the WebhookConfigurations. Safe to run again and again:
while everything is valid and in place it writes nothing and says so.

Once, it prints what it found and did and exits. With `--keep` it goes on, one pass every
`--check-interval` seconds, until SIGTERM (certs/keep.py): the `dnsgate-certs` Deployment
runs it so, the one pod that holds the CA's key and may write the caBundle
(docs/security.md). In a pod it uses the pod's service account; elsewhere KUBECONFIG.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dnsgate import flags, logs
from dnsgate.errors import ConfigError

if TYPE_CHECKING:
    from certs import keep, keeper

HELP = "create, rotate and inject the webhook's serving certificate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add(parser, "--service", default="dnsgate-webhook",
              help="name of the webhook's Service (the certificate's names derive from it)")
    flags.add(parser, "--namespace", default="dnsgate",
              help="namespace of the webhook's Service and of --secret")
    flags.add(parser, "--ip", action="append",
              help="IP address to add to the certificate (repeatable), e.g. 127.0.0.1")
    flags.add(parser, "--out-dir", type=Path,
              help="write ca.crt, ca.key, tls.crt, tls.key here")
    flags.add(parser, "--secret",
              help="keep the certificate in this kubernetes.io/tls Secret (CA in NAME-ca)")
    flags.add(parser, "--webhook-config", action="append",
              help="inject the CA bundle into the Mutating and the Validating "
                   "WebhookConfiguration of this name (repeatable)")
    flags.add(parser, "--mutating-webhook-configuration", action="append",
              help="inject the CA bundle into this MutatingWebhookConfiguration (repeatable)")
    flags.add(parser, "--validating-webhook-configuration", action="append",
              help="inject the CA bundle into this ValidatingWebhookConfiguration (repeatable)")
    flags.add(parser, "--validity-days", type=int, default=365,
              help="days the serving certificate is valid; renewed with a third left")
    flags.add(parser, "--ca-validity-days", type=int, default=3650,
              help="days the CA is valid; long, as every renewal reuses it")
    flags.add(parser, "--keep", action="store_true",
              help="after the first pass, keep going: one pass every --check-interval "
                   "seconds (renewal, a blanked caBundle put back) until SIGTERM")
    flags.add(parser, "--check-interval", type=float, default=60.0,
              help="with --keep: seconds between passes")
    flags.add(parser, "--health-port", type=int, default=0,
              help="with --keep: serve /healthz and /readyz on this port (0: off)")
    logs.add_arguments(parser)


def _kubernetes() -> Any:
    from kubernetes import client

    from dnsgate import kube

    try:
        kube.load_config()
    except kube.NoKubernetesAPI as exc:
        raise ConfigError(str(exc)) from exc
    return client


def run(args: argparse.Namespace) -> int:
    from certs import inject, keep, rotation
    from certs.stores import FileStore, SecretStore, Store

    if args.out_dir is None and args.secret is None:
        raise ConfigError("give --out-dir, --secret or both: where to keep the certificate")
    if not args.check_interval > 0:
        raise ConfigError(f"--check-interval {args.check_interval}: use a number of seconds "
                          "above 0")
    configurations: list[tuple[inject.Kind, str]] = [
        *(("mutating", n) for n in [*args.webhook_config, *args.mutating_webhook_configuration]),
        *(("validating", n)
          for n in [*args.webhook_config, *args.validating_webhook_configuration]),
    ]
    client: Any = _kubernetes() if args.secret or configurations else None
    stores: list[Store] = []
    if args.secret:
        stores.append(SecretStore(client.CoreV1Api(), args.namespace, args.secret))
    if args.out_dir:
        stores.append(FileStore(args.out_dir))
    wanted = rotation.Wanted(
        service=args.service, namespace=args.namespace, ips=tuple(args.ip),
        validity=dt.timedelta(days=args.validity_days),
        ca_validity=dt.timedelta(days=args.ca_validity_days),
    )
    keeping = keep.Keeping(
        stores, wanted, configurations,
        client.AdmissionregistrationV1Api() if configurations else None, args.check_interval)
    if args.keep:
        return _keep(args, keeping)
    report = keep.run_pass(keeping)
    for line in report.lines:
        print(line)
    if report.missing:
        # Run once, nothing will come back for it: unlike the keeper's loop, this fails.
        raise ConfigError(f"{report.missing[0]} does not exist; apply "
                          "manifests/base/webhook-configurations.yaml first")
    return 0


def _keep(args: argparse.Namespace, keeping: keep.Keeping) -> int:
    """The first pass, then the loop. RBAC refusing the first pass ends the process saying
    which rights are missing; any other failure is logged and tried again."""
    from kubernetes.client import ApiException

    from certs import keep

    logs.setup(args.log_level, args.log_format)
    stop = keep.stop_on_sigterm()
    progress = keep.Progress()
    if args.health_port:
        keep.serve_health(args.health_port, keeping, progress)

    def first(keeping: keep.Keeping) -> keeper.Report:
        try:
            return keep.run_pass(keeping)
        except ApiException as exc:
            if exc.status in (401, 403):
                raise ConfigError(
                    f"cannot keep the webhook's certificate: {exc.status} {exc.reason}: "
                    f"{_message(exc)} (the ServiceAccount needs the rights in "
                    "manifests/base/rbac-certs.yaml)") from exc
            raise

    keep.logged_pass(keeping, progress, first, announce=True)
    keep.keep(keeping, progress, stop)
    return 0


def _message(exc: Any) -> str:
    """The apiserver's own sentence from an ApiException's Status body."""
    import json

    try:
        return str(json.loads(exc.body)["message"])
    except (TypeError, ValueError, KeyError):
        return str(exc.body or "")
