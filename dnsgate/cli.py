"""The `dnsgate` command line: one subcommand per deployable or tool.

Each subcommand lives in the package it belongs to and exposes two functions:
`add_arguments(parser)` and `run(args) -> int`. Heavy imports (Flask, boto3, the
kubernetes client) happen inside `run`, so `dnsgate --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

# subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "dev": ("dnsgate.devstack.dev", "run etcd, kube-apiserver and a Route53 server locally"),
    "webhook": ("webhook.cli", "serve the admission webhook over TLS"),
    "reconcile": ("reconciler.cli", "keep Route53 in sync with annotated Services"),
    "certs": ("certs.cli", "create, rotate and inject the webhook's serving certificate"),
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
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # subcommand not built yet
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
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
