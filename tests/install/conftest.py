"""Fixtures for installing dnsgate's own manifests and chart into the test apiserver, and
its image.

`helm` runs the helm that `make helm` builds, with a private Helm home; `helm_cluster` also
points it at the test apiserver. `service_account_kubeconfig` writes a kubeconfig whose only
credential is a ServiceAccount's own token (TokenRequest), so a process started with it has
exactly the rights the manifests grant that account.

`node_image` is the amd64 image the Dockerfile builds (devstack.imagebuild, cached by its
inputs), shared by the package tests and by the real node (`node`, devstack.node) whose pods
run the manifests (tests/install/cluster.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack import helm as helm_build
from devstack import imagebuild
from devstack.node.node import Node, NodeImage
from tests.install.cluster import ROUTE53_OUTSIDE

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
CHART = ROOT / "charts" / "dnsgate"
OVERLAYS = Path(__file__).resolve().parent / "overlays"

Helm = Callable[..., subprocess.CompletedProcess[str]]


def _progress(line: str) -> None:
    sys.__stderr__.write(f"[dnsgate helm] {line}\n")
    sys.__stderr__.flush()


@pytest.fixture(scope="module")
def installed(kubectl) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """`kubectl apply -k manifests/` for real; the webhook configurations are removed at the
    end, because no webhook pod runs here and failurePolicy Fail would block other tests."""
    result = kubectl("apply", "-k", str(MANIFESTS))
    try:
        yield result.stdout + result.stderr
    finally:
        kubectl("delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration",
                "-l", "app.kubernetes.io/part-of=dnsgate", "--ignore-not-found", check=False)


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    """helm without a cluster: lint and template."""
    helm_build.ensure_helm(_progress)
    home = tmp_path_factory.mktemp("helm-home")

    def run(*args: str, check: bool = True, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
        return helm_build.run(home, *args, check=check, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def helm_cluster(helm: Helm, kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    """helm against the test apiserver."""
    home = tmp_path_factory.mktemp("helm-cluster-home")

    def run(*args: str, check: bool = True, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
        return helm_build.run(home, *args, kubeconfig=kubeconfig, check=check, timeout=timeout)

    return run


def service_account_kubeconfig(kubectl, namespace: str, account: str,  # type: ignore[no-untyped-def]
                               path: Path) -> Path:
    """A kubeconfig for the test apiserver that authenticates as `namespace/account` only."""
    token = kubectl("create", "token", account, "-n", namespace, "--duration=1h").stdout.strip()
    view = json.loads(kubectl("config", "view", "--raw", "--minify", "--flatten",
                              "-o", "json").stdout)
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "test", "cluster": view["clusters"][0]["cluster"]}],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": account,
                      "context": {"cluster": "test", "user": account, "namespace": namespace}}],
        "current-context": account,
    }
    path.write_text(json.dumps(config))
    return path


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, timeout=300)
    (built,) = out.glob("dnsgate-*.whl")
    return built


@pytest.fixture(scope="session")
def node_image() -> NodeImage:
    """The amd64 image the Dockerfile builds (`make image`), under the name the manifests
    give it: `dnsgate:0.1.0` is docker.io/library/dnsgate:0.1.0 to the container runtime."""
    image_id = imagebuild.ensure_image("amd64", _node_progress)
    return NodeImage(image_id, ("docker.io/library/dnsgate:0.1.0",),
                     lambda dest: _save(image_id, dest))


def _save(image_id: str, dest: Path) -> None:
    saved = imagebuild.save_docker_archive("amd64", dest)
    assert saved == image_id, f"image changed while the tests ran: {image_id} -> {saved}"


@pytest.fixture(scope="module")
def node(node_image: NodeImage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A real node (devstack.node) for a module's installs; each install removes what it
    applied, so the next one starts clean."""
    with Node(tmp_path_factory.mktemp("node-logs"), [node_image], progress=_node_progress,
              route53_address=ROUTE53_OUTSIDE[0]) as running:
        yield running


def _node_progress(line: str) -> None:
    sys.__stderr__.write(f"[dnsgate node] {line}\n")
    sys.__stderr__.flush()
