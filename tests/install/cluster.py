"""An install as the README describes it, on a stack of its own, with its pods really running.

`install(objects, ...)` starts etcd, kube-apiserver (with EndpointSlice routing to services,
so the webhook configurations reach the webhook pods through the shipped Service) and the
Route53 server; creates the namespace and the AWS credentials Secret (README step 3); applies
the rendered objects; and hands back a `PodRunner` that runs their workloads from the image.
`seed_story` then tells the demo's Service steps (five) against those pods.

A stack per install: the mutation tests each need a clean one, and the webhook
configurations (failurePolicy Fail) must not outlive the webhook pods in the session's stack.
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
from devstack.image import Image
from devstack.pods.runner import PodRunner
from devstack.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = Path(__file__).parent / "overlays" / "local-route53"
NAMESPACE = "dnsgate"
IMAGE = "dnsgate:0.1.0"
# The overlay's AWS_ENDPOINT_URL_ROUTE_53: an address outside the cluster, relayed to moto.
ROUTE53_OUTSIDE = ("198.51.100.53", 80)
CREDENTIALS = "[default]\naws_access_key_id = dnsgate-dev\naws_secret_access_key = dnsgate-dev\n"


class StoryFailed(AssertionError):
    pass


@dataclass
class Install:
    stack: Stack
    runner: PodRunner

    def kubectl(self, *args: str, check: bool = True) -> Any:
        return kubectl.run(self.stack.kubeconfig, *args, check=check)

    def logs(self) -> str:
        with self.runner.lock:
            pods = list(self.runner.pods)
        return "\n".join(f"--- {pod.describe()} ({'ready' if pod.ready else 'not ready'}):\n"
                         f"{pod.tail(15)}" for pod in pods)


def render(directory: Path = OVERLAY) -> list[dict[str, Any]]:
    output = kubectl.run("/dev/null", "kustomize", str(directory)).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def _progress(line: str) -> None:
    sys.__stderr__.write(f"[pods {time.strftime('%H:%M:%S')}] {line}\n")
    sys.__stderr__.flush()


@contextmanager
def install(objects: list[dict[str, Any]], image: Image, state: Path, *,
            ready_timeout: float = 120.0, grace_cap: float | None = None
            ) -> Iterator[Install]:
    with Stack(state / "stack", progress=_progress,
               extra_apiserver_args=["--enable-aggregator-routing=true"]) as stack:
        def apply(items: list[dict[str, Any]]) -> None:
            kubectl.run(stack.kubeconfig, "apply", "-f", "-", input=json.dumps(
                {"apiVersion": "v1", "kind": "List", "items": items}))

        apply([o for o in objects if o["kind"] == "Namespace"])
        credentials = state / "credentials"
        credentials.write_text(CREDENTIALS)
        kubectl.run(stack.kubeconfig, "-n", NAMESPACE, "create", "secret", "generic",
                    "dnsgate-aws", f"--from-file=credentials={credentials}")
        apply([o for o in objects if o["kind"] != "Namespace"])
        assert stack.route53 is not None
        moto = ("127.0.0.1", int(stack.route53.url.rsplit(":", 1)[1]))
        runner = PodRunner(stack.kubeconfig, {IMAGE: image}, state / "pods",
                           outside={ROUTE53_OUTSIDE: moto}, progress=_progress,
                           ready_timeout=ready_timeout)
        try:
            yield Install(stack, runner)
        finally:
            runner.stop(grace_cap)


def seed_story(install: Install) -> None:
    """The demo's five Service steps against the running pods; StoryFailed names the failed steps
    and carries the end of every pod's log."""
    demo = Demo(install.stack, ingresses=False)  # the seed's settings: Services only
    passed = demo.run()
    install.runner.check()
    if not passed:
        failed = [title for title, ok in demo.results if not ok]
        raise StoryFailed(f"seed story steps failed: {failed}\n{install.logs()}")
