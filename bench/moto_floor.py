"""The rig's own floor: how long moto's Route53 takes to answer a cold start's change calls
when nothing else is asked of it, and how that grows with the zone.

A cold start of N Services is 2N record sets (an A and its ownership TXT each) sent in as
few calls as Route53's limits allow (1,000 changes and 32,000 characters of values per
call). This scenario sends exactly those calls to a fresh zone straight from one boto3
client, back to back, with no controller, no pacing and no polling, and times each answer.
Their sum is the shortest cold start any controller could show on this rig; a controller's
measured cold start (the `cold` scenario) can be read against it. Real Route53 answers a
change call in constant time whatever the zone holds, so the growth shown here is moto's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from bench import cluster as cluster_mod
from bench.cluster import Cluster
from bench.controllers import OWNER, Controller
from bench.rig import Rig
from bench.scale import Scale
from bench.table import Table, percentile, secs
from reconciler import registry
from reconciler.settings import RegistrySettings

MOST_CHANGES = 1000
MOST_CHARACTERS = 32000


def _record_sets(services: int) -> Iterator[dict[str, Any]]:
    """What a cold start of `services` Services writes: an A record and its ownership TXT,
    named and valued by the reconciler's own registry."""
    settings = RegistrySettings(owner_id=OWNER)
    namespace = "floor"
    for index in range(services):
        name = f"svc-{index}"
        host = cluster_mod.hostname(namespace, name)
        owner = registry.encode({"owner": OWNER, "resource": f"service/{namespace}/{name}"})
        yield {"Name": host, "Type": "A", "TTL": 60,
               "ResourceRecords": [{"Value": cluster_mod.address(index)}]}
        yield {"Name": registry.txt_name(host, "A", settings), "Type": "TXT", "TTL": 300,
               "ResourceRecords": [{"Value": owner}]}


def batches(record_sets: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """CREATE changes cut at Route53's limits: 1,000 changes or 32,000 value characters."""
    batch: list[dict[str, Any]] = []
    characters = 0
    for record_set in record_sets:
        size = sum(len(r["Value"]) for r in record_set["ResourceRecords"])
        if batch and (len(batch) == MOST_CHANGES or characters + size > MOST_CHARACTERS):
            yield batch
            batch, characters = [], 0
        batch.append({"Action": "CREATE", "ResourceRecordSet": record_set})
        characters += size
    if batch:
        yield batch


def run(rig: Rig, kube: Cluster, scale: Scale, contenders: Sequence[Controller]) -> list[Table]:
    del kube, contenders  # moto alone
    services = scale.cold_services
    rig.progress(f"moto floor: {2 * services} record sets in calls at Route53's limits")
    zone_id = rig.fresh_zone()
    client = rig.zone_client()
    took: list[float] = []
    sizes: list[int] = []
    for batch in batches(_record_sets(services)):
        sizes.append(len(batch))
        started = time.monotonic()
        client.change_resource_record_sets(HostedZoneId=zone_id,
                                           ChangeBatch={"Changes": batch})
        took.append(time.monotonic() - started)
    started = time.monotonic()
    client.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="1")
    one_page = time.monotonic() - started
    tenth = max(1, len(took) // 10)
    rows = [(
        str(services), str(2 * services), str(len(took)), secs(sum(took)),
        secs(sum(took[:tenth]) / tenth), secs(sum(took[-tenth:]) / tenth),
        secs(percentile(took, 0.5)), secs(one_page),
    )]
    return [Table(
        title=f"Rig floor: moto answering a cold start's change calls ({services} Services)",
        columns=("Services", "record sets", "change calls", "moto's time, all calls",
                 "per call, first tenth", "per call, last tenth", "per call, median",
                 "one-record listing of the full zone"),
        rows=tuple(rows),
        notes=("one boto3 client sends the calls back to back to a fresh zone, no pacing, no "
               "controller, no polling: the least time any controller's cold start can take "
               "on this rig",
               f"calls cut at {MOST_CHANGES} changes or {MOST_CHARACTERS} characters of values "
               "(Route53's limits), as a controller at the floor would send them"),
        raw={"services": services, "seconds": took, "changes": sizes,
             "one_record_listing": one_page},
    )]
