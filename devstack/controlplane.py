"""A real Kubernetes control plane on loopback: etcd plus kube-apiserver, nothing faked.

The apiserver runs with RBAC authorization, client-certificate authentication for the admin
(group system:masters), service-account token signing keys, and a service cluster IP range,
so Services get ClusterIPs and NodePorts exactly as in a cluster. No controller-manager,
scheduler or kubelet runs: dnsgate only needs the API (Services, their status subresource,
Leases, Events, webhook configurations), and MetalLB's part is played by patching
`status.loadBalancer` (see `devstack.metallb`).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import ssl
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from certs import pki
from devstack.build import Binaries
from devstack.processes import Child, Supervisor, wait_until

SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16"
ADMIN_USER = "dnsgate-admin"
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class ControlPlanePKI:
    """Files the apiserver and its admin client need, all under one directory."""

    ca: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path
    sa_private: Path
    sa_public: Path

    @classmethod
    def create(cls, directory: Path) -> ControlPlanePKI:
        year = dt.timedelta(days=365)
        ca = pki.new_ca("dnsgate-dev-ca", valid_for=year)
        serving = pki.issue(
            ca, "kube-apiserver", valid_for=year,
            dns_names=("localhost", "kubernetes", "kubernetes.default",
                       "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"),
            ip_addresses=("127.0.0.1", "10.96.0.1"),
        )
        admin = pki.issue(
            ca, ADMIN_USER, valid_for=year, organization="system:masters",
            server=False, client=True,
        )
        sa_private, sa_public = pki.signing_key_pem()
        files = cls(
            ca=directory / "ca.crt",
            serving_cert=directory / "apiserver.crt",
            serving_key=directory / "apiserver.key",
            admin_cert=directory / "admin.crt",
            admin_key=directory / "admin.key",
            sa_private=directory / "sa.key",
            sa_public=directory / "sa.pub",
        )
        for path, data in (
            (files.ca, ca.cert_pem), (files.serving_cert, serving.cert_pem),
            (files.serving_key, serving.key_pem), (files.admin_cert, admin.cert_pem),
            (files.admin_key, admin.key_pem), (files.sa_private, sa_private),
            (files.sa_public, sa_public),
        ):
            pki.write_atomic(path, data)
        return files


def kubeconfig_text(server: str, files: ControlPlanePKI) -> str:
    import base64

    def b64(path: Path) -> str:
        return base64.b64encode(path.read_bytes()).decode()

    # JSON is valid YAML, so no YAML library is needed to write a kubeconfig.
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "dnsgate-dev", "cluster": {
            "server": server, "certificate-authority-data": b64(files.ca)}}],
        "users": [{"name": ADMIN_USER, "user": {
            "client-certificate-data": b64(files.admin_cert),
            "client-key-data": b64(files.admin_key)}}],
        "contexts": [{"name": "dnsgate-dev", "context": {
            "cluster": "dnsgate-dev", "user": ADMIN_USER}}],
        "current-context": "dnsgate-dev",
    }
    return json.dumps(config, indent=2) + "\n"


@dataclass
class ControlPlane:
    """etcd and kube-apiserver under one supervisor; `apiserver` can be restarted alone."""

    binaries: Binaries
    state_dir: Path
    supervisor: Supervisor
    extra_apiserver_args: Sequence[str] = ()
    etcd_url: str = ""
    apiserver_port: int = 0
    files: ControlPlanePKI | None = None
    apiserver: Child | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    def start(self) -> None:
        self.files = ControlPlanePKI.create(self.state_dir / "pki")
        self._start_etcd()
        self.apiserver_port = free_port()
        self.kubeconfig.write_text(kubeconfig_text(self.url, self.files))
        self.kubeconfig.chmod(0o600)
        self.start_apiserver()

    def _start_etcd(self) -> None:
        data = self.state_dir / "etcd"
        shutil.rmtree(data, ignore_errors=True)
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        child = self.supervisor.start("etcd", [
            str(self.binaries.etcd),
            "--name=dnsgate-dev",
            f"--data-dir={data}",
            f"--listen-client-urls={self.etcd_url}",
            f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=dnsgate-dev=http://127.0.0.1:{peer}",
            # A throwaway test store: durability buys nothing, fsync costs every write.
            "--unsafe-no-fsync",
            "--log-level=warn",
        ])

        def healthy() -> bool:
            with urllib.request.urlopen(f"{self.etcd_url}/health", timeout=2) as response:
                return bool(json.load(response).get("health") == "true")

        wait_until(child, healthy, timeout=START_TIMEOUT, what="healthy")

    def start_apiserver(self) -> None:
        """Start (or restart, after `stop_apiserver`) kube-apiserver on the same port."""
        files = self.files
        assert files is not None, "start() first"
        child = self.supervisor.start("kube-apiserver", [
            str(self.binaries.kube_apiserver),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.apiserver_port}",
            f"--tls-cert-file={files.serving_cert}",
            f"--tls-private-key-file={files.serving_key}",
            f"--client-ca-file={files.ca}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={files.sa_public}",
            f"--service-account-signing-key-file={files.sa_private}",
            f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
            "--allow-privileged=true",
            # The loopback advertise address is not a valid endpoint for the `kubernetes`
            # Service; nothing here needs that Service to have endpoints.
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            f"--cert-dir={self.state_dir / 'apiserver-certs'}",
            *self.extra_apiserver_args,
        ])
        self.apiserver = child
        context = ssl.create_default_context(cafile=str(files.ca))
        context.load_cert_chain(str(files.admin_cert), str(files.admin_key))

        def ready() -> bool:
            request = urllib.request.Request(f"{self.url}/readyz")
            with urllib.request.urlopen(request, timeout=5, context=context) as response:
                return bool(response.read() == b"ok")

        wait_until(child, ready, timeout=START_TIMEOUT, what="ready (/readyz)")

    def stop_apiserver(self) -> None:
        if self.apiserver is not None:
            self.apiserver.stop()
            self.supervisor.children.remove(self.apiserver)
            self.apiserver = None
