"""The `dnsgate` command line: one subcommand per deployable or tool.

Subcommands are declared in pyproject.toml as entry points of the group `dnsgate.commands`
(name -> module). Each module exposes `HELP` (one line), `add_arguments(parser)` and
`run(args) -> int`, and imports its heavy dependencies (Flask, boto3, the kubernetes client)
inside `run`, so `dnsgate --help` stays fast. Discovering them this way keeps `dnsgate` the
package every deployable builds on, with no import from it back into the deployables.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import NoReturn

COMMANDS_GROUP = "dnsgate.commands"


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
    result: int = args._module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
