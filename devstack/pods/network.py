"""Pod networking on one machine: a veth pair per pod, and relays for what pods reach.

Each pod gets its own network namespace and a /30 out of 10.234.0.0/16: the host's end of
the veth pair holds the first address, the pod's end (eth0) the second, which is the pod's
IP. The host (kube-apiserver calling the webhook through its EndpointSlice, the runner
probing readiness) reaches the pod's IP directly.

kube-apiserver and the Route53 server listen on the host's loopback, which a pod cannot
reach. A `Relay` plays kube-proxy's part: it listens inside the pod's namespace on the
address the pod uses (the `kubernetes` Service's cluster IP and port, or an address outside
the cluster) and joins each connection to the real listener on the host.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import random
import re
import secrets
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from devstack.pods import linux

POD_NETWORK = ipaddress.IPv4Network("10.234.0.0/16")
LOCK = Path(tempfile.gettempdir()) / "dnsgate-pod-network.lock"


class NetworkError(RuntimeError):
    pass


def _ip(*args: str) -> str:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise NetworkError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


@dataclass(frozen=True)
class PodLink:
    host_interface: str
    peer_interface: str
    host_ip: str
    pod_ip: str
    prefix: int = 30

    @property
    def pod_cidr(self) -> str:
        return f"{self.pod_ip}/{self.prefix}"


def connect(netns_pid: int) -> PodLink:
    """A veth pair between the host and the network namespace of `netns_pid`, with a free
    /30 (free among every runner on this machine: chosen under a file lock)."""
    name = "dg" + secrets.token_hex(4)
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        used = {ipaddress.IPv4Interface(address).network
                for address in re.findall(r"inet (\S+)", _ip("-4", "-o", "addr", "show"))}
        free = [net for net in POD_NETWORK.subnets(new_prefix=30) if net not in used]
        if not free:
            raise NetworkError(f"no free /30 left in {POD_NETWORK}")
        subnet = random.choice(free)
        host_ip, pod_ip = (str(address) for address in list(subnet.hosts())[:2])
        _ip("link", "add", name, "type", "veth", "peer", "name", name + "p",
            "netns", str(netns_pid))
        _ip("addr", "add", f"{host_ip}/30", "dev", name)
        _ip("link", "set", name, "up")
    return PodLink(name, name + "p", host_ip, pod_ip)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


class Relay:
    """Listens on `listen` inside the namespace `netns`; joins each connection to `target`
    as seen from this process's own namespace."""

    def __init__(self, netns: str, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.listen, self.target = listen, target
        self.connections: list[socket.socket] = []
        self.closed = False
        own = os.open(f"/proc/{os.getpid()}/ns/net", os.O_RDONLY)
        pod = os.open(netns, os.O_RDONLY)
        bound = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            try:
                linux.setns(pod, linux.CLONE_NEWNET)  # this thread only
                self.server = socket.create_server(listen, backlog=64)
                linux.setns(own, linux.CLONE_NEWNET)
            except BaseException as exc:
                failure.append(exc)
                return
            finally:
                os.close(pod)
                os.close(own)
                bound.set()
            self._accept()

        threading.Thread(target=serve, name=f"relay-{listen[0]}:{listen[1]}",
                         daemon=True).start()
        bound.wait()
        if failure:
            raise NetworkError(f"relay on {listen[0]}:{listen[1]} in {netns}: {failure[0]}")

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.server.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.close()
