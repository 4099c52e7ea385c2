"""The controllers under test: dnsgate's reconciler and the ExternalDNS releases that
`bench/setup.sh` built, started the same way against the same rig.

ExternalDNS runs with the flags the seed deployment uses (`--source=service --provider=aws
--registry=txt --txt-owner-id --domain-filter`) plus `--events`, so a changed Service is
synced at once (after `--min-event-sync-interval`, 5 s by default) instead of at the next
`--interval` (1 m). v0.22+ reads only one annotation prefix, `external-dns.kubernetes.io/`
by default; the seed's Services use the alpha prefix, so newer releases get
`--annotation-prefix=external-dns.alpha.kubernetes.io/`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.rig import Rig
from devstack import build
from devstack.controlplane import free_port
from devstack.processes import Child
from devstack.r53proxy import Route53Proxy

OWNER = "bench"
DOMAIN = "goldentooth.net"
EXTERNAL_DNS_VERSIONS = ("v0.23.0", "v0.14.2")


@dataclass(frozen=True)
class Controller:
    name: str  # as printed in tables: "dnsgate", "external-dns v0.23.0"
    binary: Path | None = None  # None: dnsgate, run from this venv
    version: tuple[int, ...] = ()

    @property
    def is_dnsgate(self) -> bool:
        return self.binary is None


DNSGATE = Controller("dnsgate")


def external_dns_binary(version: str) -> Path:
    return build.cache_root() / f"external-dns-{version}" / "external-dns"


def external_dns(version: str) -> Controller | None:
    """The cached release, if setup.sh built it and it runs."""
    binary = external_dns_binary(version)
    if not binary.is_file():
        return None
    result = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                            timeout=30, check=False)
    if result.returncode != 0:
        return None
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:3])
    return Controller(f"external-dns {version}", binary, numbers)


def available(include_external_dns: bool = True) -> list[Controller]:
    found = [DNSGATE]
    if include_external_dns:
        found += [c for c in (external_dns(v) for v in EXTERNAL_DNS_VERSIONS) if c is not None]
    return found


def missing_external_dns() -> list[str]:
    """Why each ExternalDNS release is absent, for the tables' notes."""
    reasons = []
    for version in EXTERNAL_DNS_VERSIONS:
        if external_dns(version) is None:
            log = external_dns_binary(version).parent / "build.log"
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.is_file() \
                else ["not built: run bench/setup.sh"]
            reasons.append(f"external-dns {version} unavailable: {' / '.join(tail)[:300]}")
    return reasons


def argv(controller: Controller, rig: Rig, *, namespace: str, interval: str,
         sources: tuple[str, ...] = ("service",)) -> list[str]:
    """`sources`: the --source values, the same for every controller."""
    chosen = [f"--source={source}" for source in sources]
    if controller.is_dnsgate:
        return [
            sys.executable, "-m", "dnsgate", "reconcile", *chosen,
            f"--domain-filter={DOMAIN}", f"--txt-owner-id={OWNER}",
            f"--namespace={namespace}", f"--interval={interval}", "--log-level=warning",
        ]
    args = [
        # v0.23 refuses to start without an explicit --policy; sync is every release's default.
        str(controller.binary), *chosen, "--provider=aws", "--registry=txt",
        "--policy=sync",
        f"--txt-owner-id={OWNER}", f"--domain-filter={DOMAIN}", f"--namespace={namespace}",
        f"--kubeconfig={rig.stack.kubeconfig}", "--events", f"--interval={interval}",
        # Its default, :7979, would listen on every interface.
        f"--metrics-address=127.0.0.1:{free_port()}", "--log-level=info",
    ]
    if controller.version >= (0, 22):
        args.append("--annotation-prefix=external-dns.alpha.kubernetes.io/")
    return args


def start(controller: Controller, rig: Rig, *, namespace: str, interval: str = "1m",
          label: str = "", proxy: Route53Proxy | None = None,
          sources: tuple[str, ...] = ("service",)) -> Child:
    env = {**os.environ, "KUBECONFIG": str(rig.stack.kubeconfig), **rig.route53_env(proxy)}
    # A machine-wide AWS_CA_BUNDLE makes aws-sdk-go v1 refuse ExternalDNS's instrumented
    # transport at start; the proxy's CA comes through SSL_CERT_FILE instead (see Rig).
    env.pop("AWS_CA_BUNDLE", None)
    name = (label or controller.name).replace(" ", "-")
    return rig.supervisor.start(name, argv(controller, rig, namespace=namespace,
                                           interval=interval, sources=sources), env=env)


def stop(rig: Rig, child: Child) -> None:
    child.stop()
    if child in rig.supervisor.children:
        rig.supervisor.children.remove(child)


def rss_bytes(pid: int, *, tree: bool = False) -> int:
    """Resident set size of a process (and, with `tree`, of all its descendants)."""
    total = _status_kb(pid, "VmRSS") * 1024
    if tree:
        for child in _children(pid):
            total += rss_bytes(child, tree=True)
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/<pid>/stat)."""
    # Fields after the command name (which may hold spaces, hence the split at ")"):
    # utime and stime are the 12th and 13th, in clock ticks.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, *, timeout: float, quiet_for: float = 2.0,
              below: float = 0.05) -> float | None:
    """Seconds until the process used under `below` of a core for `quiet_for` seconds in a
    row (a controller done with the aftermath of its cold sync), or None after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = cpu_seconds(pid)
        time.sleep(quiet_for)
        if cpu_seconds(pid) - before < below * quiet_for:
            return time.monotonic() - started - quiet_for
    return None


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(p) for p in text]
    return found
