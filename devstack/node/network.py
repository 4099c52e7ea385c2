"""The node's network: a network namespace whose bridge carries the node's address, joined
to this machine by a veth pair (docs/kubelet.md, "The test node").

Inside the namespace:
- the bridge `dnsgate0` holds the node IP (`10.244.<slot>.1/24`); the CNI bridge plugin
  plugs every pod into it and hands out the rest of the /24 (host-local), with the bridge
  as the pods' gateway;
- `lo` also holds the `kubernetes` Service's cluster IP and the address the install's
  overlay gives Route53, so a pod reaches the apiserver and moto by those addresses
  directly: no kube-proxy, no iptables rule;
- the veth's inner end is a port of the bridge; its outer end, here, holds
  `10.244.<slot>.254/24`, so this machine (the tests, kubectl) reaches the node's address
  and every pod's address.
Deleting the namespace deletes both ends of the veth and, with them, the route.

Processes enter the namespace with `nsenter --net=`: `ip netns exec` would also remount
/sys, which the kubelet reads.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

BRIDGE = "dnsgate0"
CLUSTER_IP = "10.96.0.1"  # the `kubernetes` Service's, first of SERVICE_CLUSTER_IP_RANGE
SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16"


class NetworkError(RuntimeError):
    pass


def ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    argv = ["ip", *(["-n", netns] if netns else []), *args]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise NetworkError(f"`{' '.join(argv)}` failed: {result.stderr.strip()}")
    return result.stdout


@dataclass(frozen=True)
class NodeNetwork:
    slot: int
    extra_local: tuple[str, ...] = ()  # more addresses on the namespace's lo (Route53's)

    @property
    def name(self) -> str:
        return f"dnsgate-node{self.slot}"

    @property
    def path(self) -> Path:
        return Path("/run/netns") / self.name

    @property
    def node_ip(self) -> str:
        return f"10.244.{self.slot}.1"

    @property
    def outside_ip(self) -> str:
        return f"10.244.{self.slot}.254"

    @property
    def pod_subnet(self) -> str:
        return f"10.244.{self.slot}.0/24"

    @property
    def veth(self) -> tuple[str, str]:
        return f"dnsgate-h{self.slot}", f"dnsgate-n{self.slot}"

    def enter(self) -> list[str]:
        """The command prefix that runs a program inside the namespace."""
        return ["nsenter", f"--net={self.path}", "--"]

    def create(self) -> None:
        self.remove()  # a namespace left by a killed run of the same slot
        ip("netns", "add", self.name)
        outside, inside = self.veth
        ns = self.name
        ip("link", "set", "lo", "up", netns=ns)
        for address in (CLUSTER_IP, *self.extra_local):
            ip("addr", "add", f"{address}/32", "dev", "lo", netns=ns)
        ip("link", "add", BRIDGE, "type", "bridge", netns=ns)
        ip("addr", "add", f"{self.node_ip}/24", "dev", BRIDGE, netns=ns)
        ip("link", "set", BRIDGE, "up", netns=ns)
        ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", ns)
        ip("link", "set", inside, "master", BRIDGE, "up", netns=ns)
        ip("addr", "add", f"{self.outside_ip}/24", "dev", outside)
        ip("link", "set", outside, "up")

    def remove(self) -> None:
        if self.path.exists():
            ip("netns", "delete", self.name, check=False)
        ip("link", "delete", self.veth[0], check=False)  # gone with the namespace, normally

    def cni_config(self, ipam_dir: Path) -> dict[str, object]:
        """bridge + host-local: every pod on the bridge, addresses from the node's /24
        (below the outside end's), the bridge as gateway, no masquerading (nothing leaves).
        host-local keeps its leases in `ipam_dir`, not in /var/lib/cni. containerd brings up
        each pod's `lo` itself."""
        return {
            "cniVersion": "0.4.0", "name": "dnsgate", "plugins": [{
                "type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": False,
                "ipam": {"type": "host-local", "ranges": [[{
                    "subnet": self.pod_subnet, "gateway": self.node_ip,
                    "rangeStart": f"10.244.{self.slot}.10",
                    "rangeEnd": f"10.244.{self.slot}.200"}]],
                    "routes": [{"dst": "0.0.0.0/0"}], "dataDir": str(ipam_dir)},
            }],
        }
