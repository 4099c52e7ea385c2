"""The demo's Gateway API step (docs/gateway-api.md): the seed's user moves httpbin from its
LoadBalancer Service to an HTTPRoute on a Gateway `edge`, keeping its name.

While the Service holds httpbin.goldentooth.net the route asking for it is refused at the
door, naming the Service (one claim rule across Services, Ingresses and routes). Once the
Service gives the name up (its hostname annotation removed) and its records are gone, the
route is admitted, its Gateway accepts it, and the name's A record points at the Gateway's
address, its TXT naming the route. A route no Gateway accepted gets no record and a Warning
Event `DNSNoRecord` saying why. No gateway controller runs here: `devstack.gateways` writes
the Gateway's addresses and the route's acceptance as one does.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from devstack import gateways, kubectl

if TYPE_CHECKING:
    from devstack.demo import Demo

GATEWAY = "edge"
GATEWAY_IP = "10.4.11.3"
ROUTE = "httpbin"
STRAY = "stray"
STRAY_HOST = "stray.goldentooth.net"
HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"


def route_records(demo: Demo, hostname: str) -> dict[str, dict[str, Any]]:
    """The A and TXT record sets of `hostname` in the whole zone, by type."""
    from devstack import route53

    client = route53.client(demo.stack.route53.url if demo.stack.route53 else "")
    found: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=demo.zone_id):
        found.update({r["Type"]: r for r in page["ResourceRecordSets"]
                      if r["Name"] in (f"{hostname}.", f"a-{hostname}.")})
    return found


def gateway_step(demo: Demo, number: int) -> None:
    from devstack.demo import EXAMPLES, HOSTNAME, NAMESPACE, WAIT, say, show_command, wait_for

    say(f"Step {number}/{demo.steps}: {HOSTNAME} moves from its Service to an HTTPRoute on "
        f"Gateway {GATEWAY}, keeping its name")
    demo.kubectl("apply", "-f", str(EXAMPLES / "edge-gateway.yaml"))
    show_command("-n", NAMESPACE, "patch", "gateway", GATEWAY, "--subresource=status",
                 "--type=merge", "-p", "'{\"status\":{\"addresses\":[{\"type\":\"IPAddress\","
                 f"\"value\":\"{GATEWAY_IP}\"}}]}}}}'  # as its gateway controller does")
    gateways.assign(demo.kubeconfig, NAMESPACE, GATEWAY, [GATEWAY_IP])
    listed = demo.kubectl("-n", NAMESPACE, "get", "gateway", GATEWAY, "-o",
                          "custom-columns=NAME:.metadata.name,CLASS:.spec.gatewayClassName,"
                          "ADDRESS:.status.addresses[*].value")
    addressed = GATEWAY_IP in listed.stdout

    route_file = str(EXAMPLES / "httpbin-httproute.yaml")
    say(f"  the Service still holds {HOSTNAME}: an HTTPRoute asking for it")
    refused = demo.kubectl("apply", "-f", route_file, check=False)
    held = (refused.returncode != 0
            and f'spec.hostnames: "{HOSTNAME}" is already claimed by Service '
                f"{NAMESPACE}/httpbin" in refused.stderr)

    say("  the Service gives the name up (its hostname annotation removed); its records go")
    demo.kubectl("-n", NAMESPACE, "annotate", "service", "httpbin", f"{HOSTNAME_ANNOTATION}-")
    released = wait_for(lambda: not route_records(demo, HOSTNAME))
    released_at = time.monotonic()
    demo.print_records()

    # The webhook's claim index follows the Service through its own watch, a moment apart
    # from the reconciler's: wait until a server-side dry run (which the webhook reviews,
    # sideEffects: None) is admitted, so the apply shown is not refused by a stale index.
    wait_for(lambda: kubectl.run(demo.kubeconfig, "apply", "--dry-run=server", "-f",
                                 route_file, check=False).returncode == 0)
    admitted = demo.kubectl("apply", "-f", route_file, check=False)
    show_command("-n", NAMESPACE, "patch", "httproute", ROUTE, "--subresource=status",
                 "--type=merge", "-p", "...  # status.parents: Accepted by Gateway "
                 f"{NAMESPACE}/{GATEWAY}, as its gateway controller writes it")
    accepted_at = time.monotonic()
    gateways.accept(demo.kubeconfig, "HTTPRoute", NAMESPACE, ROUTE, [gateways.Parent(GATEWAY)])
    resource = f"external-dns/resource=httproute/{NAMESPACE}/{ROUTE}"

    def taken() -> bool:
        found = route_records(demo, HOSTNAME)
        txt = [r["Value"] for r in found.get("TXT", {}).get("ResourceRecords", [])]
        return (found.get("A", {}).get("ResourceRecords") == [{"Value": GATEWAY_IP}]
                and len(txt) == 1 and txt[0].endswith(f'{resource}"'))

    landed = wait_for(taken)
    landed_at = time.monotonic()
    demo.print_records()
    if landed is not None and released is not None:
        say(f"  the route's records appeared {landed_at - accepted_at:.2f}s after its "
            f"acceptance; the name was unpublished for {landed_at - released_at:.2f}s")

    say(f"  an HTTPRoute for {STRAY_HOST} that no Gateway has accepted gets no record, and is "
        "told why")
    show_command("apply", "-f", f"-  # HTTPRoute {NAMESPACE}/{STRAY}, hostname {STRAY_HOST}, "
                 f"parentRef {GATEWAY}")
    stray = kubectl.run(demo.kubeconfig, "apply", "-f", "-", check=False, input=json.dumps(
        gateways.route("HTTPRoute", NAMESPACE, STRAY, [gateways.Parent(GATEWAY)],
                       hostnames=[STRAY_HOST])))
    for line in (stray.stdout + stray.stderr).strip().splitlines():
        say(f"    {line}")
    reason = "no Gateway has accepted the HTTPRoute yet"

    def warned() -> bool:
        return reason in kubectl.run(
            demo.kubeconfig, "-n", NAMESPACE, "get", "events", "--field-selector",
            f"reason=DNSNoRecord,involvedObject.name={STRAY}", "-o",
            "jsonpath={.items[*].message}").stdout

    events = wait_for(warned)
    shown = demo.kubectl("-n", NAMESPACE, "get", "events", "--field-selector",
                         "reason=DNSNoRecord", "-o",
                         "custom-columns=TYPE:.type,REASON:.reason,"
                         "KIND:.involvedObject.kind,OBJECT:.involvedObject.name,"
                         "MESSAGE:.message")
    checks = {
        f"Gateway {GATEWAY} shows address {GATEWAY_IP}": addressed,
        "the route was refused naming the Service while it held the name": held,
        f"the Service's records went within {WAIT:.0f}s": released is not None,
        "the route was admitted once the Service gave the name up": admitted.returncode == 0,
        f"A {HOSTNAME} -> {GATEWAY_IP} and its TXT naming httproute/{NAMESPACE}/{ROUTE} "
        f"within {WAIT:.0f}s": landed is not None,
        f"{STRAY} got a Warning DNSNoRecord saying no Gateway accepted it": (
            events is not None and "Warning" in shown.stdout and reason in shown.stdout),
        f"{STRAY_HOST} has no record": not route_records(demo, STRAY_HOST),
    }
    failed = [claim for claim, ok in checks.items() if not ok]
    demo.step(number, "gateway route", not failed,
              f"refused while the Service held {HOSTNAME}; once it gave the name up, A "
              f"{HOSTNAME} -> {GATEWAY_IP} (Gateway {GATEWAY}) with its TXT naming "
              f"httproute/{NAMESPACE}/{ROUTE}; {STRAY} has no record and a Warning DNSNoRecord"
              if not failed else "not as described: " + "; ".join(f"NOT {c}" for c in failed))
