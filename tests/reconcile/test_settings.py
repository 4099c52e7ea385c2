"""Flags: ExternalDNS's names, env fallbacks, and one clear line for a bad combination."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dnsgate import cli
from reconciler import settings
from reconciler.errors import ConfigError
from tests.reconcile.conftest import SEED_ARGS


def parse(*argv: str) -> settings.Settings:
    return settings.from_args(cli.parse(["reconcile", *argv]))


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


@pytest.mark.parametrize(("argv", "env", "expected"), [
    ((), {}, (False, False, True)),
    (("--publish-internal-services", "--aws-prefer-cname",
      "--aws-evaluate-target-health=false"), {}, (True, True, False)),
    (("--no-aws-evaluate-target-health", "--no-aws-prefer-cname"), {}, (False, False, False)),
    (("--aws-evaluate-target-health",), {"DNSGATE_AWS_EVALUATE_TARGET_HEALTH": "false"},
     (False, False, True)),
    ((), {"DNSGATE_PUBLISH_INTERNAL_SERVICES": "true", "DNSGATE_AWS_PREFER_CNAME": "true",
          "DNSGATE_AWS_EVALUATE_TARGET_HEALTH": "false"}, (True, True, False)),
    ((), {"EXTERNAL_DNS_PUBLISH_INTERNAL_SERVICES": "1", "EXTERNAL_DNS_AWS_PREFER_CNAME": "t",
          "EXTERNAL_DNS_AWS_EVALUATE_TARGET_HEALTH": "F"}, (True, True, False)),
], ids=["external-dns-defaults", "flags", "external-dns-negations", "bare-flag-beats-env",
        "environment", "external-dns-environment"])
def test_source_flags_for_cluster_ips_and_aliases(
        monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...], env: dict[str, str],
        expected: tuple[bool, bool, bool]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    s = parse(*argv)

    assert (s.source.publish_internal, s.source.aliases.prefer_cname,
            s.source.aliases.evaluate_target_health) == expected


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
    (["--no-such-flag"], "dnsgate reconcile: error: --no-such-flag is not a flag of dnsgate "
                         "reconcile", 1),
])
def test_cli_exits_at_start_naming_the_flag(argv: list[str], line: str, lines: int) -> None:
    result = subprocess.run([sys.executable, "-m", "dnsgate", "reconcile", *argv],
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(line)
    assert len(result.stderr.splitlines()) == lines
    assert result.stdout == ""


def test_the_seeds_external_dns_args_carry_over() -> None:
    args = cli.parse(["reconcile", *SEED_ARGS])
    s = settings.from_args(args)

    assert s.source.domains.include == ("goldentooth.net",)
    assert (s.registry.owner_id, s.route53.zone_type) == ("external-dns-external-dns", "public")
    assert (s.aws.region, args.log_level) == ("us-east-1", "debug")


@pytest.mark.parametrize(("argv", "expected"), [
    (["--metrics-address=:7979"], ("0.0.0.0", 7979)),
    (["--metrics-address=127.0.0.1:9100"], ("127.0.0.1", 9100)),
    (["--metrics-address=127.0.0.1:9100", "--health-port=9100"], ("127.0.0.1", 9100)),
    (["--health-port=8080"], ("0.0.0.0", 8080)),
])
def test_metrics_address_serves_the_health_server_there(
        argv: list[str], expected: tuple[str, int]) -> None:
    s = parse(*argv)

    assert (s.health_address, s.health_port) == expected


@pytest.mark.parametrize(("argv", "field", "value"), [
    (["--aws-batch-change-size=250"], "batch_changes", 250),
    (["--aws-batch-change-size-values=500"], "batch_values", 500),
    (["--aws-batch-change-size-bytes=16000"], "batch_chars", 16000),
    (["--aws-batch-change-interval=1s"], "batch_interval", 1.0),
    (["--aws-batch-change-interval=1m30s"], "batch_interval", 90.0),
    (["--aws-api-retries=3"], "api_retries", 3),
    ([], "batch_changes", 1000),
    ([], "batch_interval", 0.0),
])
def test_aws_batch_flags_set_the_route53_slice(argv: list[str], field: str, value: object) -> None:
    assert getattr(parse(*argv).route53, field) == value


@pytest.mark.parametrize(("argv", "expected"), [
    (["--kubeconfig=/etc/k.yaml", "--server=https://10.0.0.1:6443"],
     ("/etc/k.yaml", "https://10.0.0.1:6443")),
    ([], ("", "")),
])
def test_kubeconfig_and_server_set_the_kubernetes_slice(
        argv: list[str], expected: tuple[str, str]) -> None:
    s = parse(*argv)

    assert (s.kubernetes.kubeconfig, s.kubernetes.server) == expected


def test_label_filter_and_aws_profile() -> None:
    s = parse("--label-filter=dns=public", "--aws-profile=route53")

    assert (s.source.label_filter, s.aws.profile, s.aws.region) == ("dns=public", "route53", None)


@pytest.mark.parametrize("argv", [
    ["--events"], ["--events=false"], ["--no-events"], ["--annotation-prefix",
                                                        "external-dns.kubernetes.io/"],
    ["--enable-legacy-annotation-prefix"], ["--log-level=trace"],
    ["--log-level=fatal"], ["--source=service", "--source=service"],
])
def test_mapped_flags_are_accepted(argv: list[str]) -> None:
    parse(*argv)


@pytest.mark.parametrize(("argv", "message"), [
    (["--metrics-address=7979"], '--metrics-address "7979" is not [HOST]:PORT'),
    (["--metrics-address=:7979", "--health-port=8080"],
     '--metrics-address ":7979" and --health-port 8080 name two ports for one server'),
    (["--aws-batch-change-size=0"], "--aws-batch-change-size 0: Route53 takes 1 to 1000 changes"),
    (["--aws-batch-change-size=1001"], "--aws-batch-change-size 1001: Route53 takes 1 to 1000"),
    (["--aws-batch-change-size-bytes=32001"], "--aws-batch-change-size-bytes 32001: Route53 "
                                              "takes 1 to 32000 characters"),
    (["--aws-batch-change-interval=soon"], '--aws-batch-change-interval "soon" is not a '
                                           "duration"),
    (["--aws-api-retries=-1"], "--aws-api-retries -1 is negative"),
    (["--aws-profile=a", "--aws-profile=b"], "--aws-profile a, b: dnsgate writes to one AWS "
                                             "account"),
    (["--source=pod"], '--source "pod" is not implemented by dnsgate; supported: '
                       "service, ingress"),
    (["--source=service", "--source=node"], '--source "node" is not implemented by dnsgate'),
    (["--provider=google"], '--provider "google" is not implemented by dnsgate; supported: aws'),
    (["--registry=dynamodb"], '--registry "dynamodb" is not implemented by dnsgate; supported: '
                              "txt"),
    (["--annotation-prefix=example.com/"], '--annotation-prefix "example.com/" is not '
                                           "implemented by dnsgate"),
])
def test_values_dnsgate_cannot_honour_are_refused(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse(*argv)

    assert str(refused.value).startswith(message)


def test_aws_region_and_profile_reach_the_route53_client(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from reconciler import credentials

    config = tmp_path / "config"
    config.write_text("[profile china]\nregion = cn-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ROUTE_53"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "cn-north-1")

    # Route53 is global: the region picks the partition, and so the endpoint.
    def endpoint(aws: settings.AWSSettings) -> str:
        return credentials.route53_client(aws).meta.endpoint_url  # type: ignore[attr-defined,no-any-return]

    assert endpoint(settings.AWSSettings()) == "https://route53.amazonaws.com.cn"
    assert endpoint(settings.AWSSettings(region="us-east-1")) == "https://route53.amazonaws.com"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert endpoint(settings.AWSSettings(profile="china")) == "https://route53.amazonaws.com.cn"
    with pytest.raises(ConfigError, match='--aws-profile "nope"'):
        credentials.route53_client(settings.AWSSettings(profile="nope"))


@pytest.mark.parametrize(("flag", "aws_region", "aws_default_region", "endpoint"), [
    (None, "cn-north-1", None, "https://route53.amazonaws.com.cn"),  # ExternalDNS's variable
    (None, "cn-north-1", "us-east-1", "https://route53.amazonaws.com.cn"),  # read first
    (None, None, "cn-north-1", "https://route53.amazonaws.com.cn"),  # boto3's own chain
    ("us-east-1", "cn-north-1", None, "https://route53.amazonaws.com"),  # the flag wins
])
def test_aws_region_is_read_as_externaldns_reads_it(  # type: ignore[no-untyped-def]
        flag, aws_region, aws_default_region, endpoint, monkeypatch, tmp_path) -> None:
    from reconciler import credentials

    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent"))
    for name, value in (("AWS_REGION", aws_region), ("AWS_DEFAULT_REGION", aws_default_region)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ROUTE_53"):
        monkeypatch.delenv(name, raising=False)

    client = credentials.route53_client(settings.AWSSettings(region=flag))

    assert client.meta.endpoint_url == endpoint  # type: ignore[attr-defined]


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
