"""Helpers that let every command-line flag also be set from the environment.

The rule is the same for every subcommand: flag `--domain-filter` reads `DNSGATE_DOMAIN_FILTER`.
Repeatable flags take a comma-separated list, from the environment or from one flag
(`--domain-filter a.net,b.net` equals `--domain-filter a.net --domain-filter b.net`).
A flag given on the command line wins over the environment, which wins over the default.
"""

from __future__ import annotations

import argparse
import os
from typing import Any


def env_name(flag: str) -> str:
    """`--domain-filter` -> `DNSGATE_DOMAIN_FILTER`."""
    return "DNSGATE_" + flag.lstrip("-").replace("-", "_").upper()


class _AppendOverEnv(argparse.Action):
    """Like `append`, but the first value on the command line replaces the env default."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        seen = f"_{self.dest}_from_cli"
        items = list(getattr(namespace, self.dest) or []) if getattr(namespace, seen, False) else []
        items.extend(item.strip() for item in str(values).split(",") if item.strip())
        setattr(namespace, self.dest, items)
        setattr(namespace, seen, True)


def add(parser: argparse.ArgumentParser, flag: str, *, help: str, **kwargs: Any) -> None:
    """Add `flag` with its default taken from the environment when set there.

    The help text gains the variable's name, so `--help` documents both spellings.
    """
    name = env_name(flag)
    raw = os.environ.get(name)
    if raw is not None:
        if kwargs.get("action") == "append":
            kwargs["default"] = [item.strip() for item in raw.split(",") if item.strip()]
        elif kwargs.get("action") == "store_true":
            kwargs["default"] = raw.strip().lower() in ("1", "true", "yes", "on")
        else:
            kwargs["default"] = raw
        kwargs.pop("required", None)
    if kwargs.get("action") == "append":
        kwargs["action"] = _AppendOverEnv
        kwargs.setdefault("default", [])
    parser.add_argument(flag, help=f"{help} [env {name}]", **kwargs)
