"""The pod runner's decisions, which must match the kubelet's (docs/kubelet.md): how a pod
spec is read (and what it refuses), how a container's environment, command line and volume
files are built, and the EndpointSlice a Service gets. Pure functions; the processes
themselves are exercised by tests/install/test_pods.py."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devstack import image
from devstack.pods import container, controllers, env, probes, spec, volumes
from devstack.pods.strict import Unsupported

CONTAINER: dict[str, Any] = {
    "name": "reconciler", "image": "dnsgate:0.1.0", "args": ["reconcile", "--health-port=8080"],
    "envFrom": [{"configMapRef": {"name": "settings"}}],
    "env": [{"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/.aws/credentials"},
            {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                       "fieldPath": "metadata.name"}}}],
    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
    "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http", "scheme": "HTTP"},
                       "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                       "failureThreshold": 3},
    "volumeMounts": [{"name": "aws", "mountPath": "/.aws", "readOnly": True}],
    "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]}},
    "resources": {"limits": {"memory": "256Mi"}},
    "imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
}
POD: dict[str, Any] = {
    "metadata": {"name": "r-1", "namespace": "dnsgate", "uid": "u-1"},
    "spec": {"containers": [CONTAINER], "serviceAccountName": "dnsgate-reconciler",
             "securityContext": {"runAsUser": 65532, "runAsGroup": 65532,
                                 "runAsNonRoot": True,
                                 "seccompProfile": {"type": "RuntimeDefault"}},
             "volumes": [{"name": "aws", "secret": {"secretName": "aws", "defaultMode": 420}}],
             "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
             "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
             "enableServiceLinks": True, "tolerations": [], "priority": 0},
}


def _changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    pod = copy.deepcopy(POD)
    change(pod)
    return pod


def test_a_stored_pod_spec_is_read_into_what_the_runner_acts_on() -> None:
    read = spec.read(copy.deepcopy(POD))
    assert read.container.args == ("reconcile", "--health-port=8080")
    assert read.container.port("http") == 8080
    assert read.container.readiness is not None
    assert read.container.readiness.http == container.HttpGet("/readyz", "http", "HTTP")
    assert read.container.mounts == (container.VolumeMount("aws", "/.aws", True),)
    assert (read.run_as_user, read.container.read_only_root) == (65532, True)
    assert read.container.no_new_privileges and read.container.drop_all_capabilities


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p["spec"]["containers"][0].update(lifecycle={"preStop": {}}),
     "spec.containers[0].lifecycle: not implemented"),
    (lambda p: p["spec"]["containers"][0].update(surprise=1),
     "does not understand: Pod dnsgate/r-1: spec.containers[0].surprise"),
    (lambda p: p["spec"].update(hostNetwork=True), "spec.hostNetwork: not implemented"),
    (lambda p: p["spec"]["containers"][0]["volumeMounts"][0].update(subPath="x"),
     "volumeMounts[0].subPath: not implemented"),
    (lambda p: p["spec"]["containers"][0]["readinessProbe"].update(
        httpGet=None, tcpSocket={"port": 1}), "only httpGet probes"),
    (lambda p: p["spec"]["containers"][0]["readinessProbe"]["httpGet"].update(scheme="GRPC"),
     "scheme: 'GRPC' is not implemented"),
    (lambda p: p["spec"]["volumes"].append({"name": "h", "hostPath": {"path": "/"}}),
     "implemented volume types are emptyDir, secret, configMap and projected"),
    (lambda p: p["spec"]["containers"][0]["volumeMounts"].append(
        {"name": "missing", "mountPath": "/x"}), "volumeMount of 'missing': no such volume"),
    (lambda p: p["spec"]["containers"][0]["securityContext"]["capabilities"].update(
        add=["NET_ADMIN"]), "adding capabilities is not implemented"),
    (lambda p: p["spec"]["securityContext"].update(fsGroup=1), "fsGroup: not implemented"),
], ids=["lifecycle", "unknown-field", "hostNetwork", "subPath", "tcp-probe", "probe-scheme",
        "hostPath", "missing-volume", "capabilities-add", "fsGroup"])
def test_a_field_the_runner_cannot_honour_fails_naming_its_path(
    change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(Unsupported) as refused:
        spec.read(_changed(change))
    assert message in str(refused.value)


IDENTITY = env.PodIdentity("r-1", "dnsgate", "u-1", "dnsgate-reconciler", "10.234.0.2",
                           {"app": "r"}, {"note": "n"})
SERVICES = [
    {"metadata": {"namespace": "default", "name": "kubernetes"},
     "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443}]}},
    {"metadata": {"namespace": "dnsgate", "name": "dnsgate-webhook"},
     "spec": {"clusterIP": "10.96.7.7", "ports": [{"name": "https", "port": 443,
                                                    "protocol": "TCP"}]}},
    {"metadata": {"namespace": "dnsgate", "name": "headless"},
     "spec": {"clusterIP": "None", "ports": [{"port": 80}]}},
    {"metadata": {"namespace": "other", "name": "elsewhere"},
     "spec": {"clusterIP": "10.96.8.8", "ports": [{"port": 80}]}},
]
OBJECTS = env.Objects("dnsgate", {"settings": {"DNSGATE_DOMAIN_FILTER": "goldentooth.net",
                                               "POD": "from-configmap"}},
                      {"aws": {"credentials": b"[default]\n"}}, SERVICES)


def test_service_links_are_the_kubelets_for_the_namespace_and_the_master_service() -> None:
    links = env.service_links(OBJECTS, enable=True)
    assert links["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
    assert links["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
    assert links["DNSGATE_WEBHOOK_SERVICE_HOST"] == "10.96.7.7"
    assert links["DNSGATE_WEBHOOK_PORT"] == "tcp://10.96.7.7:443"
    assert links["DNSGATE_WEBHOOK_PORT_443_TCP_ADDR"] == "10.96.7.7"
    assert not [name for name in links if name.startswith(("HEADLESS", "ELSEWHERE"))]
    assert set(env.service_links(OBJECTS, enable=False)) == {
        name for name in links if name.startswith("KUBERNETES_")}


def test_env_wins_over_envfrom_and_both_over_service_links_and_image() -> None:
    container = spec.read(copy.deepcopy(POD)).container
    result = env.environment(container, IDENTITY, OBJECTS, {"PATH": "/opt/dnsgate/bin",
                                                             "POD": "from-image"},
                             enable_service_links=True)
    assert result["POD"] == "r-1"  # the fieldRef, declared after envFrom
    assert result["DNSGATE_DOMAIN_FILTER"] == "goldentooth.net"
    assert result["PATH"] == "/opt/dnsgate/bin"
    assert (result["HOSTNAME"], result["HOME"]) == ("r-1", "/")
    assert result["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"


@pytest.mark.parametrize(("text", "expected"), [
    ("$(A)-$(B)", "a-b"), ("$$(A)", "$(A)"), ("$(MISSING)", "$(MISSING)"), ("$(A", "$(A"),
    ("cost $5", "cost $5"), ("$", "$"),
])
def test_dollar_references_expand_as_kubernetes_expands_them(text: str, expected: str) -> None:
    assert env.expand(text, {"A": "a", "B": "b"}.get) == expected


@pytest.mark.parametrize(("command", "args", "expected"), [
    (None, None, ("dnsgate", "--help")),
    (None, ["reconcile"], ("dnsgate", "reconcile")),
    (["python"], None, ("python",)),
    (["python"], ["-c", "$(A)"], ("python", "-c", "a")),
])
def test_command_replaces_the_entrypoint_and_args_the_cmd(
    command: list[str] | None, args: list[str] | None, expected: tuple[str, ...]
) -> None:
    container = spec.read(_changed(lambda p: p["spec"]["containers"][0].update(
        command=command, args=args))).container
    assert env.command_line(container, ("dnsgate",), ("--help",), {"A": "a"}) == expected


def test_a_missing_configmap_key_is_a_container_config_error() -> None:
    container = spec.read(_changed(lambda p: p["spec"]["containers"][0]["env"].append(
        {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "NOPE"}}}
    ))).container
    with pytest.raises(env.ContainerConfigError,
                       match="env X: couldn't find key NOPE in ConfigMap dnsgate/settings"):
        env.environment(container, IDENTITY, OBJECTS, {}, enable_service_links=True)


def _token_volume() -> spec.Volume:
    return spec.Volume("kube-api-access", "files", (
        spec.Source("serviceAccountToken", items=(spec.KeyToPath("token", "token"),)),
        spec.Source("configMap", "settings", (spec.KeyToPath("POD", "pod"),)),
        spec.Source("downwardAPI", items=(spec.KeyToPath("metadata.namespace", "namespace"),)),
    ), default_mode=0o644)


@pytest.mark.parametrize(("fs_user", "mode", "owner"), [(65532, 0o600, 65532),
                                                        (None, 0o644, None)])
def test_the_token_file_is_private_to_the_pods_user_when_it_has_one(
    fs_user: int | None, mode: int, owner: int | None
) -> None:
    files = volumes.payload(_token_volume(), IDENTITY, OBJECTS, lambda source: "jwt", fs_user)
    assert files == (volumes.File("token", b"jwt", mode, owner),
                     volumes.File("pod", b"from-configmap", 0o644),
                     volumes.File("namespace", b"dnsgate", 0o644))


def test_a_missing_secret_keeps_the_pod_waiting_and_a_missing_key_fails_it() -> None:
    secret = spec.Volume("tls", "files", (spec.Source("secret", "absent"),))
    with pytest.raises(volumes.NotReady, match="Secret dnsgate/absent not found"):
        volumes.payload(secret, IDENTITY, OBJECTS, str, None)
    keyed = spec.Volume("aws", "files", (spec.Source("secret", "aws", (
        spec.KeyToPath("config", "config"),)),))
    with pytest.raises(env.ContainerConfigError, match="has no key 'config'"):
        volumes.payload(keyed, IDENTITY, OBJECTS, str, None)


def test_volume_files_are_laid_out_like_the_kubelets_atomic_writer(tmp_path: Path) -> None:
    volumes.write(tmp_path, (volumes.File("tls.crt", b"cert", 0o644),
                             volumes.File("dir/key", b"key", 0o600)))
    assert os.readlink(tmp_path / "tls.crt") == "..data/tls.crt"
    assert os.readlink(tmp_path / "dir") == "..data/dir"
    assert os.readlink(tmp_path / "..data").startswith("..20")
    assert (tmp_path / "tls.crt").read_bytes() == b"cert"
    assert (tmp_path / "dir" / "key").stat().st_mode & 0o777 == 0o600


def test_a_rewritten_volume_swaps_its_files_at_once_and_keeps_no_old_ones(
        tmp_path: Path) -> None:
    """The kubelet's sync of a changed Secret: the old names resolve to the new content
    through one swapped `..data`, a key gone from the Secret is gone from the volume, and
    the old timestamped directory is removed."""
    volumes.write(tmp_path, (volumes.File("tls.crt", b"old", 0o644),
                             volumes.File("gone", b"x", 0o644)))
    first = os.readlink(tmp_path / "..data")

    volumes.write(tmp_path, (volumes.File("tls.crt", b"new", 0o644),))

    assert (tmp_path / "tls.crt").read_bytes() == b"new"
    assert os.readlink(tmp_path / "..data") != first
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        os.readlink(tmp_path / "..data"), "..data", "tls.crt"]


JOB: dict[str, Any] = {
    "kind": "Job", "metadata": {"name": "certs", "namespace": "dnsgate", "uid": "j-1"},
    "spec": {"backoffLimit": 6, "completions": 1, "parallelism": 1,
             "completionMode": "NonIndexed", "suspend": False, "ttlSecondsAfterFinished": 60,
             "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "j-1"}},
             "manualSelector": False, "podReplacementPolicy": "TerminatingOrFailed",
             "template": {"metadata": {"labels": {"app": "certs"}},
                          "spec": POD["spec"]}},
}


def test_a_job_is_one_pod_named_after_it() -> None:
    workload = controllers.read(copy.deepcopy(JOB))
    assert (workload.kind, workload.replicas, workload.backoff_limit) == ("Job", 1, 6)
    manifest = controllers.pod_manifest(workload)
    assert manifest["metadata"]["generateName"] == "certs-"
    assert manifest["metadata"]["labels"] == {"app": "certs", "job-name": "certs"}
    assert manifest["spec"] == POD["spec"]


@pytest.mark.parametrize(("kind", "change", "message"), [
    ("Job", {"parallelism": 2}, "spec.parallelism: 2 is not implemented"),
    ("Job", {"podFailurePolicy": {"rules": []}}, "spec.podFailurePolicy: not implemented"),
    ("Deployment", {"paused": True}, "spec.paused: True is not implemented"),
    ("Deployment", {"replicas": 2, "surge": 1}, "does not understand: Deployment dnsgate/x: "
                                                 "spec.surge"),
    ("StatefulSet", {}, "the runner runs Deployments and Jobs"),
])
def test_a_workload_field_the_runner_cannot_honour_fails(
    kind: str, change: dict[str, Any], message: str
) -> None:
    workload = {"kind": kind, "metadata": {"name": "x", "namespace": "dnsgate"},
                "spec": {"template": {"metadata": {}, "spec": {}}, **change}}
    with pytest.raises(Unsupported) as refused:
        controllers.read(workload)
    assert message in str(refused.value)


def _probed_at(tracker: probes.Tracker, outcome: probes.Outcome, until: int) -> list[int]:
    """The seconds, from the container's start, at which the prober sends the probe."""
    sent = []
    for second in range(until):
        if not tracker.failed and tracker.due(float(second), 0.0):
            tracker.record(outcome, float(second))
            sent.append(second)
    return sent


def test_a_liveness_probe_fails_on_its_own_period_and_threshold() -> None:
    """Not on another probe's: the webhook's readiness period (5s) must not make its
    liveness probe (10s, 3 failures) give up after 10 seconds instead of 20."""
    liveness = probes.Tracker(container.Probe(container.HttpGet("/healthz", 8080, "HTTP"),
                                              period=10, failure_threshold=3))
    assert _probed_at(liveness, probes.Outcome(False, "refused"), 60) == [0, 10, 20]
    assert liveness.failed and liveness.describe_last() == "refused"


def test_a_probe_waits_for_its_initial_delay_and_needs_its_successes() -> None:
    readiness = probes.Tracker(container.Probe(container.HttpGet("/readyz", 8080, "HTTP"),
                                               initial_delay=5, period=2, success_threshold=2))
    assert _probed_at(readiness, probes.Outcome(True, "200 ok"), 10) == [5, 7, 9]
    assert readiness.passing and readiness.successes == 3


def test_a_startup_probe_is_read_like_the_others() -> None:
    read = spec.read(_changed(lambda p: p["spec"]["containers"][0].update(startupProbe={
        "httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 2,
        "failureThreshold": 60})))
    assert read.container.startup == container.Probe(
        container.HttpGet("/healthz", "http", "HTTP"), period=2, failure_threshold=60)


def test_a_service_reaches_its_ready_pods_on_the_named_container_port() -> None:
    service = {"metadata": {"name": "dnsgate-webhook", "namespace": "dnsgate"},
               "spec": {"selector": {"app": "webhook"},
                        "ports": [{"name": "https", "port": 443, "targetPort": "https"}]}}
    endpoints = [controllers.Endpoint("w-1", "10.234.0.2", {"app": "webhook"},
                                      {"https": 8443}, ready=True),
                 controllers.Endpoint("w-2", "10.234.0.6", {"app": "webhook"},
                                      {"https": 8443}, ready=False),
                 controllers.Endpoint("r-1", "10.234.0.10", {"app": "reconciler"},
                                      {"http": 8080}, ready=True)]
    body = controllers.endpoint_slice(service, endpoints)
    assert body["metadata"]["labels"]["kubernetes.io/service-name"] == "dnsgate-webhook"
    assert body["ports"] == [{"name": "https", "port": 8443, "protocol": "TCP"}]
    assert [(e["addresses"], e["conditions"]["ready"]) for e in body["endpoints"]] == [
        (["10.234.0.2"], True), (["10.234.0.6"], False)]


def test_the_dockerfiles_final_stage_is_the_images_configuration() -> None:
    config = image.config()
    assert (config.entrypoint, config.cmd, config.user) == (("dnsgate",), ("--help",),
                                                            "65532:65532")
    assert dict(config.env)["PATH"].startswith(f"{config.venv_path}/bin:")
    with pytest.raises(image.DockerfileError, match="RUN is not understood"):
        image.config("FROM a AS build\nRUN x\nFROM b\nRUN apt-get install y\n")
