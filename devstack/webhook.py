"""Run dnsgate's admission webhook on this machine and register it with the local apiserver.

The WebhookConfigurations are the ones shipped in manifests/base/webhook-configurations.yaml,
with only clientConfig rewritten: a `url` to https://127.0.0.1:<port> instead of the
in-cluster Service (the local apiserver has no Service network). Tests, the demo and the
benchmarks all register the webhook through `local_configurations` and start it with
`start`, so they exercise the same rules (matchConditions, namespaceSelector, timeouts)
as an installation.

`keep_certificate` runs the certificate keeper as an installation does: the base's
ServiceAccount, rights and admission policies (manifests/base/rbac-certs.yaml,
admission-policy-certs.yaml) applied, `dnsgate certs --keep` run with that account's token
alone, and its Secret kept in a directory as the kubelet keeps a mounted one
(devstack.secretvolume), for the webhook to serve.
"""

from __future__ import annotations

import copy
import json
import os
import ssl
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from devstack import kubectl, serviceaccounts
from devstack.processes import Child, Supervisor, wait_until
from devstack.secretvolume import SecretVolume

BASE = Path(__file__).resolve().parents[1] / "manifests/base"
MANIFEST = BASE / "webhook-configurations.yaml"
KEEPER_OBJECTS = ("namespace.yaml", "rbac-certs.yaml", "admission-policy-certs.yaml")
"""What the certificate keeper needs from the base, in the order to apply it."""
NAMESPACE, KEEPER, SECRET = "dnsgate", "dnsgate-certs", "dnsgate-webhook-tls"
INGRESS_COMPONENT = Path(__file__).resolve().parents[1] / "manifests/components/ingress"
"""The kustomize component that adds the Ingress webhooks (a JSON patch per configuration)."""
GATEWAY_COMPONENT = Path(__file__).resolve().parents[1] / "manifests/components/gateway-api"
"""The kustomize component that adds the route webhooks, the same way."""
READY_TIMEOUT = 60.0


def load_configurations(path: Path = MANIFEST) -> list[dict[str, Any]]:
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def with_ingresses(configurations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The configurations with the ingress component's webhooks added, as its patches add
    them (each patch appends one webhook to the configuration of its kind)."""
    return _with_component(configurations, INGRESS_COMPONENT, "ingresses")


def with_routes(configurations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The configurations with the gateway-api component's route webhooks added."""
    return _with_component(configurations, GATEWAY_COMPONENT, "routes")


def _with_component(configurations: list[dict[str, Any]], component: Path, objects: str
                    ) -> list[dict[str, Any]]:
    patched = copy.deepcopy(configurations)
    for configuration in patched:
        kind = "mutate" if configuration["kind"].startswith("Mutating") else "validate"
        with open(component / f"{kind}-{objects}.yaml") as handle:
            for operation in yaml.safe_load(handle):
                assert (operation["op"], operation["path"]) == ("add", "/webhooks/-")
                configuration["webhooks"].append(operation["value"])
    return patched


def local_configurations(
    port: int, ca_pem: bytes | None = None, path: Path = MANIFEST, *, ingresses: bool = False,
    routes: bool = False,
) -> list[dict[str, Any]]:
    """The shipped configurations pointing at https://127.0.0.1:<port>/<path>; with
    `ingresses`, also the ingress component's webhooks; with `routes`, the gateway-api
    component's.

    Without `ca_pem` the caBundle is left out, for `dnsgate certs` to inject.
    """
    import base64

    configurations = copy.deepcopy(load_configurations(path))
    if ingresses:
        configurations = with_ingresses(configurations)
    if routes:
        configurations = with_routes(configurations)
    for configuration in configurations:
        for webhook in configuration["webhooks"]:
            service = webhook["clientConfig"]["service"]
            webhook["clientConfig"] = {"url": f"https://127.0.0.1:{port}{service['path']}"}
            if ca_pem is not None:
                webhook["clientConfig"]["caBundle"] = base64.b64encode(ca_pem).decode()
    return configurations


def register(kubeconfig: Path | str, configurations: Sequence[Mapping[str, Any]]) -> None:
    document = {"apiVersion": "v1", "kind": "List", "items": list(configurations)}
    kubectl.run(kubeconfig, "apply", "-f", "-", input=json.dumps(document))


def unregister(kubeconfig: Path | str, configurations: Sequence[Mapping[str, Any]]) -> None:
    for configuration in configurations:
        kubectl.run(kubeconfig, "delete", configuration["kind"].lower(),
                    configuration["metadata"]["name"], "--ignore-not-found", "--wait=true")


def ready(port: int, ca_file: Path) -> bool:
    context = ssl.create_default_context(cafile=str(ca_file))
    url = f"https://127.0.0.1:{port}/readyz"
    with urllib.request.urlopen(url, timeout=2, context=context) as response:
        return bool(response.status == 200)


def start(
    supervisor: Supervisor,
    *,
    port: int,
    cert_file: Path,
    key_file: Path,
    ca_file: Path,
    domain_filters: Sequence[str],
    kubeconfig: Path | str,
    extra_args: Sequence[str] = (),
    name: str = "dnsgate-webhook",
    environment: Mapping[str, str] | None = None,
) -> Child:
    """Start `dnsgate webhook` on 127.0.0.1:<port> and wait until it answers /readyz;
    `environment`: variables to add, as a settings ConfigMap adds them."""
    argv = [
        sys.executable, "-m", "dnsgate", "webhook",
        "--host", "127.0.0.1", "--port", str(port),
        "--tls-cert-file", str(cert_file), "--tls-key-file", str(key_file),
        *(f"--domain-filter={domain}" for domain in domain_filters),
        *extra_args,
    ]
    env = {**os.environ, **(environment or {}), "KUBECONFIG": str(kubeconfig)}
    child = supervisor.start(name, argv, env=env)
    # Each gunicorn worker has its own index; a few ready answers in a row on fresh
    # connections make it likely that every worker has listed the Services.
    streak = [0]

    def all_ready() -> bool:
        try:
            streak[0] = streak[0] + 1 if ready(port, ca_file) else 0
        except OSError:  # refused while binding, 503 (HTTPError) while listing
            streak[0] = 0
        return streak[0] >= 5

    wait_until(child, all_ready, timeout=READY_TIMEOUT, what="ready (/readyz)")
    return child


def keep_certificate(
    supervisor: Supervisor, kubeconfig: Path, directory: Path, *,
    extra_args: Sequence[str] = (),
) -> tuple[Child, SecretVolume]:
    """Start `dnsgate certs --keep` as the base's keeper account, for a webhook on
    127.0.0.1 registered under the configurations' name `dnsgate`; returns it and the
    synced Secret volume in `directory` (tls.crt, tls.key, ca.crt), once the Secret exists."""
    for name in KEEPER_OBJECTS:
        kubectl.run(kubeconfig, "apply", "-f", str(BASE / name))
    account = serviceaccounts.token_kubeconfig(
        Path(kubeconfig), NAMESPACE, KEEPER, directory.parent / f"{KEEPER}.kubeconfig",
        seconds=7 * 24 * 3600)
    argv = [sys.executable, "-m", "dnsgate", "certs", "--keep", f"--namespace={NAMESPACE}",
            "--service=dnsgate-webhook", f"--secret={SECRET}", "--webhook-config=dnsgate",
            "--ip=127.0.0.1", *extra_args]
    child = supervisor.start(KEEPER, argv, env={**os.environ, "KUBECONFIG": str(account)})
    volume = SecretVolume(Path(kubeconfig), NAMESPACE, SECRET, directory)
    volume.wait_present()
    return child, volume.start()
