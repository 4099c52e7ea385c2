"""`dnsgate certs`: create or renew the webhook's CA and serving certificate, store them,
and inject the CA bundle into the WebhookConfigurations. Safe to run again and again:
while everything is valid and in place it writes nothing and says so.

In a pod it uses the pod's service account; elsewhere KUBECONFIG. The webhook runs the
same pass itself (`dnsgate webhook --certificate-secret`), so in a cluster this command is
only needed for certificates kept elsewhere (`--out-dir`) or to look at the state.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from dnsgate import flags
from dnsgate.errors import ConfigError

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


def _kubernetes() -> Any:
    from kubernetes import client

    from dnsgate import kube

    try:
        kube.load_config()
    except kube.NoKubernetesAPI as exc:
        raise ConfigError(str(exc)) from exc
    return client


def run(args: argparse.Namespace) -> int:
    from certs import inject, keeper, rotation
    from certs.stores import FileStore, SecretStore, Store

    if args.out_dir is None and args.secret is None:
        raise ConfigError("give --out-dir, --secret or both: where to keep the certificate")
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
    admission_api = client.AdmissionregistrationV1Api() if configurations else None
    try:
        report = keeper.ensure(stores, wanted, configurations=configurations,
                               admission_api=admission_api)
    except inject.MissingConfiguration as exc:
        raise ConfigError(str(exc)) from exc
    for line in report.lines:
        print(line)
    return 0
