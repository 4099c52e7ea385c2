"""What `--version` and `--help` tell, on every subcommand alike."""

from __future__ import annotations

from importlib import metadata

import pytest

from dnsgate import cli

COMMANDS = sorted(e.name for e in metadata.entry_points(group=cli.COMMANDS_GROUP))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_prints_its_version(command: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == cli.version()


@pytest.mark.parametrize(("command", "flag", "default"), [
    ("reconcile", "--policy", "sync"),
    ("reconcile", "--txt-owner-id", "default"),
    ("reconcile", "--aws-batch-change-size", "1000"),
    ("doctor", "--policy", "sync"),
    ("webhook", "--request-timeout", "10.0"),
    ("webhook", "--log-format", "text"),
])
def test_help_names_each_flags_default(command: str, flag: str, default: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])

    text = " ".join(capsys.readouterr().out.split())
    entry = text[text.index(f" {flag} "):]
    end = entry.find(" --", len(flag) + 2)
    entry = entry if end < 0 else entry[:end]
    assert f"(default: {default})" in entry, entry
