"""`dnsgate iam-policy`: print the least-privilege IAM policy (JSON) for the zones that
`dnsgate reconcile` with the same flags would manage.

Zone ids come from --zone-id-filter when given; otherwise the zones are looked up in Route53
as the reconciler selects them (--domain-filter, --aws-zone-type), with the credentials at
hand. `--offline` asks nothing and writes a placeholder per --domain-filter domain, to be
replaced by the zone's id before the policy is used.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from dnsgate import flags
from reconciler import cli as reconcile_cli

if TYPE_CHECKING:
    from reconciler.route53 import Zone
    from reconciler.settings import Settings

HELP = "print the least-privilege IAM policy for the zones reconcile would manage"


# What decides the zones: the domains, the zone filters, and the AWS account asked.
FLAGS = frozenset({"--domain-filter", "--exclude-domains", "--aws-zone-type",
                   "--zone-id-filter", "--aws-region", "--aws-profile"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    reconcile_cli.add_arguments(parser, only=FLAGS)
    flags.add(parser, "--offline", action="store_true",
              help="do not ask Route53 for zone ids: write a placeholder per domain filter")


def run(args: argparse.Namespace) -> int:
    from reconciler import iam
    from reconciler.errors import ConfigError, ReconcileError

    settings = reconcile_cli.settings(args)  # a ConfigError is the one error line, exit 2
    domains = settings.route53.domains.include
    zone_ids: list[str] = list(settings.route53.zone_ids)
    if not zone_ids and args.offline:
        if not domains:
            raise ConfigError("--offline needs --domain-filter or --zone-id-filter to know "
                              "which zones to name")
        zone_ids = [iam.placeholder(d) for d in domains]
        print(f"dnsgate iam-policy: replace {', '.join(zone_ids)} with the hosted zone ids "
              "(aws route53 list-hosted-zones)", file=sys.stderr)
    elif not zone_ids:
        try:
            zone_ids = [zone.id for zone in _zones(settings)]
        except ReconcileError as exc:
            print(f"dnsgate iam-policy: error: cannot look the zones up in Route53 ({exc}); "
                  "give --zone-id-filter, or --offline for placeholders", file=sys.stderr)
            return 1
        if not zone_ids:
            print("dnsgate iam-policy: error: no hosted zone matches --domain-filter, "
                  "--aws-zone-type and --zone-id-filter; `dnsgate doctor` says why",
                  file=sys.stderr)
            return 1
    sys.stdout.write(json.dumps(iam.policy(zone_ids), indent=2) + "\n")
    return 0


def _zones(settings: Settings) -> tuple[Zone, ...]:
    from reconciler import credentials, route53

    return route53.Provider(credentials.route53_client(settings.aws), settings.route53).zones()
