"""The `dnsgate` command line: one subcommand per deployable or tool.

Subcommands are declared in pyproject.toml as entry points of the group `dnsgate.commands`
(name -> module). Each module exposes `HELP` (one line), `add_arguments(parser)` and
`run(args) -> int`, and imports its heavy dependencies (Flask, boto3, the kubernetes client)
inside `run`, so `dnsgate --help` stays fast. Discovering them this way keeps `dnsgate` the
package every deployable builds on, with no import from it back into the deployables.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import NoReturn

COMMANDS_GROUP = "dnsgate.commands"


# Secrets a subcommand must never be given. The webhook shares the settings ConfigMap with
# the reconciler, so a TXT encryption key found here came from that ConfigMap (or was put in
# the webhook's pod): either way it is where it must not be.
FORBIDDEN_ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "webhook": ("DNSGATE_TXT_ENCRYPT_AES_KEY",),
}


class OneLineErrors(argparse.ArgumentParser):
    """A bad flag fails at start with one clear line, not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(
        prog="dnsgate",
        description="Stable Route53 names for Kubernetes Services.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=OneLineErrors)
    for entry in sorted(metadata.entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        module = entry.load()
        sub_parser = sub.add_parser(entry.name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in FORBIDDEN_ENVIRONMENT.get(args.command, ()):
        if name in os.environ:
            print(f"dnsgate {args.command}: error: {name} is set in its environment; the TXT "
                  "encryption key belongs in a Secret only the reconciler reads, never in the "
                  "settings ConfigMap or the webhook's pod", file=sys.stderr)
            return 2
    result: int = args._module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
