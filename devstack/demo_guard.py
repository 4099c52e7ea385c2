"""The demo's mass-delete step (docs/deletes.md): a namespace's 40 Services deleted at once,
their records held past --max-deletes and reported (Event, /readyz), then let go by the
confirmation the report names."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from devstack import kubectl, metallb

if TYPE_CHECKING:
    from devstack.demo import Demo

FLEET = "fleet"
COUNT = 40  # more than --max-deletes=20, and than a quarter of what the demo owns
CONFIRMATION = ("dnsgate", "dnsgate-confirm-deletes")  # --confirm-deletes' default


def readyz(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return str(answer.read().decode()).strip()
    except urllib.error.HTTPError as exc:
        return str(exc.read().decode()).strip()
    except OSError as exc:
        return str(exc)


def fleet_records(demo: Demo) -> list[dict[str, Any]]:
    from devstack import route53

    client = route53.client(demo.stack.route53.url if demo.stack.route53 else "")
    found = []
    for page in client.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=demo.zone_id):
        found += [r for r in page["ResourceRecordSets"]
                  if r["Type"] == "A" and r["Name"].startswith("app")]
    return found


def mass_delete_step(demo: Demo, number: int, health: int) -> None:
    from devstack.demo import say, show_command, wait_for

    say(f"Step {number}/{demo.steps}: {COUNT} Services of namespace {FLEET} deleted at once: "
        "the deletes past --max-deletes are held until confirmed")
    metallb.ensure_namespace(demo.kubeconfig, FLEET)
    manifests = [metallb.service_manifest(
        FLEET, f"app{i}", {"external-dns.alpha.kubernetes.io/hostname": f"app{i}.goldentooth.net"},
        spec={"externalIPs": [f"10.4.13.{i + 1}"]}) for i in range(COUNT)]
    kubectl.run(demo.kubeconfig, "apply", "-f", "-",
                input=json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}))
    say(f"  {COUNT} Services app0..app{COUNT - 1} applied in namespace {FLEET}")
    published = wait_for(lambda: len(fleet_records(demo)) == COUNT)
    say(f"  their {len(fleet_records(demo))} A records are in Route53")
    show_command("-n", FLEET, "delete", "services", "--all", "--wait=false")
    deleted = kubectl.run(demo.kubeconfig, "-n", FLEET, "delete", "services", "--all",
                          "--wait=false").stdout.count(" deleted")
    say(f"    {deleted} Services deleted")
    # Held once every delete is planned: each sync of the burst that adds to the held plan
    # renames it, and a confirmation names one plan.
    held = wait_for(lambda: f"holding {len(fleet_records(demo))} deletes" in readyz(health))
    left = len(fleet_records(demo))
    show_command("get", "--raw", "/readyz  # the reconciler's health port")
    say(f"    {readyz(health)}")
    namespace, name = CONFIRMATION
    events = wait_for(lambda: "DNSDeletesHeld" in kubectl.run(
        demo.kubeconfig, "-n", namespace, "get", "events").stdout)
    demo.kubectl("-n", namespace, "get", "events", "--field-selector", "reason=DNSDeletesHeld",
                 "-o", "custom-columns=TYPE:.type,REASON:.reason,OBJECT:.involvedObject.name")
    say(f"  {COUNT - left} went within the threshold; {left} A records are still in Route53")
    body = readyz(health)
    plan = body.split("to let held plan ", 1)[1].split()[0] if "held plan" in body else ""
    demo.kubectl("-n", namespace, "create", "configmap", name, f"--from-literal=plan={plan}")
    gone = wait_for(lambda: not fleet_records(demo))
    say(f"  after the confirmation: {len(fleet_records(demo))} A records left; /readyz: "
        f"{readyz(health)}")
    demo.step(number, "mass delete held", published is not None and held is not None
              and events is not None and left > 0 and gone is not None,
              f"{left} deletes held and reported, released by the confirmation of plan {plan}"
              if gone is not None else "the held deletes did not go after the confirmation")
