"""What `--version` and `--help` tell, on every subcommand alike."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

from dnsgate import cli
from reconciler import cli as reconcile_cli
from reconciler import doctor_cli, iam_cli, settings

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


def _help_flags(command: str, capsys: pytest.CaptureFixture[str]) -> set[str]:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    return set(re.findall(r"^  (--[a-z0-9-]+)", capsys.readouterr().out, re.M))


# Per command: flags its --help must list, and flags of other commands it must not.
OWN_FLAGS = {
    "doctor": ({"--domain-filter", "--source", "--txt-owner-id", "--policy", "--dry-run",
                "--aws-region", "--aws-zone-type", "--kubeconfig",
                "--leader-election-namespace", "--confirm-deletes", "--health-port"},
               {"--interval", "--once", "--events", "--aws-batch-change-size",
                "--txt-encrypt-aes-key", "--lease-duration", "--max-deletes", "--log-level",
                "--request-timeout", "--offline"}),
    "iam-policy": ({"--domain-filter", "--exclude-domains", "--aws-zone-type",
                    "--zone-id-filter", "--aws-region", "--aws-profile", "--offline"},
                   {"--source", "--txt-owner-id", "--policy", "--kubeconfig", "--interval",
                    "--dry-run", "--log-level", "--aws-batch-change-size"}),
    "reconcile": ({"--domain-filter", "--policy", "--interval", "--once",
                   "--aws-batch-change-size", "--txt-encrypt-aes-key", "--lease-duration",
                   "--request-timeout"},
                  {"--offline", "--check-interval", "--tls-cert-file"}),
    "webhook": ({"--domain-filter", "--source", "--txt-owner-id"},
                {"--policy", "--interval", "--aws-region", "--offline", "--kubeconfig"}),
    "certs": ({"--secret", "--keep", "--check-interval"},
              {"--domain-filter", "--policy", "--interval", "--offline"}),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_each_subcommands_help_lists_its_own_flags_only(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    own, others = OWN_FLAGS[command]

    listed = _help_flags(command, capsys)

    assert own <= listed
    assert listed & others == set()


@pytest.mark.parametrize(("command", "own"), [
    ("doctor", doctor_cli.FLAGS),
    ("iam-policy", iam_cli.FLAGS | {"--offline"}),
])
def test_a_tool_reading_reconciles_settings_lists_exactly_the_flags_it_acts_on(
        command: str, own: frozenset[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _help_flags(command, capsys) == {*own, "--version"}


@pytest.mark.parametrize(("command", "flag", "holders"), [
    ("doctor", "--interval", "dnsgate reconcile"),
    ("doctor", "--aws-batch-change-size", "dnsgate reconcile"),
    ("iam-policy", "--policy", "dnsgate doctor, dnsgate reconcile"),
    ("iam-policy", "--txt-owner-id", "dnsgate doctor, dnsgate reconcile, dnsgate webhook"),
])
def test_a_flag_of_other_commands_is_refused_naming_them(
        command: str, flag: str, holders: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main([command, f"{flag}=1", "--domain-filter=goldentooth.net"])

    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"dnsgate {command}: error: {flag} is a flag of {holders}, not of dnsgate {command}, "
        "which does not act on it; give it to "
        f"{'dnsgate reconcile' if holders == 'dnsgate reconcile' else 'those'} only"]


def test_the_doctor_reads_reconciles_settings_through_the_one_parse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reconciler's ConfigMap in the environment: the doctor takes what it acts on, and
    what it does not act on (the interval) neither breaks it nor changes its settings."""
    for name, value in {"DNSGATE_DOMAIN_FILTER": "goldentooth.net", "DNSGATE_POLICY":
                        "upsert-only", "DNSGATE_INTERVAL": "1m",
                        "DNSGATE_TXT_OWNER_ID": "external-dns-external-dns"}.items():
        monkeypatch.setenv(name, value)
    doctor = reconcile_cli.settings(cli.parse(["doctor", "--dry-run"]))
    reconcile = settings.from_args(cli.parse(["reconcile", "--dry-run", "--interval=15m"]))

    assert doctor == reconcile
    assert doctor.controller.policy == "upsert-only"
    assert doctor.registry.owner_id == "external-dns-external-dns"
