"""The kubelet, with the KubeletConfiguration this host needs (docs/kubelet.md, "The test
node"):
- `cgroupDriver: cgroupfs` and `failCgroupV1: false`: the host has cgroup v1 controllers and
  no systemd; from v1.35 the kubelet refuses cgroup v1 unless told otherwise;
- `cgroupsPerQOS` under a `cgroupRoot` the node creates in every v1 controller
  (devstack.node.cgroups);
- `failSwapOn: false`: the host may have swap;
- `readOnlyPort: 0`, `makeIPTablesUtilChains: false`: no unauthenticated port, no iptables;
- image garbage collection that never runs: the images were imported, nothing could pull
  them back;
- eviction thresholds low enough that a small, busy test machine does not evict;
- a `resolvConf` of its own: there is no cluster DNS, and the host's file may name
  resolvers the pods cannot reach;
- every path (root directory, pod logs, certificates) under the node's state directory.
"""

from __future__ import annotations

import json
from pathlib import Path

from devstack.node.build import NodeBinaries
from devstack.node.credentials import NodeCredentials
from devstack.processes import Child, Supervisor


def configuration(*, state: Path, credentials: NodeCredentials, cgroup_root: str,
                  resolv_conf: Path) -> dict[str, object]:
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": str(credentials.ca.cert)}},
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "cgroupfs", "failCgroupV1": False, "cgroupsPerQOS": True,
        "cgroupRoot": f"/{cgroup_root}",
        "failSwapOn": False, "readOnlyPort": 0, "makeIPTablesUtilChains": False,
        "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
        "imageMinimumGCAge": "8760h",
        "evictionHard": {"memory.available": "50Mi", "nodefs.available": "1%",
                         "imagefs.available": "1%", "nodefs.inodesFree": "1%"},
        "resolvConf": str(resolv_conf),
        "podLogsDir": str(state / "pod-logs"),
        "containerRuntimeEndpoint": "",  # given on the command line
        "syncFrequency": "10s",  # Secret volumes follow their Secret within seconds
        "serializeImagePulls": False,
        "registerNode": True,
        "maxPods": 30,
    }


def start(supervisor: Supervisor, enter: list[str], binaries: NodeBinaries,
          credentials: NodeCredentials, *, state: Path, node_name: str, node_ip: str,
          cgroup_root: str, runtime_socket: Path) -> Child:
    state.mkdir(parents=True, exist_ok=True)
    resolv_conf = state / "resolv.conf"
    resolv_conf.write_text("nameserver 127.0.0.1\noptions ndots:1\n")
    config = configuration(state=state, credentials=credentials, cgroup_root=cgroup_root,
                           resolv_conf=resolv_conf)
    config["containerRuntimeEndpoint"] = f"unix://{runtime_socket}"
    config_file = state / "config.json"
    config_file.write_text(json.dumps(config, indent=2))
    return supervisor.start("kubelet", [
        *enter, str(binaries.kubelet), f"--config={config_file}",
        f"--kubeconfig={credentials.kubeconfig('kubelet')}",
        f"--root-dir={state / 'root'}", f"--cert-dir={state / 'pki'}",
        f"--hostname-override={node_name}", f"--node-ip={node_ip}", "--v=1",
    ])
