"""`dnsgate webhook` and `dnsgate certs` flags: every one also settable from DNSGATE_*."""

import pytest

from dnsgate.cli import parse


def test_webhook_flags_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_DOMAIN_FILTER", "goldentooth.net,example.org")
    monkeypatch.setenv("DNSGATE_EXCLUDE_DOMAINS", "lab.goldentooth.net")
    monkeypatch.setenv("DNSGATE_TLS_CERT_FILE", "/tls/tls.crt")
    monkeypatch.setenv("DNSGATE_TLS_KEY_FILE", "/tls/tls.key")
    monkeypatch.setenv("DNSGATE_DEFAULT_TTL", "120")

    args = parse(["webhook", "--port", "9443"])

    assert args.domain_filter == ["goldentooth.net", "example.org"]
    assert args.exclude_domains == ["lab.goldentooth.net"]
    assert (str(args.tls_cert_file), str(args.tls_key_file)) == ("/tls/tls.crt", "/tls/tls.key")
    assert (args.default_ttl, args.port) == (120, 9443)


def test_command_line_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_DOMAIN_FILTER", "example.org")

    args = parse([
        "webhook", "--domain-filter", "goldentooth.net", "--tls-cert-file", "c",
        "--tls-key-file", "k"])

    assert args.domain_filter == ["goldentooth.net"]


def test_certs_flags_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_SECRET", "dnsgate-webhook-tls")
    monkeypatch.setenv("DNSGATE_WEBHOOK_CONFIG", "dnsgate")
    monkeypatch.setenv("DNSGATE_IP", "127.0.0.1,::1")

    args = parse(["certs"])

    assert (args.secret, args.webhook_config, args.ip) == (
        "dnsgate-webhook-tls", ["dnsgate"], ["127.0.0.1", "::1"])
    assert (args.service, args.namespace, args.validity_days) == ("dnsgate-webhook", "dnsgate",
                                                                  365)
