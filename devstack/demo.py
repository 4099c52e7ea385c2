"""`make demo`: the seed's story, end to end, on this machine.

Starts the local stack (etcd, kube-apiserver, Route53 server), registers the shipped
WebhookConfigurations (pointed at the local URL), runs the certificate keeper (`dnsgate certs
--keep`, as its own ServiceAccount under the install's admission policies) that issues the
webhook's certificate and injects its CA, runs the webhook under gunicorn serving that
certificate from the Secret's files, runs the reconciler with the seed's settings plus
`--source=ingress`, `--source=gateway-httproute` and a domain policy
(docs/namespace-domains.md: namespace `shop` may use shop.goldentooth.net only) and an
owners index (docs/owners.md: another cluster holds blog.goldentooth.net), then walks
through eleven steps, checking that each did what it says:
  1. a Service named into httpbin.example.com is refused at `kubectl apply`;
  2. httpbin.goldentooth.net is admitted, and its TTL defaulted to 60;
  3. its load-balancer IP 10.4.11.1 is assigned, as MetalLB would;
  4. the A and TXT records appear in Route53 (listed, with the time they took);
  5. an Ingress asking for httpbin.goldentooth.net, which the Service holds, is refused;
  6. an Ingress for shop.goldentooth.net is admitted, its controller reports 10.4.11.2, and
     its records appear, their TXT naming the Ingress;
  7. httpbin moves from its Service to an HTTPRoute on a Gateway `edge` (address
     10.4.11.3), keeping its name: refused at the door while the Service holds it, taken
     once the Service gives it up; a route no Gateway accepted gets a Warning DNSNoRecord
     (`devstack.demo_gateway`);
  8. in namespace shop, a Service asking for a name outside shop.goldentooth.net is refused,
     the message naming the domains the namespace may use;
  9. a Service asking for blog.goldentooth.net, which Route53 shows owned by another
     cluster's owner id, is refused, naming that owner id and resource (`owners_step`);
  10. deleting the Service, the Ingress and the HTTPRoutes removes every record;
  11. a namespace's 40 Services deleted at once: the deletes past --max-deletes are held
     and reported, and go once confirmed (`devstack.demo_guard`).
Interactive, the stack then stays up until Ctrl-C; with no TTY, or DEMO_EXIT=1, it exits
after step 11 with status 0 only if every step did what it said.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from devstack import (
    demo_gateway,
    demo_guard,
    gatewayapi,
    ingresses,
    kubectl,
    metallb,
    route53,
    webhook,
)
from devstack.controlplane import free_port
from devstack.processes import wait_until
from devstack.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
STATE = Path(".dnsgate-demo")
DOMAIN = "goldentooth.net"
OWNER = "external-dns-external-dns"
NAMESPACE = "httpbin"
HOSTNAME = "httpbin.goldentooth.net"
IP = "10.4.11.1"
SHOP = "shop.goldentooth.net"
SHOP_IP = "10.4.11.2"
SOURCES = ("--source=service", "--source=ingress", "--source=gateway-httproute")
FOREIGN = "blog.goldentooth.net"
FOREIGN_OWNER = "cluster-b"
FOREIGN_RESOURCE = "service/web/blog"
OWNERS_INDEX = "--owners-index=dnsgate/dnsgate-owners"
WAIT = 30.0
POLICY_NAMESPACE = "shop"
POLICY = "dnsgate/dnsgate-domain-policy"
POLICY_TEXT = f"""rules:
  - name: shop-team
    namespaces: [{POLICY_NAMESPACE}]
    domains: [{SHOP}]
"""


def say(line: str = "") -> None:
    print(line, flush=True)


def setup(line: str) -> None:
    say(f"  setup: {line}")


def show_command(*args: str) -> None:
    say("  $ kubectl " + " ".join(args))


def wait_for(check: Callable[[], bool], timeout: float = WAIT) -> float | None:
    """Seconds until `check()` held, or None if it never did within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


class Cluster(Protocol):
    """What the story needs of where it runs: the local `Stack`, or a real node
    (devstack.node) whose pods run dnsgate."""

    @property
    def kubeconfig(self) -> Path: ...

    @property
    def route53(self) -> route53.Route53Endpoint | None: ...


class Demo:
    """The story's steps; without `ingresses` (a stack whose dnsgate has only the Service
    source, as the seed's settings) steps 5 and 6 are left out; without `owners` (no owners
    index, no other cluster's record) the step showing it is; so is the domain policy's
    without `policy` (the seed's settings name no policy), and the Gateway's without
    `gateway` (no Gateway API CRDs, or no `gateway-httproute` source)."""

    def __init__(self, stack: Cluster, *, ingresses: bool = True, owners: bool = False,
                 health: int = 0, policy: bool = True, gateway: bool = False) -> None:
        self.stack = stack
        self.ingresses = ingresses
        self.owners = owners
        self.health = health  # the reconciler's health port; 0: no mass-delete step
        self.policy = policy
        self.gateway = gateway
        self.steps = (7 if ingresses else 5) + gateway + policy + owners + bool(health)
        self.kubeconfig = stack.kubeconfig
        self.zone_id = stack.route53.zone_id if stack.route53 else ""
        self.results: list[tuple[str, bool]] = []

    def kubectl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        show_command(*args)
        result = kubectl.run(self.kubeconfig, *args, check=check)
        for line in (result.stdout + result.stderr).strip().splitlines():
            say(f"    {line}")
        return result

    def step(self, number: int, title: str, ok: bool, detail: str) -> None:
        self.results.append((title, ok))
        say(f"  {'[ok]' if ok else '[FAILED]'} {detail}")
        say()

    def records(self) -> list[dict[str, Any]]:
        client = route53.client(self.stack.route53.url if self.stack.route53 else "")
        listed = client.list_resource_record_sets(HostedZoneId=self.zone_id)
        return [r for r in listed["ResourceRecordSets"]
                if "httpbin" in r["Name"] or "shop" in r["Name"]]

    def run(self) -> bool:
        say(f"Step 1/{self.steps}: a Service asking for httpbin.example.com is refused")
        metallb.ensure_namespace(self.kubeconfig, NAMESPACE)
        refused = self.kubectl("apply", "-f", str(EXAMPLES / "httpbin-wrong-domain.yaml"),
                               check=False)
        self.step(1, "refused", refused.returncode != 0
                  and "denied the request" in refused.stderr
                  and f"outside the managed domains ({DOMAIN})" in refused.stderr,
                  "kubectl apply was refused, and the message says why and what is managed")

        say(f"Step 2/{self.steps}: {HOSTNAME} is admitted, with the TTL defaulted")
        self.kubectl("apply", "-f", str(EXAMPLES / "httpbin.yaml"))
        service = json.loads(kubectl.run(self.kubeconfig, "-n", NAMESPACE, "get", "service",
                                         "httpbin", "-o", "json").stdout)
        annotations = service["metadata"].get("annotations", {})
        ttl = annotations.get("external-dns.alpha.kubernetes.io/ttl")
        show_command("-n", NAMESPACE, "get", "service", "httpbin", "-o",
                     "jsonpath={.metadata.annotations}")
        for key, value in sorted(annotations.items()):
            if key.startswith("external-dns"):
                say(f"    {key}: {value}")
        self.step(2, "admitted", ttl == "60",
                  f'admitted; the webhook added external-dns.alpha.kubernetes.io/ttl: "{ttl}"')

        say(f"Step 3/{self.steps}: MetalLB assigns {IP} (status.loadBalancer, via the status "
            "subresource)")
        show_command("-n", NAMESPACE, "patch", "service", "httpbin", "--subresource=status",
                     "--type=merge", "-p", f"'{{\"status\":{{\"loadBalancer\":{{\"ingress\":"
                     f"[{{\"ip\":\"{IP}\"}}]}}}}}}'")
        assigned_at = time.monotonic()
        metallb.assign(self.kubeconfig, NAMESPACE, "httpbin", [IP])
        ingress = json.loads(kubectl.run(
            self.kubeconfig, "-n", NAMESPACE, "get", "service", "httpbin", "-o",
            "jsonpath={.status.loadBalancer.ingress}").stdout)
        got = [i.get("ip") for i in ingress]
        self.step(3, "assigned", got == [IP],
                  f"status.loadBalancer.ingress ips = {got}")

        say(f"Step 4/{self.steps}: the reconciler writes the A record and its ownership TXT "
            "to Route53")

        def both_present() -> bool:
            names = {(r["Name"], r["Type"]) for r in self.records()}
            return {(f"{HOSTNAME}.", "A"), (f"a-{HOSTNAME}.", "TXT")} <= names

        waited = wait_for(both_present)
        took = time.monotonic() - assigned_at
        self.print_records()
        a_record = next((r for r in self.records() if r["Type"] == "A"), None)
        right = (a_record is not None and a_record["TTL"] == 60
                 and a_record["ResourceRecords"] == [{"Value": IP}])
        self.step(4, "records", waited is not None and right,
                  f"A {HOSTNAME} -> {IP} (TTL 60) and its TXT appeared {took:.2f}s after the "
                  "IP was assigned" if waited is not None else
                  f"the records did not appear within {WAIT:.0f}s")

        if self.ingresses:
            self.ingress_steps()
        last = self.steps - bool(self.health)
        if self.gateway:
            demo_gateway.gateway_step(self, last - 1 - self.owners - self.policy)
        if self.policy:
            self.domain_policy_step(last - 1 - self.owners)
        if self.owners:
            self.owners_step(last - 1)
        deleted = ["the Service", *["the Ingress"] * self.ingresses,
                   *["the HTTPRoutes"] * self.gateway]
        say(f"Step {last}/{self.steps}: deleting {', '.join(deleted[:-1])}"
            f"{' and ' * (len(deleted) > 1)}{deleted[-1]} removes every record")
        deleted_at = time.monotonic()
        self.kubectl("-n", NAMESPACE, "delete", "service", "httpbin")
        if self.ingresses:
            self.kubectl("-n", NAMESPACE, "delete", "ingress", "shop")
        if self.gateway:
            self.kubectl("-n", NAMESPACE, "delete", "httproutes", demo_gateway.ROUTE,
                         demo_gateway.STRAY)
        gone = wait_for(lambda: not self.records())
        took = time.monotonic() - deleted_at
        self.print_records()
        self.step(last, "removed", gone is not None,
                  f"A and TXT records removed {took:.2f}s after the delete" if gone is not None
                  else f"records still present {WAIT:.0f}s after the delete")
        if self.health:
            demo_guard.mass_delete_step(self, self.steps, self.health)
        return all(ok for _, ok in self.results)

    def ingress_steps(self) -> None:
        say(f"Step 5/{self.steps}: an Ingress asking for {HOSTNAME}, which the Service holds, is "
            "refused")
        taken = self.kubectl("apply", "-f", str(EXAMPLES / "httpbin-ingress.yaml"), check=False)
        self.step(5, "ingress refused", taken.returncode != 0
                  and f"is already claimed by Service {NAMESPACE}/httpbin" in taken.stderr,
                  "kubectl apply was refused: Services and Ingresses share one claim index")

        say(f"Step 6/{self.steps}: an Ingress for {SHOP} is admitted; its controller reports "
            f"{SHOP_IP}")
        self.kubectl("apply", "-f", str(EXAMPLES / "shop-ingress.yaml"))
        show_command("-n", NAMESPACE, "patch", "ingress", "shop", "--subresource=status",
                     "--type=merge", "-p", f"'{{\"status\":{{\"loadBalancer\":{{\"ingress\":"
                     f"[{{\"ip\":\"{SHOP_IP}\"}}]}}}}}}'")
        ingresses.assign(self.kubeconfig, NAMESPACE, "shop", [SHOP_IP])

        def shop_present() -> bool:
            names = {(r["Name"], r["Type"]) for r in self.records()}
            return {(f"{SHOP}.", "A"), (f"a-{SHOP}.", "TXT")} <= names

        waited = wait_for(shop_present)
        self.print_records()
        txt = next((r for r in self.records() if r["Name"] == f"a-{SHOP}."), None)
        owned = txt is not None and f"external-dns/resource=ingress/{NAMESPACE}/shop" in (
            txt["ResourceRecords"][0]["Value"])
        self.step(6, "ingress records", waited is not None and owned,
                  f"A {SHOP} -> {SHOP_IP} and its TXT naming ingress/{NAMESPACE}/shop appeared"
                  if waited is not None and owned else
                  f"the Ingress's records did not appear within {WAIT:.0f}s")

    def domain_policy_step(self, number: int) -> None:
        say(f"Step {number}/{self.steps}: in namespace {POLICY_NAMESPACE}, which the domain "
            f"policy {POLICY} gives {SHOP} only, a Service asking for api.{HOSTNAME} is refused")
        metallb.ensure_namespace(self.kubeconfig, POLICY_NAMESPACE)
        manifest = metallb.service_manifest(POLICY_NAMESPACE, "api",
                                            {"external-dns.alpha.kubernetes.io/hostname":
                                             f"api.{HOSTNAME}"})
        show_command("apply", "-f", "-  # Service shop/api, hostname api.httpbin.goldentooth.net")
        refused = kubectl.run(self.kubeconfig, "apply", "-f", "-", input=json.dumps(manifest),
                              check=False)
        for line in (refused.stdout + refused.stderr).strip().splitlines():
            say(f"    {line}")
        self.step(number, "namespace domains", refused.returncode != 0
                  and f"namespace {POLICY_NAMESPACE} may use ({SHOP})" in refused.stderr,
                  "kubectl apply was refused, naming the domains the namespace may use")

    def owners_step(self, number: int) -> None:
        say(f"Step {number}/{self.steps}: a Service asking for {FOREIGN}, which Route53 shows "
            f'owned by owner id "{FOREIGN_OWNER}", is refused')
        refused = self.kubectl("apply", "-f", str(EXAMPLES / "blog-other-owner.yaml"),
                               check=False)
        self.step(number, "other owner refused", refused.returncode != 0
                  and f'owned in Route53 by owner id "{FOREIGN_OWNER}"' in refused.stderr
                  and FOREIGN_RESOURCE in refused.stderr,
                  "kubectl apply was refused, naming the owner id and resource that hold it "
                  "(the reconciler's owners index, written at its resync)")

    def print_records(self) -> None:
        rows = [(r["Name"], r["Type"], str(r.get("TTL", "")),
                 ", ".join(v["Value"] for v in r.get("ResourceRecords", [])))
                for r in self.records()]
        names = "httpbin and shop" if self.ingresses else "httpbin"
        say(f"  Route53 zone {DOMAIN} ({self.zone_id}), records for {names}:")
        if not rows:
            say("    (none)")
            return
        header = ("NAME", "TYPE", "TTL", "VALUE")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
        for row in [header, *rows]:
            say("    " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def write_domain_policy(stack: Stack) -> dict[str, str]:
    """The domain policy ConfigMap, as a cluster admin writes it; the settings naming it, as
    the settings ConfigMap gives them to both deployables."""
    namespace, name = POLICY.split("/")
    setup(f"writing the domain policy ConfigMap {POLICY}: namespace {POLICY_NAMESPACE} may "
          f"use {SHOP} (docs/namespace-domains.md)")
    manifest = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": namespace},
                "data": {"policy.yaml": POLICY_TEXT}}
    kubectl.run(stack.kubeconfig, "apply", "-f", "-", input=json.dumps(manifest))
    return {"DNSGATE_DOMAIN_POLICY": POLICY}


def start_components(stack: Stack) -> int:
    """Start the webhook, its certificate keeper and the reconciler; the reconciler's health
    port."""
    tls = STATE / "webhook-tls"
    port = free_port()
    setup(f"installing the Gateway API CRDs ({gatewayapi.MODULE} {gatewayapi.VERSION}, "
          f"{gatewayapi.CHANNEL} channel)")
    gatewayapi.install(stack.kubeconfig, setup)
    setup("registering the webhook with the apiserver (manifests/base/"
          "webhook-configurations.yaml, with manifests/components/ingress and "
          "manifests/components/gateway-api)")
    webhook.register(stack.kubeconfig, webhook.local_configurations(port, ingresses=True,
                                                                    routes=True))
    setup("starting the certificate keeper (dnsgate certs --keep, as ServiceAccount "
          "dnsgate/dnsgate-certs): it issues the webhook's certificate and injects its CA")
    webhook.keep_certificate(stack.supervisor, Path(stack.kubeconfig), tls)
    policy = write_domain_policy(stack)
    setup(f"starting the webhook on https://127.0.0.1:{port} (gunicorn, TLS), serving the "
          "certificate from Secret dnsgate/dnsgate-webhook-tls")
    webhook.start(stack.supervisor, port=port, cert_file=tls / "tls.crt",
                  key_file=tls / "tls.key", ca_file=tls / "ca.crt", domain_filters=[DOMAIN],
                  kubeconfig=stack.kubeconfig, environment=policy,
                  extra_args=(*SOURCES, OWNERS_INDEX, f"--txt-owner-id={OWNER}"))
    other_cluster_record(stack)
    setup(f"starting the reconciler (domain {DOMAIN}, owner id {OWNER})")
    health = free_port()
    reconciler = stack.supervisor.start("dnsgate-reconciler", [
        sys.executable, "-m", "dnsgate", "reconcile", f"--domain-filter={DOMAIN}",
        f"--txt-owner-id={OWNER}", f"--health-port={health}", *SOURCES, OWNERS_INDEX,
    ], env={**os.environ, **stack.env(), **policy})

    def ready() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{health}/readyz", timeout=2) as answer:
            return bool(answer.status == 200)

    wait_until(reconciler, ready, timeout=60, what="ready (/readyz)")
    return health


def other_cluster_record(stack: Stack) -> None:
    """Another cluster's record in the shared zone, as ExternalDNS writes it: the
    reconciler's first resync lists it in the owners index (`--owners-index`)."""
    setup(f'another cluster (owner id "{FOREIGN_OWNER}") holds {FOREIGN} in the zone')
    value = (f'"heritage=external-dns,external-dns/owner={FOREIGN_OWNER},'
             f'external-dns/resource={FOREIGN_RESOURCE}"')
    changes = [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"{name}.", "Type": kind, "TTL": 300, "ResourceRecords": [{"Value": target}]}}
        for name, kind, target in ((FOREIGN, "A", "192.0.2.20"), (f"a-{FOREIGN}", "TXT", value))]
    client = route53.client(stack.route53.url if stack.route53 else "")
    zone_id = stack.route53.zone_id if stack.route53 else ""
    client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and os.environ.get("DEMO_EXIT") != "1"
    signal.signal(signal.SIGTERM, _interrupt)
    say("dnsgate demo: the seed's httpbin story on a local kube-apiserver and Route53")
    say()
    try:
        with Stack(STATE, progress=setup) as stack:
            health = start_components(stack)
            say()
            demo = Demo(stack, owners=True, health=health, gateway=True)
            passed = demo.run()
            say(f"All {demo.steps} steps did what they said." if passed
                else "Some steps FAILED.")
            if not interactive:
                return 0 if passed else 1
            say()
            say("The stack stays up for your own Services. In another shell:")
            say("  . .venv/bin/activate")
            say(f"  set -a; . {stack.env_file}; set +a")
            say("  kubectl apply -f examples/httpbin.yaml")
            say(f"Logs: {stack.state_dir}/logs/. Ctrl-C stops everything.")
            while True:
                time.sleep(1)
    except KeyboardInterrupt:
        say("stopped")
        return 0


if __name__ == "__main__":
    sys.exit(main())
