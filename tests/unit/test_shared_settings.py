"""One configuration for both deployables: every flag that decides which names are published
(`dnsgate.publication`) gives `dnsgate webhook` and `dnsgate reconcile` the same view, from
the command line, DNSGATE_* and EXTERNAL_DNS_* alike, or is refused by both with the same
line; and a flag one of them cannot honour is refused by it at start, naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from dnsgate import cli, errors, flags, publication
from dnsgate.ingress import IngressSettings
from dnsgate.txtname import TXTNaming
from reconciler import settings as reconciler_settings
from webhook import cli as webhook_cli

DOMAIN = "--domain-filter=goldentooth.net"
WEBHOOK_ARGS = ("--tls-cert-file=tls.crt", "--tls-key-file=tls.key")

# Per shared flag: values to give it. Each either changes what both sides see from the
# default, or is refused by both (marked `REFUSED`).
REFUSED = "refused"
SAMPLES: dict[str, list[tuple[str, str | None]]] = {
    "--source": [("ingress", None), ("service,ingress", None), ("gateway-httproute", None),
                ("istio-gateway", REFUSED)],
    "--gateway-name": [("edge", None)],
    "--gateway-namespace": [("infra", None)],
    "--gateway-label-filter": [("tier=edge", None), ("tier in edge", REFUSED),
                               ("tier!=edge", REFUSED), ("tier>1", REFUSED)],
    "--namespace": [("apps", None)],
    "--label-filter": [("dns=public", None), ("tier in (web,api),!legacy", None),
                       ("dns in public", REFUSED)],
    "--domain-filter": [("example.org", None), ("goldentooth.net,example.org", None)],
    "--exclude-domains": [("lab.goldentooth.net", None)],
    "--publish-internal-services": [("true", None), ("ture", REFUSED)],
    "--ingress-class": [("public", None)],
    "--ignore-ingress-tls-spec": [("true", None)],
    "--ignore-ingress-rules-spec": [("true", None)],
    "--txt-owner-id": [("cluster-a", None), ("", REFUSED)],
    "--txt-prefix": [("dns-", None), ("%{record_type}-dns.", None)],
    "--txt-suffix": [("-dns", None)],
    "--txt-wildcard-replacement": [("star", None)],
    "--annotation-prefix": [("external-dns.kubernetes.io/", None),
                            ("dns.example.org/", REFUSED)],
    "--enable-legacy-annotation-prefix": [("false", REFUSED)],
    "--domain-policy": [("dnsgate/dnsgate-domain-policy", None),
                        ("dnsgate-domain-policy", REFUSED)],
    "--owners-index": [("dnsgate/dnsgate-owners", None), ("dnsgate-owners", REFUSED)],
}
# dnsgate's own flags, which ExternalDNS does not have: no EXTERNAL_DNS_ variable sets them.
DNSGATE_ONLY = {"--domain-policy", "--owners-index"}
# Flags whose value neither side turns into a view of its own: they are only checked.
CHECKED_ONLY = {"--txt-owner-id", "--annotation-prefix", "--enable-legacy-annotation-prefix"}
# For the Ingress flags to show, Ingresses must be a source on both sides; for the Gateway
# flags, a route source.
NEEDS_INGRESS = {"--ingress-class", "--ignore-ingress-tls-spec", "--ignore-ingress-rules-spec"}
NEEDS_ROUTES = {"--gateway-name", "--gateway-namespace", "--gateway-label-filter"}


def webhook_view(args: Any) -> dict[str, Any]:
    """What `dnsgate webhook` reviews and watches with."""
    admission = webhook_cli.admission_settings(args)
    return {"domains": admission.domains, "txt": admission.txt,
            "publish_internal": admission.publish_internal, "ingresses": admission.ingresses,
            "sources": admission.scope.sources, "namespace": admission.scope.namespace,
            "label_filter": admission.scope.labels.text,
            "domain_policy": admission.domain_policy, "owners_index": admission.owners_index,
            "gateway": admission.gateway if admission.route_kinds else None}


def reconciler_view(args: Any) -> dict[str, Any]:
    """What `dnsgate reconcile` publishes and watches with."""
    settings = reconciler_settings.from_args(args)
    source, registry = settings.source, settings.registry
    assert settings.route53.domains == source.domains
    return {"domains": source.domains,
            "txt": TXTNaming(registry.prefix, registry.suffix, registry.wildcard_replacement),
            "publish_internal": source.publish_internal,
            "ingresses": source.ingress if "ingress" in source.sources else None,
            "sources": source.sources, "namespace": source.namespace,
            "label_filter": source.label_filter, "domain_policy": source.domain_policy,
            "owners_index": settings.owners_index,
            "gateway": source.gateway if any(
                s.startswith("gateway-") for s in source.sources) else None}


VIEWS = {"webhook": (webhook_view, WEBHOOK_ARGS), "reconcile": (reconciler_view, ())}


def view(command: str, argv: list[str]) -> dict[str, Any] | str:
    """The command's view of `argv` and the environment, or its one-line refusal."""
    build, own = VIEWS[command]
    try:
        return build(cli.parse([command, *own, *argv]))
    except errors.ConfigError as refused:
        return str(refused)


def cases() -> list[Any]:
    found = []
    for flag, samples in SAMPLES.items():
        for value, expected in samples:
            # An empty variable counts as unset (as in ExternalDNS): "" is given as a flag.
            wheres = ("argv", "DNSGATE_") if flag in DNSGATE_ONLY else (
                "argv", "DNSGATE_", "EXTERNAL_DNS_")
            for where in ("argv",) if value == "" else wheres:
                found.append(pytest.param(flag, value, where, expected,
                                          id=f"{flag}={value}-{where}"))
    return found


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith((flags.PREFIX, flags.EXTERNAL_DNS_PREFIX)):
            monkeypatch.delenv(name)
    return monkeypatch


def test_every_shared_flag_has_samples() -> None:
    assert set(SAMPLES) == set(publication.flag_names())


@pytest.mark.parametrize(("flag", "value", "where", "expected"), cases())
def test_both_deployables_see_a_shared_flag_alike(
        clean_environment: pytest.MonkeyPatch, flag: str, value: str, where: str,
        expected: str | None) -> None:
    argv = [] if flag == "--domain-filter" else [DOMAIN]
    if flag in NEEDS_INGRESS:
        argv.append("--source=service,ingress")
    if flag in NEEDS_ROUTES:
        argv.append("--source=service,gateway-httproute")
    default = view("reconcile", argv)
    if where == "argv":
        argv.append(f"{flag}={value}")
    else:
        clean_environment.setenv(flags.env_name(flag, where), value)

    seen = {command: view(command, argv) for command in VIEWS}

    assert seen["webhook"] == seen["reconcile"]
    if expected == REFUSED:
        assert isinstance(seen["webhook"], str), seen
    elif flag not in CHECKED_ONLY:
        assert isinstance(seen["webhook"], dict), seen
        assert seen["webhook"] != default, f"{flag}={value} changed nothing"


def test_the_webhook_view_holds_what_each_setting_says(
        clean_environment: pytest.MonkeyPatch) -> None:
    """Guards the comparison above against comparing two empty views."""
    seen = view("webhook", [DOMAIN, "--source=service,ingress", "--namespace=apps",
                            "--label-filter=dns=public", "--txt-prefix=dns-",
                            "--ingress-class=public", "--publish-internal-services"])

    assert isinstance(seen, dict)
    assert (seen["namespace"], seen["label_filter"], seen["sources"]) == (
        "apps", "dns=public", ("service", "ingress"))
    assert seen["txt"] == TXTNaming(prefix="dns-")
    assert seen["ingresses"] == IngressSettings(classes=("public",))
    assert seen["publish_internal"] is True


@pytest.mark.parametrize(("argv", "line"), [
    (["webhook", DOMAIN, *WEBHOOK_ARGS, "--policy=upsert-only"],
     "dnsgate webhook: error: --policy is a flag of dnsgate doctor, dnsgate reconcile, not "
     "of dnsgate webhook, which does not act on it"),
    (["webhook", DOMAIN, *WEBHOOK_ARGS, "--aws-zone-type=private"],
     "dnsgate webhook: error: --aws-zone-type is a flag of dnsgate doctor"),
    (["reconcile", DOMAIN, "--default-ttl=30"],
     "dnsgate reconcile: error: --default-ttl is a flag of dnsgate webhook, not of dnsgate "
     "reconcile, which does not act on it; give it to dnsgate webhook only"),
    (["webhook", DOMAIN, *WEBHOOK_ARGS, "--regex-domain-filter=.*"],
     "dnsgate webhook: error: --regex-domain-filter is an ExternalDNS flag that dnsgate does "
     "not implement"),
], ids=["webhook-policy", "webhook-zone-type", "reconcile-default-ttl", "webhook-regex"])
def test_a_flag_one_side_cannot_honour_is_refused_at_its_start(
        argv: list[str], line: str) -> None:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith((flags.PREFIX, flags.EXTERNAL_DNS_PREFIX))}
    result = subprocess.run([sys.executable, "-m", "dnsgate", *argv], capture_output=True,
                            text=True, timeout=60, env=clean, check=False)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(line), result.stderr
