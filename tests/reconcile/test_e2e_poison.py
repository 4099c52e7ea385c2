"""One change Route53 refuses among 500 good ones: the 500 land in the fewest calls, the
refused one is reported and retried with backoff, and lands once its obstacle is gone.

The poison is real, not injected: an ordinary TXT record (no heritage) already sits at
`a-poison.goldentooth.net`, the name dnsgate's ownership TXT needs. dnsgate never overwrites
a TXT that is not its own, so it sends CREATE, which Route53 refuses with InvalidChangeBatch,
failing whatever batch holds it. moto accepts such a CREATE, so Route53's rule is enforced by
the Route53 proxy in front of it (`strict`, devstack/r53proxy.py).
"""

from __future__ import annotations

import math
import time

import pytest

from tests.reconcile.conftest import ALPHA, wait_for, zone_records

pytestmark = pytest.mark.e2e

GOOD = 500
BLOCKER = {"Name": "a-poison.goldentooth.net.", "Type": "TXT", "TTL": 300,
           "ResourceRecords": [{"Value": '"site-verification=abc"'}]}


def test_one_poisoned_change_among_500_good_ones(
        namespace: str, route53, zone_id: str, reconciler, strict_route53,
        create_services) -> None:
    services = {f"s{i:03d}": {ALPHA + "hostname": f"s{i:03d}.goldentooth.net",
                              ALPHA + "target": f"10.5.{i // 250}.{i % 250 + 1}"}
                for i in range(GOOD)}
    services["poison"] = {ALPHA + "hostname": "poison.goldentooth.net",
                          ALPHA + "target": "10.6.0.1"}
    started = time.monotonic()
    create_services(services)
    print(f"created {len(services)} Services in {time.monotonic() - started:.1f}s")
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "CREATE", "ResourceRecordSet": BLOCKER}]})

    started = time.monotonic()
    running = reconciler(client_=strict_route53.client)
    wait_for(lambda: running.outcome(f"service/{namespace}/poison"), timeout=60)
    first_sync = time.monotonic() - started

    records = zone_records(route53, zone_id)
    good = [k for k in records if k[0].startswith("s") and k[1] == "A"]
    assert len(good) == GOOD
    assert ("poison.goldentooth.net", "A", "") not in records
    poison = running.outcome(f"service/{namespace}/poison")
    assert poison.status == "failed"
    assert "already exists" in poison.message and "a-poison.goldentooth.net" in poison.message
    assert all(running.outcome(f"service/{namespace}/s{i:03d}").status == "synced"
               for i in range(GOOD))
    # The zone, then the refused group's two names read again (`poison` and `a-poison`):
    # Route53 held what the cache said, so the group is not sent again in this sync.
    assert running.client.calls["list_resource_record_sets"] == 1 + 2
    # 1002 changes: ceil(1002/1000) calls, then bisection of the refused one (2 per level).
    bisect_bound = math.ceil((GOOD + 1) * 2 / 1000) + 2 * math.ceil(math.log2(GOOD))
    assert running.client.calls["change_resource_record_sets"] <= bisect_bound
    print(f"first sync {first_sync:.1f}s, calls {dict(running.client.calls)}")

    calls = running.client.calls["change_resource_record_sets"]
    wait_for(lambda: running.client.calls["change_resource_record_sets"] >= calls + 2,
             timeout=10)  # retried (after 1 s, then 2 s), each a single-group call
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "DELETE", "ResourceRecordSet": BLOCKER}]})

    wait_for(lambda: ("poison.goldentooth.net", "A", "") in zone_records(route53, zone_id),
             timeout=20)
    wait_for(lambda: running.outcome(f"service/{namespace}/poison").status == "synced", timeout=5)
