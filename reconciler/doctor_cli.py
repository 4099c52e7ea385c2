"""`dnsgate doctor`: check the Kubernetes rights, AWS credentials, hosted zones and IAM rights
that `dnsgate reconcile` with the same flags would use; one line per check, exit 1 when any
fails. It takes the reconcile flags that decide what it checks, from the same environment
and parsed by the same code (the others it refuses, naming `dnsgate reconcile`), so it can
be run with the Deployment's own settings:
`kubectl -n dnsgate exec deploy/dnsgate-reconciler -- dnsgate doctor`."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import TYPE_CHECKING

from dnsgate import publication
from reconciler import cli as reconcile_cli

if TYPE_CHECKING:
    from reconciler import doctor

HELP = "check that reconcile's Kubernetes rights, AWS credentials, zones and IAM rights work"


# What decides the checks: the shared settings (which sources, which namespace, which
# domains), where the API and Route53 are, which zones, the policy and --dry-run (which change
# right is probed, which Kubernetes rights are needed), the Lease's namespace, where the
# deletes confirmation is read, and where the running reconciler reports held deletes.
FLAGS = frozenset({
    *publication.flag_names(),
    "--provider", "--registry", "--kubeconfig", "--server", "--aws-region", "--aws-profile",
    "--aws-zone-type", "--zone-id-filter", "--policy", "--dry-run",
    "--leader-election-namespace", "--confirm-deletes", "--health-port", "--metrics-address",
})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    reconcile_cli.add_arguments(parser, only=FLAGS)


def run(args: argparse.Namespace) -> int:
    from reconciler import access, doctor

    settings = reconcile_cli.settings(args)  # a ConfigError is the one error line, exit 2
    report = doctor.examine(settings, partial(access.connect, settings.kubernetes),
                            partial(access.aws, settings.aws))
    held = held_deletes(settings.health_address, settings.health_port) if (
        settings.health_port) else None
    if held is not None:
        report = doctor.Report((*report.results, held))
    sys.stdout.write(report.render())
    return 0 if report.ok else 1


def held_deletes(address: str, port: int) -> doctor.Result | None:
    """Deletes the running reconciler holds (docs/deletes.md), read from its /readyz on
    this host, which is where `kubectl exec deploy/dnsgate-reconciler -- dnsgate doctor`
    runs; None when no health server is configured or none answers there."""
    import urllib.error
    import urllib.request

    from reconciler.doctor import Result

    host = "127.0.0.1" if address in ("", "0.0.0.0", "::") else address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=5) as answer:
            body = answer.read().decode()
    except urllib.error.HTTPError as exc:
        body = exc.read().decode()
    except OSError:
        return None
    check = "deletes held by the running reconciler"
    if body.startswith("degraded: "):
        return Result("FAIL", check, body.removeprefix("degraded: ").strip())
    return Result("ok", check, "none")
