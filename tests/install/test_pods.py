"""The manifests really run: every workload of the kustomize base, and of the chart's
default render, started as the kubelet would start it (devstack.pods), from the image the
Dockerfile builds, with nothing but what the manifests give it (its ServiceAccount's token,
its ConfigMap, its mounted Secrets); then the seed's story through those pods. A manifest
broken in a way only a running pod notices (a missing RBAC rule, a misnamed variable, a
wrong mount path or argument) fails the run, and the failure says which pod and why.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certs import pki
from devstack.image import Image
from devstack.pods.runner import PodFailure
from tests.install import cluster, rendering
from tests.install.certificates import (
    SECRET,
    age_serving_certificate,
    ca_bundles,
    secret_data,
    served_certificate,
)
from tests.install.conftest import CHART

pytestmark = pytest.mark.e2e

Objects = list[dict[str, Any]]


def _one(objects: Objects, kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _container(objects: Objects, deployment: str) -> dict[str, Any]:
    container: dict[str, Any] = _one(objects, "Deployment", deployment)["spec"]["template"][
        "spec"]["containers"][0]
    return container


def _pid_environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _run_and_tell_the_story(objects: Objects, image: Image, state: Path) -> None:
    with cluster.install(objects, image, state) as install:
        install.runner.run_namespace(cluster.NAMESPACE)
        cluster.seed_story(install)

        reconciler = next(p for p in install.runner.pods if "reconciler" in p.name)
        assert reconciler.sandboxed.pid is not None
        environ = _pid_environ(reconciler.sandboxed.pid)
        # What the kubelet gives: the kubernetes Service's address, the fieldRef, the
        # ConfigMap; and nothing from this machine (no kubeconfig, no AWS keys).
        assert environ["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
        assert environ["DNSGATE_LEADER_ELECTION_ID"] == reconciler.name
        assert environ["DNSGATE_DOMAIN_FILTER"] == "goldentooth.net"
        assert not {"KUBECONFIG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & set(environ)
        # Every DNSGATE_ variable a pod sees is one the install declares: dnsgate refuses
        # unknown ones, and the kubelet's Service links for Services in the namespace
        # (DNSGATE_WEBHOOK_SERVICE_HOST, ...) would be such variables.
        settings = {key for o in objects if o["kind"] == "ConfigMap" for key in o["data"]}
        for pod in install.runner.pods:
            assert pod.sandboxed.pid is not None
            declared = settings | {var.name for var in pod.spec.container.env}
            undeclared = [name for name in _pid_environ(pod.sandboxed.pid)
                          if name.startswith("DNSGATE_") and name not in declared]
            assert undeclared == [], pod.name
        stopped = install.runner.stop()
    assert [s for s in stopped if s.exit_code != 0 or not s.graceful] == []


def test_seed_story_runs_through_the_manifests_pods(image: Image, tmp_path: Path) -> None:
    _run_and_tell_the_story(cluster.render(), image, tmp_path)


def test_seed_story_runs_through_the_charts_default_pods(
    helm, image: Image, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    """`helm install` with the defaults, after the README's namespace (with its Pod Security
    label) and Secret; Route53 pointed at the relayed address through the chart's `env`."""
    objects = rendering.helm_template(
        helm, CHART, "--set", "env[0].name=AWS_ENDPOINT_URL_ROUTE_53",
        "--set", f"env[0].value=http://{cluster.ROUTE53_OUTSIDE[0]}")
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": cluster.NAMESPACE,
        "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
    assert not [o for o in objects if o["kind"] == "Namespace"]
    _run_and_tell_the_story([namespace, *objects], image, tmp_path)


def test_a_renewal_reaches_the_webhook_pods_files_without_a_restart(
    image: Image, tmp_path: Path
) -> None:
    """The certificate keeper's pod renews an aging certificate and puts back a blanked
    caBundle; the kubelet brings the renewed Secret into the webhook pods' volume, and each
    webhook pod serves it on new connections, with no pod restarted. The keeper checks
    every second here instead of every minute."""
    objects = copy.deepcopy(cluster.render())
    _container(objects, "dnsgate-certs")["args"].append("--check-interval=1")
    with cluster.install(objects, image, tmp_path) as install:
        install.runner.run_namespace(cluster.NAMESPACE)
        webhooks = [p for p in install.runner.pods if p.name.startswith("dnsgate-webhook-")]
        pids = sorted(p.sandboxed.pid or 0 for p in install.runner.pods)
        ca = secret_data(install.kubectl, f"{SECRET}-ca")["ca.crt"]

        def served() -> list[x509.Certificate]:
            return [served_certificate(pod.port("https"), ca, host=pod.pod_ip)
                    for pod in webhooks]

        first = served()
        aged = age_serving_certificate(install.kubectl)
        install.kubectl("patch", "mutatingwebhookconfiguration", "dnsgate", "--type=json",
                        "-p", json.dumps([{"op": "remove",
                                           "path": "/webhooks/0/clientConfig/caBundle"}]))
        deadline = time.monotonic() + 60
        while True:
            install.runner.check()
            stored = secret_data(install.kubectl, SECRET)["tls.crt"]
            now = served()
            if stored != aged.cert_pem and all(
                    cert.public_bytes(serialization.Encoding.PEM) == stored for cert in now) \
                    and ca_bundles(install.kubectl) == [ca] * 2:
                break
            assert time.monotonic() < deadline, (
                f"webhook pods serve {[c.serial_number for c in now]}, Secret holds "
                f"{x509.load_pem_x509_certificate(stored).serial_number}\n{install.logs()}")
            time.sleep(0.5)
        assert sorted(p.sandboxed.pid or 0 for p in install.runner.pods) == pids
        stopped = install.runner.stop()
    assert len(webhooks) == 2
    assert {c.serial_number for c in now}.isdisjoint({c.serial_number for c in first})
    assert all(pki.remaining_fraction(cert) > 0.99 for cert in now)
    assert [s for s in stopped if s.exit_code != 0 or not s.graceful] == []


def _drop_rule(role: str, resource: str) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        rules = _one(objects, "ClusterRole", role)["rules"]
        rules[:] = [r for r in rules if resource not in r["resources"]]
    return mutate


def _rename_setting(old: str, new: str) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        (settings,) = [o for o in objects if o["kind"] == "ConfigMap"
                       and o["metadata"]["name"].startswith("dnsgate-settings")]
        settings["data"][new] = settings["data"].pop(old)
    return mutate


def _move_mount(deployment: str, old: str, new: str) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        (mount,) = [m for m in _container(objects, deployment)["volumeMounts"]
                    if m["mountPath"] == old]
        mount["mountPath"] = new
    return mutate


def _replace_arg(deployment: str, old: str, new: str) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        args = _container(objects, deployment)["args"]
        args[args.index(old)] = new
    return mutate


def _add_field(deployment: str, key: str, value: Any) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        _container(objects, deployment)[key] = value
    return mutate


@pytest.mark.parametrize(("mutate", "expected"), [
    pytest.param(_drop_rule("dnsgate-reconciler", "services"),
                 ["pod dnsgate/dnsgate-reconciler", "not ready", "forbidden"],
                 id="rbac-rule-removed"),
    pytest.param(_rename_setting("DNSGATE_DOMAIN_FILTER", "DNSGATE_DOMAIN_FILTERS"),
                 ["exited with code 2", "DNSGATE_DOMAIN_FILTERS is not a dnsgate setting",
                  "DNSGATE_DOMAIN_FILTER (--domain-filter)"],
                 id="env-name-misspelt"),
    pytest.param(_move_mount("dnsgate-webhook", "/etc/dnsgate/tls", "/etc/dnsgate/certs"),
                 ["dnsgate-webhook", "exited with code", "/etc/dnsgate/tls"],
                 id="mount-path-moved"),
    pytest.param(_replace_arg("dnsgate-reconciler", "--leader-election-namespace=dnsgate",
                              "--leader-elect-namespace=dnsgate"),
                 ["dnsgate-reconciler", "exited with code 2", "--leader-elect-namespace"],
                 id="arg-misspelt"),
    pytest.param(_add_field("dnsgate-reconciler", "lifecycle",
                            {"preStop": {"exec": {"command": ["sleep", "5"]}}}),
                 ["containers[0].lifecycle", "not implemented"],
                 id="field-the-runner-does-not-implement"),
])
def test_a_manifest_mistake_fails_the_run_naming_pod_and_cause(
    mutate: Callable[[Objects], None], expected: list[str], image: Image, tmp_path: Path
) -> None:
    objects = copy.deepcopy(cluster.render())
    mutate(objects)
    with cluster.install(objects, image, tmp_path, ready_timeout=45, grace_cap=5) as install, \
            pytest.raises((PodFailure, cluster.StoryFailed)) as failure:
        install.runner.run_namespace(cluster.NAMESPACE)
        cluster.seed_story(install)
    message = str(failure.value)
    assert [part for part in expected if part not in message] == [], message
