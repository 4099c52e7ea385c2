"""An install as the README describes it, on a real node (devstack.node): the namespace and
the AWS credentials Secret (README step 3), then the rendered objects, applied with kubectl
to a kube-apiserver whose controller-manager, scheduler and kubelet turn them into pods
running the image. `seed_story` then tells the demo's Service steps (five) against those
pods.

A node per install: the mutation tests each need a clean one, and the webhook
configurations (failurePolicy Fail) must not outlive the webhook pods.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devstack import kubectl
from devstack.demo import Demo
from devstack.node import report, watch
from devstack.node.node import Node
from devstack.node.watch import Stopped

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = Path(__file__).parent / "overlays" / "local-route53"
NAMESPACE = "dnsgate"
IMAGE = "dnsgate:0.1.0"
# The overlay's AWS_ENDPOINT_URL_ROUTE_53: an address outside the cluster, where the node
# serves the Route53 server (moto).
ROUTE53_OUTSIDE = ("198.51.100.53", 80)
CREDENTIALS = "[default]\naws_access_key_id = dnsgate-dev\naws_secret_access_key = dnsgate-dev\n"
CONFIGURATIONS = "mutatingwebhookconfigurations,validatingwebhookconfigurations"
# The webhook pods wait for the Secret the certificate keeper makes: a volume that still
# cannot be mounted after this long names a Secret nothing will make.
MOUNT_WAIT = 60.0
# Waiting reasons and events after which a pod will not become ready by waiting longer.
STUCK = ("CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError",
         "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName")


class PodFailure(AssertionError):
    """The install's pods did not become ready; the message is what Kubernetes says."""


class StoryFailed(AssertionError):
    pass


@dataclass
class Install:
    node: Node
    objects: list[dict[str, Any]]
    stopped: list[Stopped] | None = None

    def kubectl(self, *args: str, check: bool = True) -> Any:
        return self.node.kubectl(*args, check=check)

    def pods(self) -> list[dict[str, Any]]:
        return report.pods(self.node.kubectl, NAMESPACE)

    def logs(self) -> str:
        return "\n".join(report.describe(self.node.kubectl, NAMESPACE, pod)
                         for pod in self.pods())

    def uninstall(self, timeout: float = 120.0) -> list[Stopped]:
        """Delete what was applied, watching the namespace's pods stop: how each container
        ended (exit code, and whether within its grace period) as the kubelet reported it."""
        if self.stopped is not None:
            return self.stopped
        with watch.PodWatch(self.node.kubeconfig, NAMESPACE) as pods:
            # Checked: configurations left behind with failurePolicy Fail would refuse the
            # next install's Services.
            self.kubectl("delete", CONFIGURATIONS, "-l", "app.kubernetes.io/part-of=dnsgate",
                         "--ignore-not-found")
            self.node.kubectl("delete", "-f", "-", "--ignore-not-found", "--wait=false",
                              check=False, input=json.dumps(
                                  {"apiVersion": "v1", "kind": "List", "items": self.objects}))
            self.node.kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found",
                              f"--timeout={timeout:.0f}s", check=False, timeout=timeout + 10)
            self.stopped = pods.stopped()
        return self.stopped

    def wait_available(self, timeout: float) -> None:
        """Until every Deployment of the namespace has all its replicas available; a pod that
        crashed, cannot start its container or mount its volumes fails at once."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            deployments = json.loads(self.kubectl(
                "-n", NAMESPACE, "get", "deployments", "-o", "json").stdout)["items"]
            if deployments and all(
                    d["status"].get("availableReplicas", 0) == d["spec"]["replicas"]
                    and d["status"].get("updatedReplicas", 0) == d["spec"]["replicas"]
                    for d in deployments):
                return
            stuck = _stuck(self.pods(), self.node.kubectl,
                           mounts=time.monotonic() - started > MOUNT_WAIT)
            if stuck or time.monotonic() > deadline:
                why = stuck or f"not available after {timeout:.0f}s"
                raise PodFailure(f"pods of {NAMESPACE}: {why}\n"
                                 f"{report.not_ready(self.node.kubectl, NAMESPACE)}")
            time.sleep(2)


def _stuck(pods: list[dict[str, Any]], run: report.Kubectl, *, mounts: bool) -> str:
    for pod in pods:
        name = pod["metadata"]["name"]
        for status in pod.get("status", {}).get("containerStatuses", []):
            waiting = status.get("state", {}).get("waiting", {}).get("reason", "")
            terminated = (status.get("lastState", {}).get("terminated")
                          or status.get("state", {}).get("terminated") or {})
            if waiting in STUCK or terminated.get("exitCode", 0) != 0:
                return f"pod {NAMESPACE}/{name} is failing"
        if mounts and any("FailedMount" in line for line in report.events(run, NAMESPACE, name)):
            return f"pod {NAMESPACE}/{name} cannot mount its volumes"
    return ""


def render(directory: Path = OVERLAY) -> list[dict[str, Any]]:
    output = kubectl.run("/dev/null", "kustomize", str(directory)).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def _progress(line: str) -> None:
    sys.__stderr__.write(f"[node {time.strftime('%H:%M:%S')}] {line}\n")
    sys.__stderr__.flush()


@contextmanager
def install(node: Node, objects: list[dict[str, Any]], state: Path, *,
            ready_timeout: float | None = 300.0) -> Iterator[Install]:
    """Apply `objects` to the node and wait until their Deployments are available (unless
    `ready_timeout` is None); on
    leaving, delete them again (the webhook configurations first: with failurePolicy Fail
    they would refuse every change once their pods are gone) and give Route53 a fresh zone."""
    def apply(items: list[dict[str, Any]]) -> None:
        node.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": items}))

    installed = Install(node, objects)
    try:
        apply([o for o in objects if o["kind"] == "Namespace"])
        credentials = state / "credentials"
        credentials.write_text(CREDENTIALS)
        node.kubectl("-n", NAMESPACE, "create", "secret", "generic", "dnsgate-aws",
                     f"--from-file=credentials={credentials}")
        apply([o for o in objects if o["kind"] != "Namespace"])
        started = time.monotonic()
        if ready_timeout is not None:
            installed.wait_available(ready_timeout)
            _progress(f"every Deployment available {time.monotonic() - started:.1f}s after "
                      "apply")
        yield installed
    finally:
        installed.uninstall()
        node.reset_route53()


def seed_story(install: Install) -> None:
    """The demo's five Service steps against the running pods; StoryFailed names the failed
    steps and carries what Kubernetes says about every pod."""
    # The seed's settings: Services only, no domain policy.
    demo = Demo(install.node, ingresses=False, policy=False)
    passed = demo.run()
    if not passed:
        failed = [title for title, ok in demo.results if not ok]
        raise StoryFailed(f"seed story steps failed: {failed}\n{install.logs()}")
