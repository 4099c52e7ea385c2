"""The webhook's index follows the shared list+watch loop (`dnsgate.watch`, tested in
tests/unit/test_watch.py): claims appear with ADDED, move with MODIFIED, go with DELETED, and a
re-list after 410 Gone forgets a Service whose DELETED event was never delivered."""

import threading
from collections.abc import Iterable
from typing import Any

from dnsgate.domains import DomainFilter
from dnsgate.watch import Gone
from webhook.index import ClaimIndex
from webhook.watch import ServiceWatcher

A = "external-dns.alpha.kubernetes.io/"


def service(namespace: str, hostname: str, version: str) -> dict[str, Any]:
    return {"kind": "Service", "apiVersion": "v1", "metadata": {
        "namespace": namespace, "name": "httpbin", "resourceVersion": version,
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "annotations": {A + "hostname": hostname}}, "spec": {"type": "LoadBalancer"}}


class ScriptedServices:
    """The ServiceAPI seam: scripted lists and watches, then the watcher is stopped."""

    def __init__(self, lists: list[list[dict[str, Any]]],
                 watches: list[list[dict[str, Any]] | type[Exception]]) -> None:
        self.lists, self.watches = lists, watches
        self.index_after_each_watch: list[list[str]] = []
        self.watcher: ServiceWatcher | None = None

    def list(self) -> tuple[list[dict[str, Any]], str]:
        return self.lists.pop(0), "10"

    def watch(self, resource_version: str, stop: threading.Event) -> Iterable[dict[str, Any]]:
        if not self.watches:
            assert self.watcher is not None
            self.watcher.stop()
            return
        script = self.watches.pop(0)
        if isinstance(script, type):
            raise script()
        yield from script


def _claimants(index: ClaimIndex, *names: str) -> dict[str, list[str]]:
    return {name: [c.service for c in index.claims_on(name)] for name in names}


def test_index_follows_events_and_a_relist_after_gone_forgets_missed_deletes() -> None:
    index = ClaimIndex(DomainFilter.of(["goldentooth.net"]))
    services = ScriptedServices(
        lists=[[service("a", "a.goldentooth.net", "9"), service("d", "d.goldentooth.net", "9")],
               [service("a", "a.goldentooth.net", "9"), service("b", "b2.goldentooth.net", "12")]],
        watches=[
            [{"type": "ADDED", "object": service("b", "b.goldentooth.net", "11")},
             {"type": "MODIFIED", "object": service("b", "b2.goldentooth.net", "12")},
             {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "15"}}}],
            Gone,  # meanwhile d was deleted, and its DELETED event is lost
            [{"type": "DELETED", "object": service("a", "a.goldentooth.net", "21")}],
        ])
    watcher = ServiceWatcher(index, services)
    services.watcher = watcher

    watcher.run()

    assert index.synced
    assert _claimants(index, "a.goldentooth.net", "b.goldentooth.net", "b2.goldentooth.net",
                      "d.goldentooth.net") == {
        "a.goldentooth.net": [], "b.goldentooth.net": [],
        "b2.goldentooth.net": ["service/b/httpbin"], "d.goldentooth.net": []}


def test_a_relist_freezes_the_loaded_heap_so_full_collections_skip_the_claims() -> None:
    import gc

    index = ClaimIndex(DomainFilter.of(["goldentooth.net"]))
    services = ScriptedServices(
        lists=[[service(f"n{i}", f"s{i}.goldentooth.net", "9") for i in range(50)]],
        watches=[])
    watcher = ServiceWatcher(index, services)
    services.watcher = watcher
    gc.unfreeze()
    try:
        watcher.run()

        claim = index.claims_on("s7.goldentooth.net")
        assert [c.service for c in claim] == ["service/n7/httpbin"]
        assert gc.get_freeze_count() > 0
        # The claims are in the permanent generation: no collection walks them.
        assert gc.is_tracked(claim[0])
        assert not any(o is claim[0] for o in gc.get_objects())
    finally:
        gc.unfreeze()
