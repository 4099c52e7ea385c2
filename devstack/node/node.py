"""`Node`: one real Kubernetes node with its control plane, started and removed as a unit.

Start order: the network namespace, certificates and cgroups; containerd (and the images it
lacks); etcd, kube-apiserver, kube-controller-manager, kube-scheduler; the Route53 server
(moto) inside the namespace; the kubelet, until its Node is Ready and untainted.

Stop order (also when a test failed or the start did): the workloads deleted through the
API, so the kubelet stops their pods as it would on a drain; the kubelet; whatever
containers remain, killed through containerd; the scheduler, the controller-manager, the
apiserver, then etcd (an apiserver whose etcd went first hangs for tens of seconds);
containerd; then every process left in the node's cgroups, every mount under its
directories, the cgroups and the network namespace.

Only one node runs on a machine at a time: it holds a lock on containerd's root, which keeps
the imported images between runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from devstack import build, kubectl, route53
from devstack.node import archive, cgroups, containerd, controlplane, credentials, kubelet, mounts
from devstack.node.build import ensure_node_binaries
from devstack.node.network import NodeNetwork
from devstack.processes import Supervisor, wait_until

Progress = Callable[[str], None]
NODE_NAME = "dnsgate-node"
CGROUP_ROOT = "dnsgate-node"
RUNTIME_DIR = Path("/run/dnsgate-node")
MOTO_PORT = 80
READY_TIMEOUT = 180.0


@dataclass(frozen=True)
class NodeImage:
    """An image for the node: its id, the names pods use for it (the manifests'
    `dnsgate:0.1.0` is docker.io/library/dnsgate:0.1.0 to the CRI), and how to write its
    docker-archive, called only when containerd lacks this id."""

    image_id: str
    names: tuple[str, ...]
    save: Callable[[Path], object]


class Node:
    def __init__(self, logs: Path, images: Sequence[NodeImage], *, progress: Progress = print,
                 route53_address: str | None = None) -> None:
        self.logs = logs
        self.images = tuple(images)
        self.progress = progress
        self.network = NodeNetwork(0, extra_local=(route53_address,) if route53_address else ())
        self.supervisor = Supervisor(logs)
        self.state = RUNTIME_DIR
        self.route53: route53.Route53Endpoint | None = None
        self._lock: IO[str] | None = None
        self.timings: dict[str, float] = {}

    @property
    def kubeconfig(self) -> Path:
        return self.state / "pki" / "admin.kubeconfig"

    @property
    def server(self) -> str:
        return f"https://{self.network.node_ip}:{controlplane.APISERVER_PORT}"

    def kubectl(self, *args: str, check: bool = True, timeout: float = 60,
                input: str | None = None) -> Any:
        return kubectl.run(self.kubeconfig, *args, check=check, timeout=timeout, input=input)

    def __enter__(self) -> Node:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _timed(self, what: str, started: float) -> None:
        self.timings[what] = time.monotonic() - started
        self.progress(f"{what}: {self.timings[what]:.1f}s")

    def start(self) -> None:
        started = time.monotonic()
        binaries = build.ensure_binaries(self.progress)
        node_binaries = ensure_node_binaries(self.progress)
        self._timed("binaries", started)
        containerd.root().mkdir(parents=True, exist_ok=True)
        self._lock = open(containerd.root() / ".node.lock", "w")  # noqa: SIM115 (held)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self._remove_leftovers()  # of a run that was killed before it could clean up
        self.state.mkdir(parents=True)
        enter = self.network.enter()
        self.network.create()
        cgroups.create(CGROUP_ROOT)
        files = credentials.create(self.state / "pki", server=self.server,
                                   node_ip=self.network.node_ip, node_name=NODE_NAME,
                                   service_ip="10.96.0.1")

        step = time.monotonic()
        containerd.start(self.supervisor, enter, self.state / "containerd",
                         self.network.cni_config(self.state / "ipam"))
        pause_archive = self.state / "pause.tar"
        pause_id = archive.write_single_binary_image(node_binaries.pause,
                                                     containerd.PAUSE_IMAGE, pause_archive)
        pause = NodeImage(pause_id, (containerd.PAUSE_IMAGE,),
                          lambda dest: shutil.copyfile(pause_archive, dest))
        for image in (pause, *self.images):
            if containerd.import_once(self.state / "containerd", image.image_id, image.names,
                                      image.save):
                self.progress(f"imported {image.names[0]} ({image.image_id[:19]})")
        self._timed("containerd and images", step)

        step = time.monotonic()
        controlplane.start(self.supervisor, enter, binaries, node_binaries, files,
                           self.state, self.network.node_ip)
        self._timed("control plane", step)
        self._start_route53(enter)
        step = time.monotonic()
        kubelet.start(self.supervisor, enter, node_binaries, files,
                      state=self.state / "kubelet", node_name=NODE_NAME,
                      node_ip=self.network.node_ip, cgroup_root=CGROUP_ROOT,
                      runtime_socket=containerd.socket(self.state / "containerd"))
        self._wait_schedulable()
        self._timed("node ready", step)
        self._timed("node start", started)

    def _start_route53(self, enter: list[str]) -> None:
        url = f"http://{self.network.node_ip}:{MOTO_PORT}"
        child = self.supervisor.start("route53", [
            *enter, sys.executable, "-m", "devstack.motoserver", "-H", "0.0.0.0",
            "-p", str(MOTO_PORT)])

        def answering() -> bool:
            import urllib.request
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:
                return bool(response.status == 200)

        wait_until(child, answering, timeout=60, what="answering HTTP")
        zone = route53.create_zone(url, route53.DEFAULT_ZONE)
        self.route53 = route53.Route53Endpoint(url=url, zone_id=zone,
                                               zone_name=route53.DEFAULT_ZONE)

    def reset_route53(self) -> None:
        """Forget every zone and record, and create the zone again (a new zone id)."""
        assert self.route53 is not None
        route53.reset(self.route53.url)
        zone = route53.create_zone(self.route53.url, route53.DEFAULT_ZONE)
        self.route53 = route53.Route53Endpoint(url=self.route53.url, zone_id=zone,
                                               zone_name=route53.DEFAULT_ZONE)

    def _wait_schedulable(self) -> None:
        """Until the Node is Ready, carries no taint, and `default` has its ServiceAccount and
        `kube-root-ca.crt` (what every pod's token volume needs)."""
        deadline = time.monotonic() + READY_TIMEOUT
        kubelet_child = next(c for c in self.supervisor.children if c.name == "kubelet")
        while True:
            if not kubelet_child.alive():
                raise RuntimeError(f"kubelet exited:\n{_tail(kubelet_child.log)}")
            result = self.kubectl("get", "node", NODE_NAME, "-o", "json", check=False)
            if result.returncode == 0:
                node = json.loads(result.stdout)
                ready = any(c["type"] == "Ready" and c["status"] == "True"
                            for c in node["status"].get("conditions", []))
                if ready and not node["spec"].get("taints") and self.kubectl(
                        "get", "configmap", "kube-root-ca.crt", check=False).returncode == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"node {NODE_NAME} not Ready and untainted after "
                                   f"{READY_TIMEOUT:.0f}s:\n{_tail(kubelet_child.log)}")
            time.sleep(1)

    def delete_workloads(self, timeout: float = 90.0) -> None:
        """Delete every workload outside kube-system and wait until the kubelet has
        stopped their pods (each pod is gone from the API once its containers stopped)."""
        self.kubectl("delete", "deployments,replicasets,jobs", "--all", "--all-namespaces",
                     "--wait=false", check=False)
        self.kubectl("delete", "pods", "--all", "--all-namespaces", "--wait=false",
                     check=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.kubectl("get", "pods", "-A", "-o", "name", check=False)
            if result.returncode != 0 or not result.stdout.strip():
                return
            time.sleep(1)
        self.progress(f"pods still terminating after {timeout:.0f}s:\n{result.stdout}")

    def stop(self) -> None:
        started = time.monotonic()
        if any(c.name == "kubelet" and c.alive() for c in self.supervisor.children):
            self.delete_workloads()
        for child in reversed(self.supervisor.children):
            if child.name == "containerd" and child.alive():
                containerd.remove_leftovers(self.state / "containerd")
            child.stop(grace=20)
        self.supervisor.children.clear()
        self._remove_leftovers()
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        self._timed("node stop", started)

    def _remove_leftovers(self) -> None:
        stuck = cgroups.remove(CGROUP_ROOT)
        _kill_shims(self.state / "containerd")
        stuck += mounts.unmount_under(self.state)
        self.network.remove()
        shutil.rmtree(self.state, ignore_errors=True)
        if stuck:
            self.progress("left behind: " + "; ".join(stuck))


def _kill_shims(state: Path) -> None:
    """containerd's shims outlive containerd by design; the ones started for this node's
    socket go with it."""
    needle = str(containerd.socket(state)).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"containerd-shim" in cmdline and needle in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
