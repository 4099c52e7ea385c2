"""ServiceStore: list, then watch from the list's resourceVersion; bookmarks move the
version on; 410 Gone re-lists and reports what changed meanwhile (fake ServiceAPI seam)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from dnsgate.watch import Gone, ServiceStore, slim, without_own_writes


def svc(name: str, version: str, ip: str = "10.0.0.1") -> dict[str, Any]:
    return {"metadata": {"namespace": "apps", "name": name, "resourceVersion": version},
            "status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}


class FakeAPI:
    """Scripted lists and watches; records the resourceVersion each watch starts from."""

    def __init__(self, lists: list[tuple[list[dict[str, Any]], str]],
                 watches: list[list[dict[str, Any]] | type[Exception]],
                 stop: threading.Event) -> None:
        self.lists, self.watches, self.stop = lists, watches, stop
        self.watched_from: list[str] = []

    def list(self) -> tuple[list[dict[str, Any]], str]:
        if len(self.lists) == 1:
            return self.lists[0]
        return self.lists.pop(0)

    def watch(self, resource_version: str, stop: threading.Event) -> Iterable[dict[str, Any]]:
        self.watched_from.append(resource_version)
        if not self.watches:
            self.stop.set()
            return
        script = self.watches.pop(0)
        if isinstance(script, type):
            raise script()
        yield from script


def test_watch_follows_list_bookmarks_and_relists_on_gone() -> None:
    stop = threading.Event()
    api = FakeAPI(
        lists=[([svc("a", "1")], "10"), ([svc("a", "1"), svc("c", "30")], "30"),
               ([svc("a", "1"), svc("c", "30")], "30")],
        watches=[
            [{"type": "ADDED", "object": svc("b", "11")},
             {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "20"}}}],
            [{"type": "MODIFIED", "object": svc("b", "21", ip="10.0.0.2")},
             {"type": "ERROR", "object": {"code": 410, "message": "too old"}}],
            Gone,
            [{"type": "DELETED", "object": svc("a", "31")}],
        ],
        stop=stop)
    changes: list[set[str]] = []
    store = ServiceStore(api, changes.append)

    store.run(stop)

    assert api.watched_from == ["10", "20", "30", "30", "31"]
    a, b, c = "service/apps/a", "service/apps/b", "service/apps/c"
    assert changes == [{a}, {b}, {b}, {b, c}, {a}]
    assert [s["metadata"]["name"] for s in store.snapshot()] == ["c"]
    assert store.relists == 3


def test_stored_services_keep_only_what_dnsgate_reads() -> None:
    from dnsgate.watch import LAST_APPLIED, slim

    hostname = "external-dns.alpha.kubernetes.io/hostname"
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "apps", "uid": "u-1",
                            "resourceVersion": "7", "creationTimestamp": "2026-01-01T00:00:00Z",
                            "managedFields": [{"manager": "kubectl"}], "labels": {"a": "b"},
                            "annotations": {LAST_APPLIED: "{...}", hostname: "web.example.org"}},
               "spec": {"type": "LoadBalancer", "externalIPs": ["192.0.2.1"],
                        "ports": [{"port": 80}], "clusterIP": "10.96.0.9", "selector": {}},
               "status": {"loadBalancer": {"ingress": [{"ip": "10.4.11.1"}]},
                          "conditions": [{"type": "dnsgate.io/DNSReady"}]}}

    slimmed = slim(service)

    assert slimmed == {
        "metadata": {"name": "web", "namespace": "apps", "uid": "u-1", "resourceVersion": "7",
                     "creationTimestamp": "2026-01-01T00:00:00Z",
                     "annotations": {hostname: "web.example.org"}},
        "spec": {"type": "LoadBalancer", "externalIPs": ["192.0.2.1"], "clusterIP": "10.96.0.9"},
        "status": service["status"]}
    assert LAST_APPLIED in service["metadata"]["annotations"]  # the input is not changed


def test_an_ingress_store_keys_listed_and_watched_ingresses_alike() -> None:
    """List items carry no kind; the copy the store keeps is marked before it is keyed, so
    a listed Ingress and its later watch event are one entry, "ingress/<ns>/<name>"."""
    from dnsgate import ingress

    def ing(version: str, host: str) -> dict[str, Any]:
        return {"metadata": {"namespace": "apps", "name": "web", "resourceVersion": version},
                "spec": {"rules": [{"host": host}]}}

    stop = threading.Event()
    api = FakeAPI(lists=[([ing("1", "a.goldentooth.net")], "1")],
                  watches=[[{"type": "MODIFIED",
                             "object": {**ing("2", "b.goldentooth.net"), "kind": "Ingress"}}]],
                  stop=stop)
    changes: list[set[str]] = []
    store = ServiceStore(api, changes.append, kept=ingress.slim)

    store.run(stop)

    assert changes == [{"ingress/apps/web"}, {"ingress/apps/web"}]
    assert [obj["spec"]["rules"] for obj in store.snapshot()] == [[{"host": "b.goldentooth.net"}]]


def _conditions(service: dict[str, Any], version: str) -> dict[str, Any]:
    return {**service, "metadata": {**service["metadata"], "resourceVersion": version},
            "status": {**service["status"],
                       "conditions": [{"type": "DNSReady", "status": "True"}]}}


def test_a_reconciler_store_is_not_woken_by_its_own_status_writes() -> None:
    """After a sync dnsgate writes each Service's conditions; the watch echoes every write.
    The reconciler's store keeps the echo (the reporter reads it) without a sync; any other
    change still wakes it. The webhook's store (default trigger) sees every change."""
    stop = threading.Event()
    web = svc("web", "1")
    echo = _conditions(web, "2")
    moved = {**echo, "status": {**echo["status"],
                                "loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}}}
    events = [{"type": "MODIFIED", "object": echo}, {"type": "MODIFIED", "object": moved}]
    key = "service/apps/web"
    for trigger, expected in ((without_own_writes, [{key}, {key}]),
                              (None, [{key}, {key}, {key}])):
        stop.clear()
        woken: list[set[str]] = []
        store = ServiceStore(FakeAPI([([web], "1")], [list(events)], stop), woken.append,
                             trigger=trigger)
        store.run(stop)
        assert woken == expected, trigger
        assert store.get(key) == slim(moved)
