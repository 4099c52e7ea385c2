"""The manifests really run: every workload of the kustomize base, and of the chart's
default render, applied to a real node (devstack.node: kube-apiserver, controller-manager,
scheduler, containerd and the kubelet) and run as pods from the image the Dockerfile builds,
with nothing but what the manifests give them (their ServiceAccounts' tokens, their
ConfigMap, their mounted Secrets); then the seed's story through those pods. A manifest
broken in a way only a running pod notices (a missing RBAC rule, a misnamed variable, a
wrong mount path, argument or Secret name) fails the run, and the failure says which pod and
why, as Kubernetes reports it: the container's state and exit code, the pod's events, its
log.
"""

from __future__ import annotations

import copy
import json
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certs import pki
from devstack.node import watch
from devstack.node.node import Node
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


def _environ(install: cluster.Install, pod: str) -> dict[str, str]:
    """The environment the container runtime gave the pod's container (`kubectl exec`)."""
    script = "import json, os; print(json.dumps(dict(os.environ)))"
    result = install.kubectl("-n", cluster.NAMESPACE, "exec", pod, "--", "python", "-c", script)
    environ: dict[str, str] = json.loads(result.stdout)
    return environ


def _run_and_tell_the_story(node: Node, objects: Objects, state: Any) -> None:
    with cluster.install(node, objects, state) as install:
        cluster.seed_story(install)
        pods = install.pods()
        reconciler = next(p["metadata"]["name"] for p in pods
                          if "reconciler" in p["metadata"]["name"])
        environ = _environ(install, reconciler)
        # What the kubelet gives: the kubernetes Service's address, the fieldRef, the
        # ConfigMap; and nothing from this machine (no kubeconfig, no AWS keys).
        assert environ["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
        assert environ["DNSGATE_LEADER_ELECTION_ID"] == reconciler
        assert environ["DNSGATE_DOMAIN_FILTER"] == "goldentooth.net"
        assert not {"KUBECONFIG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & set(environ)
        # Every DNSGATE_ variable a pod sees is one the install declares: dnsgate refuses
        # unknown ones, and the kubelet's Service links for Services in the namespace
        # (DNSGATE_WEBHOOK_SERVICE_HOST, ...) would be such variables.
        settings = {key for o in objects if o["kind"] == "ConfigMap" for key in o["data"]}
        for pod in pods:
            declared = settings | {var["name"] for c in pod["spec"]["containers"]
                                   for var in c.get("env", [])}
            undeclared = [name for name in _environ(install, pod["metadata"]["name"])
                          if name.startswith("DNSGATE_") and name not in declared]
            assert undeclared == [], pod["metadata"]["name"]
        # Nothing went wrong on the way: no traceback, and no error from gunicorn's control
        # server, which would try to write under $HOME (/) on the read-only root.
        for pod in pods:
            log = install.kubectl("-n", cluster.NAMESPACE, "logs", pod["metadata"]["name"])
            assert [line for line in log.stdout.splitlines() if "Traceback" in line
                    or "Control server error" in line] == [], pod["metadata"]["name"]
        # No container restarted: a liveness probe that fires before a slow start finished
        # would restart it (the startupProbe holds liveness back).
        assert {p["metadata"]["name"]: [c["restartCount"] for c in
                                        p["status"]["containerStatuses"]]
                for p in install.pods()} == {p["metadata"]["name"]: [0] for p in pods}
        stopped = install.uninstall()
    assert len(stopped) == len(pods)
    assert [s for s in stopped if not s.graceful] == []


def test_seed_story_runs_through_the_manifests_pods(node: Node, tmp_path: Any) -> None:
    _run_and_tell_the_story(node, cluster.render(), tmp_path)


def test_seed_story_runs_through_the_charts_default_pods(
    helm, node: Node, tmp_path: Any  # type: ignore[no-untyped-def]
) -> None:
    """`helm install` with the defaults, after the README's namespace (with its Pod Security
    label) and Secret; Route53 pointed at the outside address through the chart's `env`."""
    objects = rendering.helm_template(
        helm, CHART, "--set", "env[0].name=AWS_ENDPOINT_URL_ROUTE_53",
        "--set", f"env[0].value=http://{cluster.ROUTE53_OUTSIDE[0]}")
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": cluster.NAMESPACE,
        "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
    assert not [o for o in objects if o["kind"] == "Namespace"]
    _run_and_tell_the_story(node, [namespace, *objects], tmp_path)


def test_a_pod_stopped_while_starting_up_exits_at_once(node: Node, tmp_path: Any) -> None:
    """A reconciler pod deleted while its start-up checks wait on a Route53 that never
    answers (a listener that accepts and stays silent) stops at once: as its container's
    PID 1 it gets SIGTERM only because it handles it (docs/kubelet.md, "Stopping");
    otherwise the kubelet would wait out the 30 s grace period and kill it."""
    silent = socket.socket()
    silent.bind((node.network.outside_ip, 0))
    silent.listen(16)
    objects = copy.deepcopy(cluster.render())
    (settings,) = [o for o in objects if o["kind"] == "ConfigMap"
                   and o["metadata"]["name"].startswith("dnsgate-settings")]
    settings["data"]["AWS_ENDPOINT_URL_ROUTE_53"] = (
        f"http://{node.network.outside_ip}:{silent.getsockname()[1]}")
    # Whether the main thread notices a signal at once varies from one process to the next:
    # eight stopped replicas make a handler that only the main thread runs fail nearly every
    # run.
    _one(objects, "Deployment", "dnsgate-reconciler")["spec"]["replicas"] = REPLICAS
    stopped: list[watch.Stopped] = []
    with silent, cluster.install(node, objects, tmp_path, ready_timeout=None) as install:
        for _ in range(ROUNDS):  # the ReplicaSet starts new ones after each round
            deadline = time.monotonic() + 240
            while not _started(install, "dnsgate-reconciler-"):
                assert time.monotonic() < deadline, install.logs()
                time.sleep(1)
            with watch.PodWatch(node.kubeconfig, cluster.NAMESPACE) as pods:
                install.kubectl("-n", cluster.NAMESPACE, "delete", "pods", "--wait=false",
                                "-l", "app.kubernetes.io/name=dnsgate-reconciler")
                stopped += [s for s in pods.stopped(timeout=60) if s.container == "reconciler"]
        logs = install.logs()
    assert len(stopped) == REPLICAS * ROUNDS, f"{stopped}\n{logs}"
    assert [s for s in stopped if s.seconds > 10] == [], f"{stopped}\n{logs}"


REPLICAS = 4
ROUNDS = 2


def _started(install: cluster.Install, prefix: str) -> bool:
    """Every container of the pods named `prefix...` runs and passed its startup probe."""
    statuses = [status for pod in install.pods() if pod["metadata"]["name"].startswith(prefix)
                for status in pod["status"].get("containerStatuses", [])]
    return bool(statuses) and all(s.get("started") for s in statuses)


def test_a_renewal_reaches_the_webhook_pods_files_without_a_restart(
    node: Node, tmp_path: Any
) -> None:
    """The certificate keeper's pod renews an aging certificate and puts back a blanked
    caBundle; the kubelet brings the renewed Secret into the webhook pods' volume, and each
    webhook pod serves it on new connections, with no pod restarted. The keeper checks
    every second here instead of every minute."""
    objects = copy.deepcopy(cluster.render())
    _container(objects, "dnsgate-certs")["args"].append("--check-interval=1")
    with cluster.install(node, objects, tmp_path) as install:
        webhooks = [p for p in install.pods()
                    if p["metadata"]["name"].startswith("dnsgate-webhook-")]
        port = next(p["containerPort"] for p in webhooks[0]["spec"]["containers"][0]["ports"]
                    if p.get("name") == "https")
        ca = secret_data(install.kubectl, f"{SECRET}-ca")["ca.crt"]

        def served() -> list[x509.Certificate]:
            return [served_certificate(port, ca, host=pod["status"]["podIP"])
                    for pod in webhooks]

        first = served()
        aged = age_serving_certificate(install.kubectl)
        install.kubectl("patch", "mutatingwebhookconfiguration", "dnsgate", "--type=json",
                        "-p", json.dumps([{"op": "remove",
                                           "path": "/webhooks/0/clientConfig/caBundle"}]))
        deadline = time.monotonic() + 180
        while True:
            stored = secret_data(install.kubectl, SECRET)["tls.crt"]
            now = served()
            if stored != aged.cert_pem and all(
                    cert.public_bytes(serialization.Encoding.PEM) == stored for cert in now) \
                    and ca_bundles(install.kubectl) == [ca] * 2:
                break
            assert time.monotonic() < deadline, (
                f"webhook pods serve {[c.serial_number for c in now]}, Secret holds "
                f"{x509.load_pem_x509_certificate(stored).serial_number}\n{install.logs()}")
            time.sleep(1)
        restarts = {p["metadata"]["name"]: p["status"]["containerStatuses"][0]["restartCount"]
                    for p in install.pods()}
        stopped = install.uninstall()
    assert len(webhooks) == 2
    assert set(restarts.values()) == {0}, restarts
    assert {c.serial_number for c in now}.isdisjoint({c.serial_number for c in first})
    assert all(pki.remaining_fraction(cert) > 0.99 for cert in now)
    assert [s for s in stopped if not s.graceful] == []


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


def _rename_secret(deployment: str, old: str, new: str) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        volumes = _one(objects, "Deployment", deployment)["spec"]["template"]["spec"][
            "volumes"]
        (volume,) = [v for v in volumes if v.get("secret", {}).get("secretName") == old]
        volume["secret"]["secretName"] = new
    return mutate


@pytest.mark.parametrize(("mutate", "expected"), [
    pytest.param(_drop_rule("dnsgate-reconciler", "services"),
                 ["pod dnsgate/dnsgate-reconciler", "not ready", "forbidden"],
                 id="rbac-rule-removed"),
    pytest.param(_rename_setting("DNSGATE_DOMAIN_FILTER", "DNSGATE_DOMAIN_FILTERS"),
                 ["pod dnsgate/dnsgate-reconciler", "exit code 2",
                  "DNSGATE_DOMAIN_FILTERS is not a dnsgate setting",
                  "DNSGATE_DOMAIN_FILTER (--domain-filter)"],
                 id="env-name-misspelt"),
    pytest.param(_move_mount("dnsgate-webhook", "/etc/dnsgate/tls", "/etc/dnsgate/certs"),
                 ["pod dnsgate/dnsgate-webhook", "exit code", "/etc/dnsgate/tls"],
                 id="mount-path-moved"),
    pytest.param(_replace_arg("dnsgate-reconciler", "--leader-election-namespace=dnsgate",
                              "--leader-elect-namespace=dnsgate"),
                 ["pod dnsgate/dnsgate-reconciler", "exit code 2", "--leader-elect-namespace"],
                 id="arg-misspelt"),
    # The credentials volume is optional (IRSA and instance roles need no Secret): the pod
    # starts without the file, and dnsgate names the file it did not find.
    pytest.param(_rename_secret("dnsgate-reconciler", "dnsgate-aws", "dnsgate-aws-credentials"),
                 ["pod dnsgate/dnsgate-reconciler", "exit code 2",
                  "AWS_SHARED_CREDENTIALS_FILE=/.aws/credentials does not exist"],
                 id="credentials-secret-misspelt"),
    # The TLS volume is not optional: the kubelet keeps the pod in ContainerCreating and says
    # which Secret it waits for.
    pytest.param(_rename_secret("dnsgate-webhook", "dnsgate-webhook-tls", "dnsgate-webhook-cert"),
                 ["pod dnsgate/dnsgate-webhook", "ContainerCreating", "FailedMount",
                  'secret "dnsgate-webhook-cert" not found'],
                 id="tls-secret-misspelt"),
])
def test_a_manifest_mistake_fails_the_run_naming_pod_and_cause(
    mutate: Callable[[Objects], None], expected: list[str], node: Node, tmp_path: Any
) -> None:
    objects = copy.deepcopy(cluster.render())
    mutate(objects)
    with pytest.raises((cluster.PodFailure, cluster.StoryFailed)) as failure, \
            cluster.install(node, objects, tmp_path, ready_timeout=150) as install:
        cluster.seed_story(install)
    message = str(failure.value)
    assert [part for part in expected if part not in message] == [], message
