"""The chart's copy of dnsgate's flag rules, `charts/dnsgate/files/flags.yaml`, generated from
the code so that `extraArgs` is checked at render exactly as the commands check their flags
at start: a flag that would stop the pod (a crash loop) fails `helm template` instead, with
the line the command would print.

It holds every option each command takes (`--no-` forms included), and the ExternalDNS flags
dnsgate refuses (dnsgate/externaldns.py, by name and by family). test_chart_flags.py holds
the file equal to `render()`; after changing a flag, regenerate it:

    .venv/bin/python -m tests.install.chart_flags
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from dnsgate import cli, externaldns

FILE = Path(__file__).resolve().parents[2] / "charts" / "dnsgate" / "files" / "flags.yaml"
COMMANDS = ("reconcile", "webhook")
HEADER = ("# Generated from dnsgate's parsers and dnsgate/externaldns.py by\n"
          "# `python -m tests.install.chart_flags`; tests/install/test_chart_flags.py holds it\n"
          "# equal. The chart checks extraArgs with it (templates/_args.tpl).\n")


def options(command: str) -> list[str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(o for a in sub.choices[command]._actions for o in a.option_strings
                  if o.startswith("--"))


def render() -> str:
    refused = {name: flag.note for name, flag in sorted(externaldns.FLAGS.items())
               if flag.state is externaldns.State.REFUSED}
    table = {"options": {command: options(command) for command in COMMANDS},
             "refused": refused, "families": dict(sorted(externaldns.FAMILIES.items()))}
    return HEADER + yaml.safe_dump(table, sort_keys=False, width=1000)


if __name__ == "__main__":
    FILE.write_text(render())
    print(f"wrote {FILE}")
