"""Flags: ExternalDNS's names, env fallbacks, and one clear line for a bad combination."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dnsgate import cli
from reconciler import settings
from reconciler.errors import ConfigError


def parse(*argv: str) -> settings.Settings:
    return settings.from_args(cli.build_parser().parse_args(["reconcile", *argv]))


def test_flags_become_grouped_settings() -> None:
    s = parse("--domain-filter", "goldentooth.net", "--domain-filter", "example.org",
              "--txt-owner-id", "external-dns-external-dns", "--policy", "upsert-only",
              "--interval", "30s", "--aws-zone-type", "public", "--zone-id-filter",
              "/hostedzone/Z1", "--namespace", "httpbin")

    assert s.route53.domains.include == ("goldentooth.net", "example.org")
    assert (s.registry.owner_id, s.controller.policy, s.controller.interval) == (
        "external-dns-external-dns", "upsert-only", 30.0)
    assert (s.route53.zone_type, s.route53.zone_ids, s.source.namespace) == (
        "public", ("Z1",), "httpbin")


def test_defaults_follow_external_dns_except_the_event_driven_resync() -> None:
    s = parse()

    assert (s.controller.policy, s.registry.owner_id) == ("sync", "default")
    # ExternalDNS polls every 1m; dnsgate follows events and resyncs only to repair drift.
    assert s.controller.interval == 15 * 60


def test_every_flag_also_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_DOMAIN_FILTER", "goldentooth.net,example.org")
    monkeypatch.setenv("DNSGATE_TXT_OWNER_ID", "from-env")
    monkeypatch.setenv("DNSGATE_ONCE", "true")

    s = parse()

    assert s.route53.domains.include == ("goldentooth.net", "example.org")
    assert (s.registry.owner_id, s.controller.once) == ("from-env", True)


@pytest.mark.parametrize(("argv", "message"), [
    (["--txt-prefix=p-", "--txt-suffix=-s"], "mutually exclusive"),
    (["--policy", "delete-all"], '--policy "delete-all" is not a policy; use one of sync'),
    (["--aws-zone-type", "secret"], '--aws-zone-type "secret" is not a zone type'),
    (["--interval", "often"], '--interval "often" is not a positive duration'),
    (["--txt-encrypt-enabled", "--txt-encrypt-aes-key", "short"],
     "neither 32 bytes nor base64 of 32 bytes"),
    (["--txt-encrypt-enabled"], "--txt-encrypt-enabled needs --txt-encrypt-aes-key"),
    (["--txt-encrypt-aes-key", "0123456789abcdef0123456789abcdef"],
     "but --txt-encrypt-enabled is not; set both to encrypt TXT values, or neither"),
    (["--txt-encrypt-enabled", "--txt-encrypt-aes-key-file", "/nonexistent/aes-key"],
     '--txt-encrypt-aes-key-file "/nonexistent/aes-key" cannot be read'),
])
def test_conflicting_or_bad_flags_fail_with_one_line(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as caught:
        parse(*argv)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("value", "key"), [
    ("0123456789abcdef0123456789abcdef", b"0123456789abcdef0123456789abcdef"),
    ("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", b"0123456789abcdef0123456789abcdef"),
])
def test_aes_key_raw_or_base64(value: str, key: bytes) -> None:
    assert settings.aes_key(value) == key


@pytest.mark.parametrize(("argv", "line", "lines"), [
    (["--policy", "nope"], 'dnsgate reconcile: error: --policy "nope" is not a policy', 1),
    (["--txt-owner-id"], "dnsgate reconcile: error: argument --txt-owner-id: expected one "
                         "argument (see dnsgate reconcile --help)", 1),
    (["--txt-encrypt-aes-key", "0123456789abcdef0123456789abcdef"],
     "dnsgate reconcile: error: an AES key is set", 1),
    # Unknown flags are refused by the top-level parser (dnsgate/cli.py), in one line too.
    (["--no-such-flag"], "dnsgate: error: unrecognized arguments: --no-such-flag", 1),
])
def test_cli_exits_at_start_naming_the_flag(argv: list[str], line: str, lines: int) -> None:
    result = subprocess.run([sys.executable, "-m", "dnsgate", "reconcile", *argv],
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(line)
    assert len(result.stderr.splitlines()) == lines
    assert result.stdout == ""


def test_aes_key_read_from_a_mounted_secret_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key_file = tmp_path / "aes-key"
    key_file.write_text("0123456789abcdef0123456789abcdef\n")  # as `kubectl create secret` keeps it

    parsed = parse("--txt-encrypt-enabled", "--txt-encrypt-aes-key-file", str(key_file))

    assert parsed.registry.aes_key == b"0123456789abcdef0123456789abcdef"


def test_webhook_refuses_to_start_holding_the_aes_key() -> None:
    env = {**os.environ, "DNSGATE_TXT_ENCRYPT_AES_KEY": "0123456789abcdef0123456789abcdef"}
    result = subprocess.run([sys.executable, "-m", "dnsgate", "webhook",
                             "--domain-filter", "goldentooth.net", "--tls-cert-file", "tls.crt",
                             "--tls-key-file", "tls.key"],
                            capture_output=True, text=True, timeout=60, env=env)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "dnsgate webhook: error: DNSGATE_TXT_ENCRYPT_AES_KEY is set in its environment; the "
        "TXT encryption key belongs in a Secret only the reconciler reads, never in the "
        "settings ConfigMap or the webhook's pod"]
