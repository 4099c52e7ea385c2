"""The rules every dnsgate command's flags follow (dnsgate/flags.py): the environment is read
as strictly as the command line, booleans take Go's spellings only, and a variable that
sets nothing is refused by name rather than ignored."""

from __future__ import annotations

from typing import Any

import pytest

from dnsgate import flags
from dnsgate.errors import ConfigError

GO_TRUE = ["1", "t", "T", "TRUE", "true", "True"]
GO_FALSE = ["0", "f", "F", "FALSE", "false", "False"]
# What Python's habits, YAML or a typo would write; ExternalDNS refuses every one of them.
NOT_BOOLEANS = ["ture", "yes", "no", "on", "off", "y", "tRUE", "FaLsE", " true", "true ", "2"]


def parser() -> flags.Parser:
    p = flags.Parser(prog="dnsgate test")
    flags.add(p, "--domain-filter", action="append", external_dns=True, help="domains")
    flags.add(p, "--txt-owner-id", default="default", external_dns=True, help="owner")
    flags.add(p, "--once", action="store_true", external_dns=True, help="once")
    flags.add(p, "--health-port", type=int, default=0, help="port")
    flags.add(p, "--log-level", default="info", choices=("debug", "info"), help="level")
    flags.add(p, "--tls-cert-file", required=False, default="", help="file")
    p.check_environment = lambda _: flags.check_environment([p])
    return p


def parse(*argv: str) -> Any:
    return parser().parse_args(list(argv))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith((flags.PREFIX, flags.EXTERNAL_DNS_PREFIX)):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(("spelling", "value"), [
    *((s, True) for s in GO_TRUE), *((s, False) for s in GO_FALSE)])
def test_boolean_flag_values_take_go_spellings(spelling: str, value: bool) -> None:
    assert parse(f"--once={spelling}").once is value


@pytest.mark.parametrize(("variable", "spelling", "value"), [
    *((v, s, True) for v in ("DNSGATE_ONCE", "EXTERNAL_DNS_ONCE") for s in GO_TRUE),
    *((v, s, False) for v in ("DNSGATE_ONCE", "EXTERNAL_DNS_ONCE") for s in GO_FALSE)])
def test_boolean_variables_take_go_spellings(monkeypatch: pytest.MonkeyPatch, variable: str,
                                             spelling: str, value: bool) -> None:
    monkeypatch.setenv(variable, spelling)

    assert parse().once is value


@pytest.mark.parametrize("spelling", NOT_BOOLEANS)
def test_other_boolean_flag_values_are_refused_never_false(spelling: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse(f"--once={spelling}")

    assert str(refused.value).startswith(f'--once "{spelling}" is not a boolean; use true or '
                                         "false (also 1, t, T")


@pytest.mark.parametrize("variable", ["DNSGATE_ONCE", "EXTERNAL_DNS_ONCE"])
@pytest.mark.parametrize("spelling", NOT_BOOLEANS)
def test_other_boolean_variables_are_refused_never_false(
        monkeypatch: pytest.MonkeyPatch, variable: str, spelling: str) -> None:
    monkeypatch.setenv(variable, spelling)

    with pytest.raises(ConfigError) as refused:
        parse()

    assert str(refused.value).startswith(f'{variable}="{spelling}" is not a boolean')


def test_a_bad_variable_is_refused_even_when_the_command_line_overrides_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_ONCE", "ture")

    with pytest.raises(ConfigError, match='DNSGATE_ONCE="ture" is not a boolean'):
        parse("--once")


@pytest.mark.parametrize(("argv", "once"), [
    ([], False), (["--once"], True), (["--no-once"], False), (["--once", "--no-once"], False),
    (["--once=false"], False), (["--once", "0"], False)])
def test_boolean_flag_forms(argv: list[str], once: bool) -> None:
    assert parse(*argv).once is once


def test_negated_boolean_takes_no_value() -> None:
    with pytest.raises(ConfigError, match='--no-once takes no value'):
        parse("--no-once=true")


@pytest.mark.parametrize(("environment", "expected"), [
    ({"DNSGATE_DOMAIN_FILTER": "a.net,b.net"}, ["a.net", "b.net"]),
    ({"EXTERNAL_DNS_DOMAIN_FILTER": "a.net,b.net"}, ["a.net", "b.net"]),
    # ExternalDNS's flag library splits repeated values in a variable on newlines.
    ({"EXTERNAL_DNS_DOMAIN_FILTER": "a.net\nb.net\n"}, ["a.net", "b.net"]),
    ({"DNSGATE_DOMAIN_FILTER": "a.net", "EXTERNAL_DNS_DOMAIN_FILTER": "a.net"}, ["a.net"]),
    # Empty is unset, as ExternalDNS has it.
    ({"EXTERNAL_DNS_DOMAIN_FILTER": ""}, []),
])
def test_external_dns_variables_are_read_like_dnsgate_ones(
        monkeypatch: pytest.MonkeyPatch, environment: dict[str, str],
        expected: list[str]) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert parse().domain_filter == expected


def test_command_line_wins_over_both_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTERNAL_DNS_TXT_OWNER_ID", "from-env")
    monkeypatch.setenv("EXTERNAL_DNS_DOMAIN_FILTER", "env.net")

    args = parse("--txt-owner-id", "from-flag", "--domain-filter", "flag.net")

    assert (args.txt_owner_id, args.domain_filter) == ("from-flag", ["flag.net"])


def test_variables_of_both_prefixes_that_disagree_are_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_TXT_OWNER_ID", "a")
    monkeypatch.setenv("EXTERNAL_DNS_TXT_OWNER_ID", "b")

    with pytest.raises(ConfigError, match='DNSGATE_TXT_OWNER_ID="a" and '
                                          'EXTERNAL_DNS_TXT_OWNER_ID="b" disagree'):
        parse()


def test_dnsgate_only_flags_do_not_read_external_dns_variables(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTERNAL_DNS_HEALTH_PORT", "8080")

    with pytest.raises(ConfigError, match="EXTERNAL_DNS_HEALTH_PORT is not a dnsgate setting; "
                                          r"did you mean DNSGATE_HEALTH_PORT \(--health-port\)"):
        parse()


@pytest.mark.parametrize(("name", "message"), [
    ("DNSGATE_DOMAIN_FILTERS", "DNSGATE_DOMAIN_FILTERS is not a dnsgate setting; did you mean "
                               "DNSGATE_DOMAIN_FILTER (--domain-filter)?"),
    ("EXTERNAL_DNS_DOMAIN_FILTERS", "EXTERNAL_DNS_DOMAIN_FILTERS is not a dnsgate setting; did "
                                    "you mean EXTERNAL_DNS_DOMAIN_FILTER (--domain-filter)?"),
    ("DNSGATE_TXT_OWNERID", "did you mean DNSGATE_TXT_OWNER_ID (--txt-owner-id)?"),
    ("DNSGATE_XYZZY", "DNSGATE_XYZZY is not a dnsgate setting: no dnsgate command has a flag "
                      "--xyzzy"),
])
def test_unknown_variables_are_refused_naming_the_closest_flag(
        monkeypatch: pytest.MonkeyPatch, name: str, message: str) -> None:
    monkeypatch.setenv(name, "goldentooth.net")

    with pytest.raises(ConfigError) as refused:
        parse()

    assert message in str(refused.value)


def test_unknown_variables_are_refused_even_when_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_DOMAIN_FILTERS", "")

    with pytest.raises(ConfigError, match="DNSGATE_DOMAIN_FILTERS is not a dnsgate setting"):
        parse()


def test_the_dev_stacks_own_variables_are_not_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_CACHE", "/tmp/cache")
    monkeypatch.setenv("DNSGATE_STATE_DIR", "/tmp/state")

    assert parse().txt_owner_id == "default"


@pytest.mark.parametrize(("environment", "message"), [
    ({"DNSGATE_HEALTH_PORT": "80a"}, 'DNSGATE_HEALTH_PORT="80a" is not a valid --health-port '
                                     "(a whole number)"),
    ({"DNSGATE_LOG_LEVEL": "verbose"}, 'DNSGATE_LOG_LEVEL="verbose": "verbose" is not one of '
                                       "debug, info"),
])
def test_variables_are_converted_and_checked_like_flags(
        monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], message: str) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError) as refused:
        parse()

    assert str(refused.value) == message


@pytest.mark.parametrize(("argv", "message"), [
    (["--domain"], "--domain is not a flag of dnsgate test; did you mean --domain-filter?"),
    (["--dry-run"], "--dry-run is not a flag of dnsgate test; see dnsgate test --help"),
    (["stray"], 'unexpected argument "stray": dnsgate test takes flags only'),
])
def test_unknown_flags_are_refused_never_abbreviated(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse(*argv)

    assert (str(refused.value), refused.value.prog) == (message, "dnsgate test")


def test_a_required_flag_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    p = flags.Parser(prog="dnsgate test")
    flags.add(p, "--tls-cert-file", required=True, help="file")

    with pytest.raises(ConfigError, match="--tls-cert-file is required; give it, or set "
                                          "DNSGATE_TLS_CERT_FILE"):
        p.parse_args([])
    monkeypatch.setenv("DNSGATE_TLS_CERT_FILE", "/tls/tls.crt")
    assert p.parse_args([]).tls_cert_file == "/tls/tls.crt"


def test_env_names_follow_external_dns() -> None:
    # kingpin's DefaultEnvars: the app name, then the flag with every run of characters
    # other than letters, digits and "_" turned into "_", upper-cased.
    assert flags.env_name("--aws-batch-change-size", flags.EXTERNAL_DNS_PREFIX) == (
        "EXTERNAL_DNS_AWS_BATCH_CHANGE_SIZE")
    assert flags.env_name("--txt-owner-id") == "DNSGATE_TXT_OWNER_ID"
