"""The reconciler under the faults production brings: two replicas with one leader, a leader
SIGKILLed, Route53 throttling, 5xx, connection resets and a poisoned record, and a SIGKILL in
the middle of a change batch. Real processes, the real apiserver, Route53 behind the fault
proxy; metrics and Service conditions are asserted, not only exposed."""

from __future__ import annotations

import json
import re
import signal
import time

import pytest

from devstack.r53proxy import Faults
from reconciler.status import CONDITION_TYPE
from tests.production.conftest import OWNER, wait_for, zone

pytestmark = pytest.mark.e2e

ELECTION = ("--lease-duration=4", "--renew-deadline=3", "--retry-period=0.5")


def _txt(namespace: str, name: str) -> str:
    return (f'"heritage=external-dns,external-dns/owner={OWNER},'
            f'external-dns/resource=service/{namespace}/{name}"')


def test_two_replicas_one_writes_and_the_standby_takes_over_when_it_is_killed(
    start_reconciler, services, route53, zone_id: str, namespace: str
) -> None:
    replicas = [start_reconciler(f"--leader-election-namespace={namespace}", *ELECTION)
                for _ in range(2)]
    services({"web-1": "web-1.goldentooth.net"})
    wait_for(lambda: ("web-1.goldentooth.net", "A") in zone(route53, zone_id), 20, "web-1 A")
    wait_for(lambda: sum(r.sample("dnsgate_reconciler_leader") for r in replicas) == 1, 10,
             "exactly one leader gauge at 1")
    leader = next(r for r in replicas if r.sample("dnsgate_reconciler_leader") == 1)
    standby = next(r for r in replicas if r is not leader)

    assert leader.sample("dnsgate_route53_requests_total",
                         operation="ChangeResourceRecordSets", outcome="ok") >= 1
    # Not even a listing (the start-up doctor's probes are not counted as requests).
    assert standby.sample("dnsgate_route53_requests_total") == 0
    assert leader.sample("dnsgate_reconciler_changes_total", action="CREATE") == 2

    leader.child.process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: standby.sample("dnsgate_reconciler_leader") == 1, 15, "standby leads")
    took_over = time.monotonic() - killed_at
    services({"web-2": "web-2.goldentooth.net"}, first_ip=2)
    wait_for(lambda: ("a-web-2.goldentooth.net", "TXT") in zone(route53, zone_id), 20,
             "web-2 records through the new leader")

    assert took_over <= 4 + 2 * 0.5 + 1  # lease duration, two retry periods, a scrape
    records = zone(route53, zone_id)
    assert {key for key in records if "web-" in key[0]} == {
        ("web-1.goldentooth.net", "A"), ("a-web-1.goldentooth.net", "TXT"),
        ("web-2.goldentooth.net", "A"), ("a-web-2.goldentooth.net", "TXT")}
    # The new leader adopted web-1's records as they were and created only web-2's: no
    # change applied twice, none lost.
    assert standby.sample("dnsgate_reconciler_changes_total", action="CREATE") == 2
    assert standby.sample("dnsgate_reconciler_changes_total", action="UPSERT") == 0


def test_faults_good_records_converge_and_the_poisoned_one_is_isolated_and_reported(
    start_reconciler, services, proxy, route53, zone_id: str, namespace: str, kubectl
) -> None:
    proxy.configure(Faults(throttle=0.3, unavailable=0.1, reset=0.05,
                           poison=("poisoned.goldentooth.net",), seed=42))
    good = {f"app-{n}": f"app-{n}.goldentooth.net" for n in range(20)}
    services({**good, "poisoned": "poisoned.goldentooth.net"})
    reconciler = start_reconciler()

    wait_for(lambda: all((h, "A") in zone(route53, zone_id) for h in good.values()), 90,
             "every good record")

    def poisoned_condition() -> dict | None:  # type: ignore[type-arg]
        service = json.loads(kubectl("-n", namespace, "get", "service", "poisoned", "-o",
                                     "json").stdout)
        return next((c for c in service.get("status", {}).get("conditions", [])
                     if c["type"] == CONDITION_TYPE), None)

    condition = wait_for(poisoned_condition, 30, "a DNSReady condition on the poisoned one")
    records = zone(route53, zone_id)
    for name, hostname in good.items():
        assert records[(f"a-{hostname}", "TXT")]["ResourceRecords"][0]["Value"] == _txt(
            namespace, name)
    assert ("poisoned.goldentooth.net", "A") not in records
    assert condition["status"] == "False" and condition["reason"] == "DNSSyncFailed"
    events = json.loads(kubectl("-n", namespace, "get", "events", "--field-selector",
                                "involvedObject.name=poisoned", "-o", "json").stdout)
    assert "DNSSyncFailed" in {e["reason"] for e in events["items"]}
    # Seed 42 spoils calls with every kind of fault in each window of 8 of the first 14
    # calls, however few calls the sync needs (the start-up doctor's probes take some).
    # The poisoned record's retries keep calling, so the counters are waited for.
    for outcome in ("throttled", "server_error", "rejected"):
        wait_for(lambda outcome=outcome: reconciler.sample("dnsgate_route53_requests_total",
                                                           outcome=outcome) > 0,
                 30, f"a {outcome} call")
    assert reconciler.sample("dnsgate_reconciler_errors_total", kind="rejected_change") > 0
    # Refused again later, each time after a longer wait: backoff, not a hot loop.
    wait_for(lambda: len(re.findall(r"poisoned\.goldentooth\.net.*retry \d+ in", reconciler.log()))
             >= 3, 30, "three retries of the poisoned record")
    delays = [float(d) for d in re.findall(
        r"poisoned\.goldentooth\.net.*retry \d+ in (\d+)s", reconciler.log())]
    assert delays[:3] == sorted(delays[:3]) and delays[2] > delays[0]
    app_0 = json.loads(kubectl("-n", namespace, "get", "service", "app-0", "-o", "json").stdout)
    assert {c["type"]: c["status"] for c in app_0["status"]["conditions"]}[CONDITION_TYPE] == "True"


def test_sigkill_mid_batch_then_restart_converges_without_duplicates_orphans_or_foreign_harm(
    start_reconciler, services, proxy, route53, zone_id: str, namespace: str
) -> None:
    foreign = [
        {"Name": "other.goldentooth.net.", "Type": "A", "TTL": 300,
         "ResourceRecords": [{"Value": "192.0.2.10"}]},
        {"Name": "a-other.goldentooth.net.", "Type": "TXT", "TTL": 300,
         "ResourceRecords": [
             {"Value": '"heritage=external-dns,external-dns/owner=other-cluster"'}]},
        {"Name": "manual.goldentooth.net.", "Type": "A", "TTL": 300,
         "ResourceRecords": [{"Value": "192.0.2.11"}]},
    ]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": record} for record in foreign]})
    hostnames = {f"svc-{n}": f"svc-{n}.goldentooth.net" for n in range(150)}
    services(hostnames)

    first = start_reconciler(wait_ready=False)
    # The first ChangeResourceRecordSets is the start-up doctor's probe, refused by design.
    wait_for(lambda: proxy.counts().get("ChangeResourceRecordSets", 0) >= 2, 60,
             "the first change batch on its way")
    first.child.process.send_signal(signal.SIGKILL)
    first.child.process.wait()
    landed_before_restart = len(zone(route53, zone_id))
    second = start_reconciler()
    wait_for(lambda: all((f"a-{h}", "TXT") in zone(route53, zone_id)
                         for h in hostnames.values()), 60, "every record after the restart")

    records = zone(route53, zone_id)
    ours = {key for key in records if key[0].startswith(("svc-", "a-svc-"))}
    assert ours == {(h, "A") for h in hostnames.values()} | {
        (f"a-{h}", "TXT") for h in hostnames.values()}  # no orphan A, no orphan TXT
    for record in foreign:
        assert records[(record["Name"].rstrip("."), record["Type"])] == record  # untouched
    assert all(len(records[(h, "A")]["ResourceRecords"]) == 1 for h in hostnames.values())
    assert second.sample("dnsgate_reconciler_changes_total", action="DELETE") == 0
    assert landed_before_restart >= len(foreign)
