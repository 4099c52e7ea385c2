"""`dnsgate doctor`: check the Kubernetes rights, AWS credentials, hosted zones and IAM rights
that `dnsgate reconcile` with the same flags would use; one line per check, exit 1 when any
fails. It takes exactly reconcile's flags and environment (parsed by the same code), so it
can be run with the Deployment's own settings:
`kubectl -n dnsgate exec deploy/dnsgate-reconciler -- dnsgate doctor`."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from reconciler import cli as reconcile_cli

HELP = "check that reconcile's Kubernetes rights, AWS credentials, zones and IAM rights work"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    reconcile_cli.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from reconciler import access, doctor
    from reconciler import settings as settings_module

    settings = settings_module.from_args(args)  # a ConfigError is the one error line, exit 2
    report = doctor.examine(settings, partial(access.connect, settings.kubernetes),
                            partial(access.aws, settings.aws))
    sys.stdout.write(report.render())
    return 0 if report.ok else 1
