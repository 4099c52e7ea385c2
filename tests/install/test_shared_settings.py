"""The chart and the kustomize base hand both deployables the settings that decide which names
are published (`dnsgate.publication`) through the one settings ConfigMap both read: neither
Deployment carries one in its args or env, and the chart fails the render when extraArgs or
env would give one to a single Deployment (the reconciler alone with --label-filter would let
the webhook hold names for Services it never publishes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dnsgate import flags, publication
from tests.install.conftest import CHART, MANIFESTS
from tests.install.rendering import IMAGE, helm_template, kustomize, pod_spec

SHARED = publication.flag_names()
DEPLOYMENTS = ("dnsgate-webhook", "dnsgate-reconciler")


def given_to_one(flag: str, form: str) -> tuple[str, ...]:
    """Values that give `flag` to one Deployment only, in one of the ways the chart takes."""
    name = flag.lstrip("-")
    variable = flags.env_name(flag)
    return {
        "extraArgs-list": ("--set-json", f"extraArgs={json.dumps([f'{flag}=x'])}"),
        "webhook.extraArgs-map": ("--set-json", f"webhook.extraArgs={json.dumps({name: 'x'})}"),
        "extraArgs-no": ("--set-json", f"extraArgs={json.dumps([f'--no-{name}'])}"),
        "env": ("--set-json", f"env={json.dumps([{'name': variable, 'value': 'x'}])}"),
        "webhook.env-external-dns": ("--set-json", "webhook.env=" + json.dumps(
            [{"name": flags.env_name(flag, flags.EXTERNAL_DNS_PREFIX), "value": "x"}])),
    }[form]


FORMS = ("extraArgs-list", "webhook.extraArgs-map", "extraArgs-no", "env",
         "webhook.env-external-dns")
CASES = [pytest.param(flag, FORMS[index % len(FORMS)], id=f"{flag}-{FORMS[index % len(FORMS)]}")
         for index, flag in enumerate(SHARED)]
CASES += [pytest.param("--label-filter", form, id=f"--label-filter-{form}") for form in FORMS
          if form != FORMS[SHARED.index("--label-filter") % len(FORMS)]]


# The top-level values the chart renders into the ConfigMap, as the ExternalDNS chart names them.
VALUES = {"--source": "sources", "--domain-filter": "domainFilters",
          "--exclude-domains": "excludeDomains", "--label-filter": "labelFilter",
          "--txt-owner-id": "txtOwnerId", "--txt-prefix": "txtPrefix",
          "--txt-suffix": "txtSuffix", "--txt-wildcard-replacement": "txtWildcardReplacement"}


@pytest.mark.parametrize(("flag", "form"), CASES)
def test_a_shared_flag_given_to_one_deployment_fails_the_render(
        helm, flag: str, form: str) -> None:
    result = helm("template", "dnsgate", str(CHART), *IMAGE, *given_to_one(flag, form),
                  check=False)

    assert result.returncode != 0
    assert f"sets {flag}, which decides which names are published" in result.stderr
    assert f"use {VALUES.get(flag, 'settings.' + flags.env_name(flag))} instead, which both " \
        f"read ({flags.env_name(flag)} in their ConfigMap)" in result.stderr


def test_other_flags_still_reach_their_deployment(helm) -> None:
    objects = helm_template(
        helm, CHART, "--set-json", 'extraArgs=["--interval=5m"]',
        "--set-json", 'webhook.extraArgs=["--workers=4"]',
        "--set-json", 'webhook.env=[{"name": "DNSGATE_THREADS", "value": "8"}]')

    assert pod_spec(objects, "dnsgate-reconciler")["containers"][0]["args"][-1] == (
        "--interval=5m")
    assert pod_spec(objects, "dnsgate-webhook")["containers"][0]["args"][-1] == "--workers=4"


def shared_in(objects: list[dict[str, Any]], name: str) -> list[str]:
    """The shared settings a Deployment's container carries itself, in args or env."""
    container = pod_spec(objects, name)["containers"][0]
    variables = {variable for flag in SHARED
                 for variable in (flags.env_name(flag),
                                  flags.env_name(flag, flags.EXTERNAL_DNS_PREFIX))}
    named = [arg for arg in container["args"]
             if arg.split("=", 1)[0].replace("--no-", "--") in SHARED]
    return named + [e["name"] for e in container.get("env") or () if e["name"] in variables]


@pytest.mark.parametrize("render", ["kustomize", "helm"])
def test_both_deployments_take_the_shared_settings_from_the_one_configmap(
        helm, render: str) -> None:
    objects = kustomize(MANIFESTS) if render == "kustomize" else helm_template(
        helm, CHART, "--set", "labelFilter=dns=public")
    settings = next(o for o in objects if o["kind"] == "ConfigMap")
    sources = {name: [ref["configMapRef"]["name"]
                      for ref in pod_spec(objects, name)["containers"][0]["envFrom"]]
               for name in DEPLOYMENTS}

    assert {name: shared_in(objects, name) for name in DEPLOYMENTS} == {
        name: [] for name in DEPLOYMENTS}
    assert sources == {name: [settings["metadata"]["name"]] for name in DEPLOYMENTS}
    assert "DNSGATE_DOMAIN_FILTER" in settings["data"]
    if render == "helm":
        assert settings["data"]["DNSGATE_LABEL_FILTER"] == "dns=public"


def test_the_chart_knows_the_shared_flags_the_code_has() -> None:
    """The template's list is the code's: a flag added to one and not the other fails here
    (the renders above then check each one)."""
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    listed = helpers.split('define "dnsgate.sharedFlags" -}}', 1)[1].split("{{-", 1)[0]

    assert sorted(listed.split()) == sorted(flag.lstrip("-") for flag in SHARED)
