"""The README documents what the code does: every flag of every subcommand, with its
environment variable, and the two commands it starts with. docs/flags.md says what becomes
of each ExternalDNS flag."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from dnsgate import cli, flags, publication

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _subcommand_flags() -> list[tuple[str, str]]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for name, sub_parser in sub.choices.items():
        for action in sub_parser._actions:
            # A boolean's `--no-` form is documented once for all of them.
            for option in action.option_strings[:1] + [
                    o for o in action.option_strings[1:] if not o.startswith("--no-")]:
                if option.startswith("--") and option != "--help":
                    found.append((name, option))
    return found


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```", 2)[1]
    assert re.search(r"^make demo\b", first_block, re.M)
    assert re.search(r"^make test\b", first_block, re.M)


def _own_section(command: str) -> str:
    return README.split(f"### dnsgate {command}\n", 1)[-1].split("\n### ", 1)[0]


def _sharing(command: str) -> str:
    """The command whose flags `command` takes a part of and says so (doctor and iam-policy
    take some of reconcile's): those flags are documented once, in that command's table."""
    flags_of: dict[str, set[str]] = {}
    for name, option in _subcommand_flags():
        flags_of.setdefault(name, set()).add(option)
    named = [other for other in flags_of
             if other != command and f"`dnsgate {other}`" in _own_section(command)]
    return max(named, key=lambda other: len(flags_of[other] & flags_of[command]),
               default=command)


@pytest.mark.parametrize(("command", "option"), _subcommand_flags())
def test_every_flag_is_documented_with_its_environment_variable(
    command: str, option: str
) -> None:
    shared = _sharing(command)
    if (shared, option) in _subcommand_flags():
        command = shared
    section = README.split(f"### dnsgate {command}", 1)
    assert len(section) == 2, f"README has no '### dnsgate {command}' section"
    body = section[1].split("\n### ", 1)[0]
    row = next((line for line in body.splitlines() if line.startswith(f"| `{option}` |")), None)
    assert row is not None, f"dnsgate {command} {option} is not in the README"
    assert f"`{flags.env_name(option)}`" in row or option == "--version"
    parser = next(a for a in cli.build_parser()._actions
                  if isinstance(a, argparse._SubParsersAction)).choices[command]
    for setting in flags.settings(parser):
        if setting.flag == option:
            assert all(f"`{variable}`" in row for variable in setting.variables), row


def _documented_flags() -> list[tuple[str, str]]:
    found = []
    for section in README.split("\n### dnsgate ")[1:]:
        command, body = section.split("\n", 1)
        body = body.split("\n## ", 1)[0].split("\n### ", 1)[0]
        for line in body.splitlines():
            match = re.match(r"^\| `(--[a-z0-9-]+)` \|", line)
            if match:
                found.append((command.strip(), match.group(1)))
    return found


@pytest.mark.parametrize(("command", "option"), _documented_flags())
def test_every_documented_flag_exists(command: str, option: str) -> None:
    assert (command, option) in _subcommand_flags()


@pytest.mark.parametrize("option", publication.flag_names())
def test_every_shared_flag_is_marked_shared_for_both_deployables(option: str) -> None:
    rows = {}
    for command in ("reconcile", "webhook"):
        body = _own_section(command)
        rows[command] = next(line for line in body.splitlines()
                             if line.startswith(f"| `{option}` |")).split(" | ")
    environment = {command: row[2] for command, row in rows.items()}

    assert all("*shared*" in row[-1] for row in rows.values()), rows
    assert environment["reconcile"] == environment["webhook"]
