"""The node's control plane, each process inside the node's network namespace: etcd,
kube-apiserver, kube-controller-manager and kube-scheduler (docs/kubelet.md, "The test node").

The namespace is private, so every port is the component's usual one. The apiserver
listens on 443 on every address of the namespace: the node IP (for the kubelet, the
controllers and, through the veth, the tests) and the `kubernetes` Service's cluster IP
(for pods). Flags that a node needs and the dev stack's apiserver does not have:
- `--authorization-mode=Node,RBAC` and NodeRestriction: the kubelet acts as its Node only;
- `--advertise-address` = the node IP, and the endpoint reconciler left on, so the
  `kubernetes` Service has the endpoint a cluster has;
- `--enable-aggregator-routing=true`: admission webhooks are dialled at a ready endpoint of
  their Service (the webhook pod's IP) instead of its cluster IP, since no kube-proxy runs;
- `--kubelet-preferred-address-types=InternalIP` and the admin's client certificate, for
  `kubectl logs` and `exec` through the kubelet.
Without the controller-manager a Deployment never becomes pods, Services get no
EndpointSlices, namespaces get no `kube-root-ca.crt` (which every projected token volume
needs) and the not-ready taint is never lifted; without the scheduler no pod is bound.
"""

from __future__ import annotations

import shutil
import ssl
import urllib.request
from collections.abc import Callable
from pathlib import Path

from devstack.build import Binaries
from devstack.node.build import NodeBinaries
from devstack.node.credentials import NodeCredentials
from devstack.node.network import SERVICE_CLUSTER_IP_RANGE
from devstack.processes import Supervisor, wait_until

APISERVER_PORT = 443
ETCD_CLIENT = "http://127.0.0.1:2379"
START_TIMEOUT = 180.0


def start(supervisor: Supervisor, enter: list[str], binaries: Binaries, node: NodeBinaries,
          credentials: NodeCredentials, state: Path, node_ip: str) -> None:
    _etcd(supervisor, enter, binaries, state)
    apiserver = supervisor.start("kube-apiserver", [*enter, str(binaries.kube_apiserver),
                                                    *apiserver_args(credentials, node_ip)])
    wait_until(apiserver, _ready(f"https://{node_ip}:{APISERVER_PORT}", credentials),
               timeout=START_TIMEOUT, what="ready (/readyz)")
    supervisor.start("kube-controller-manager", [
        *enter, str(node.kube_controller_manager),
        f"--kubeconfig={credentials.kubeconfig('kube-controller-manager')}",
        f"--cluster-signing-cert-file={credentials.ca.cert}",
        f"--cluster-signing-key-file={credentials.ca.key}",
        f"--root-ca-file={credentials.ca.cert}",
        f"--service-account-private-key-file={credentials.sa_private}",
        "--use-service-account-credentials=true",
        f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
        "--leader-elect=false", "--secure-port=0",
        # A lone test node: its pods are evicted only by tests, never for a late heartbeat.
        "--node-monitor-grace-period=120s",
        "--v=1",
    ])
    supervisor.start("kube-scheduler", [
        *enter, str(node.kube_scheduler),
        f"--kubeconfig={credentials.kubeconfig('kube-scheduler')}",
        f"--authentication-kubeconfig={credentials.kubeconfig('kube-scheduler')}",
        f"--authorization-kubeconfig={credentials.kubeconfig('kube-scheduler')}",
        "--leader-elect=false", "--secure-port=0", "--v=1",
    ])


def _etcd(supervisor: Supervisor, enter: list[str], binaries: Binaries, state: Path) -> None:
    data = state / "etcd"
    shutil.rmtree(data, ignore_errors=True)
    supervisor.start("etcd", [
        *enter, str(binaries.etcd), "--name=node", f"--data-dir={data}",
        f"--listen-client-urls={ETCD_CLIENT}", f"--advertise-client-urls={ETCD_CLIENT}",
        "--listen-peer-urls=http://127.0.0.1:2380",
        "--initial-advertise-peer-urls=http://127.0.0.1:2380",
        "--initial-cluster=node=http://127.0.0.1:2380",
        "--unsafe-no-fsync", "--log-level=warn",  # a throwaway store, as the dev stack's
    ])
    # etcd listens on the namespace's loopback only: the apiserver's /readyz, which checks
    # etcd, is the wait.


def apiserver_args(credentials: NodeCredentials, node_ip: str) -> list[str]:
    return [
        f"--etcd-servers={ETCD_CLIENT}",
        "--bind-address=0.0.0.0", f"--advertise-address={node_ip}",
        f"--secure-port={APISERVER_PORT}",
        f"--tls-cert-file={credentials.apiserver.cert}",
        f"--tls-private-key-file={credentials.apiserver.key}",
        f"--client-ca-file={credentials.ca.cert}",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={credentials.sa_public}",
        f"--service-account-signing-key-file={credentials.sa_private}",
        f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
        "--enable-aggregator-routing=true",
        "--kubelet-preferred-address-types=InternalIP",
        f"--kubelet-client-certificate={credentials.admin.cert}",
        f"--kubelet-client-key={credentials.admin.key}",
        "--allow-privileged=true", "--profiling=false",
        f"--cert-dir={credentials.directory / 'apiserver-generated'}",
    ]


def _ready(url: str, credentials: NodeCredentials) -> Callable[[], bool]:
    context = ssl.create_default_context(cafile=str(credentials.ca.cert))
    context.load_cert_chain(str(credentials.admin.cert), str(credentials.admin.key))

    def ready() -> bool:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5, context=context) as response:
            return bool(response.read() == b"ok")

    return ready
