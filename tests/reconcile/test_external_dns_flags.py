"""Every flag of ExternalDNS v0.14.2 (the seed's) and of the latest release, as the release
itself lists them (its `--help`, built from the Go module proxy by devstack/oracle), is
accepted, mapped or refused by name by `dnsgate reconcile`, as dnsgate/externaldns.py and
docs/flags.md say.

A flag a new release adds fails here until it is classified: it may not be silently
unknown."""

from __future__ import annotations

import argparse

import pytest

from devstack import oracle
from dnsgate import cli, externaldns, flags
from dnsgate.errors import ConfigError
from reconciler import settings

# Values for the accepted flags whose default is empty or not a string.
SAMPLES = {"domain-filter": "goldentooth.net", "exclude-domains": "lab.goldentooth.net",
           "zone-id-filter": "Z0736727S7ZH91VKK44A", "aws-profile": "default",
           "kubeconfig": "/etc/kubernetes/kubeconfig", "server": "https://10.0.0.1:6443",
           "namespace": "httpbin", "label-filter": "dns=public", "txt-prefix": "txt-",
           "txt-wildcard-replacement": "any", "txt-encrypt-aes-key": "0" * 32,
           "metrics-address": ":7979", "annotation-prefix": "external-dns.kubernetes.io/"}
# Flags that work only with another: encryption with its key, and a key only to encrypt.
COMPANIONS = {"txt-encrypt-enabled": ["--txt-encrypt-aes-key=" + "0" * 32],
              "txt-encrypt-aes-key": ["--txt-encrypt-enabled"]}


@pytest.fixture(scope="module", params=oracle.VERSIONS)
def release(request: pytest.FixtureRequest) -> tuple[str, dict[str, bool]]:
    return request.param, oracle.flags(request.param)


@pytest.fixture(scope="module")
def parser() -> flags.Parser:
    return cli.build_parser()


def reconcile_command(parser: flags.Parser) -> flags.Parser:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command: flags.Parser = sub.choices["reconcile"]
    return command


def refusal(parser: flags.Parser, argv: list[str]) -> str:
    try:
        parser.parse_args(["reconcile", *argv])
    except ConfigError as exc:
        return str(exc)
    return "accepted"


@pytest.fixture(autouse=True)
def no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith((flags.PREFIX, flags.EXTERNAL_DNS_PREFIX)):
            monkeypatch.delenv(name)


def test_the_release_lists_its_flags(release: tuple[str, dict[str, bool]]) -> None:
    """The list the table test runs over is the real one, not an empty or mangled parse."""
    _, listed = release

    assert {"source", "provider", "registry", "domain-filter", "txt-owner-id", "aws-zone-type",
            "events", "metrics-address", "kubeconfig", "aws-batch-change-size",
            "aws-batch-change-interval", "version"} <= set(listed)
    assert (listed["once"], listed["events"], listed["interval"]) == (True, True, False)
    assert "aws-region" not in listed  # the seed's belief; dnsgate honours it anyway
    assert len(listed) > 150


def test_every_flag_is_accepted_mapped_or_refused_by_name(
        release: tuple[str, dict[str, bool]], parser: flags.Parser,
        monkeypatch: pytest.MonkeyPatch) -> None:
    version, listed = release
    command = reconcile_command(parser)
    actions = {option: action for action in command._actions for option in action.option_strings}
    readers = {setting.flag: setting.variables for setting in flags.settings(command)}
    defaults = {setting.flag: setting.default for setting in flags.settings(command)}
    problems: list[str] = []
    for name, boolean in sorted(listed.items()):
        option, variable = f"--{name}", flags.env_name(name, flags.EXTERNAL_DNS_PREFIX)
        entry = externaldns.lookup(name)
        if entry is None:
            problems.append(f"{option}: not classified in dnsgate/externaldns.py")
        elif entry.state is externaldns.State.REFUSED:
            said = f"{option} is an ExternalDNS flag that dnsgate does not implement: "
            for argv in ([option], [f"--no-{name}"]) if boolean else ([f"{option}=x"],
                                                                     [option, "x"]):
                if not refusal(parser, argv).startswith(said):
                    problems.append(f"{' '.join(argv)}: {refusal(parser, argv)}")
            with monkeypatch.context() as env:
                env.setenv(variable, "true" if boolean else "x")
                if not refusal(parser, []).startswith(f"{variable}: {said}"):
                    problems.append(f"{variable}: {refusal(parser, [])}")
        elif option not in actions:
            problems.append(f"{option} is {entry.state.value} but dnsgate reconcile lacks it")
        elif name not in ("help", "version"):
            takes_value = actions[option].nargs != "?"
            if takes_value == boolean:
                problems.append(f"{option}: boolean in ExternalDNS {version} is {boolean}, "
                                f"in dnsgate {not takes_value}")
            if variable not in readers.get(option, ()):
                problems.append(f"{option}: dnsgate does not read {variable}")
            default = defaults.get(option)
            value = SAMPLES.get(name) or (",".join(default) if isinstance(default, list)
                                          else str(default))
            argv = [option] if boolean else [f"{option}={value}"]
            argv += COMPANIONS.get(name, [])
            try:
                settings.from_args(parser.parse_args(["reconcile", *argv]))
            except ConfigError as exc:
                problems.append(f"{' '.join(argv)} is {entry.state.value} but refused: {exc}")

    assert problems == [], f"ExternalDNS {version}"
