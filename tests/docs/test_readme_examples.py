"""Flag values the README shows: each one it says works is taken by the CLI, and each one it
says is refused is refused, so a sentence cannot go stale when the CLI changes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from dnsgate import cli
from dnsgate.errors import ConfigError

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
TEXT = " ".join(README.split())  # sentences wrap across lines

# Every dnsgate command line the README shows, in prose or in a code block.
INVOCATIONS = sorted({
    match.group(1).strip() for match in re.finditer(
        r"(?:^|[`$(]|-- )dnsgate ((?:reconcile|doctor|iam-policy|webhook|certs)"
        r"(?: --?[^`\s)\"]+)+)", README, re.M)})
SEED_ARGS = re.search(r"the seed's args \(`([^`]+)`\) work unchanged", TEXT)
REFUSED = re.search(r"An ExternalDNS flag dnsgate does not implement \(([^)]+)\) is refused",
                    TEXT)
SOURCES = re.search(r"\| `--source` \|[^|]*\|[^|]*\|[^|]*\| (?:\*shared\*: )?resources to "
                    r"publish records for: ((?:`[a-z-]+`, )*`[a-z-]+`)", README)


def _settings(argv: list[str]) -> None:
    """Parse as the command does at start: flags, then its settings (where values are
    checked against each other)."""
    args = cli.parse(argv)
    if argv[0] in ("reconcile", "doctor", "iam-policy"):
        from reconciler import cli as reconcile_cli

        reconcile_cli.settings(args)
    elif argv[0] == "webhook":
        from webhook import cli as webhook_cli

        webhook_cli.admission_settings(args)


def _refused_by_the_webhook_example(argv: list[str]) -> bool:
    return "is refused at start, naming" in TEXT and argv[:2] == ["webhook", "--policy=sync"]


def test_the_readme_shows_commands_and_the_sentences_this_test_reads() -> None:
    assert len(INVOCATIONS) >= 4, INVOCATIONS
    assert SEED_ARGS and REFUSED and SOURCES


@pytest.mark.parametrize("line", INVOCATIONS)
def test_every_dnsgate_command_the_readme_shows_is_accepted(line: str) -> None:
    argv = shlex.split(line)
    webhook_files = ["--tls-cert-file=tls.crt", "--tls-key-file=tls.key"]
    if argv[0] == "webhook":
        argv += [*webhook_files, "--domain-filter=goldentooth.net"]
    if _refused_by_the_webhook_example(argv):
        with pytest.raises(ConfigError, match="--policy is a flag of"):
            _settings(argv)
        return
    _settings(argv)


def test_the_seeds_externaldns_args_are_accepted() -> None:
    assert SEED_ARGS is not None
    _settings(["reconcile", *SEED_ARGS.group(1).split()])


def test_what_the_readme_says_is_refused_is_refused() -> None:
    assert REFUSED is not None
    flags = re.findall(r"`([^`]+)`", REFUSED.group(1))
    accepted = []
    for flag in flags:
        try:
            _settings(["reconcile", flag])
        except ConfigError:
            continue
        accepted.append(flag)

    assert flags and accepted == []


def test_every_source_the_readme_lists_is_accepted() -> None:
    assert SOURCES is not None
    sources = re.findall(r"`([a-z-]+)`", SOURCES.group(1))

    assert sources
    for source in sources:
        _settings(["reconcile", f"--source={source}"])
