"""The webhook's index holds a route's claims as the reconciler counts them: the hosts the
route resolves to against the Gateways watched (`webhook.routewatch`, plugged into the
reconciler's own store, `dnsgate.routewatch`), re-resolved when a Gateway or a namespace's
labels change; the index is synced only once routes, Gateways and namespaces were each
listed. The list+watch seam is scripted here; the real apiserver's in
tests/admission/test_routes_kubectl.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from dnsgate import gateway as dnsgate_gateway
from dnsgate import objectkey
from dnsgate.gateway import GatewaySettings
from tests.admission.conftest import DOMAIN, HOSTNAME, SETTINGS, admission_review
from tests.reconcile.conftest import wait_for
from webhook import review, routewatch
from webhook.index import ClaimIndex
from webhook.routewatch import RouteWatch

NAME = f"shop.{DOMAIN}"
GROUP = "gateway.networking.k8s.io"


def gateway(hostname: str = f"*.{DOMAIN}", version: str = "1", *,
            allowed: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": "Gateway", "metadata": {"namespace": "gw", "name": "public",
                                            "resourceVersion": version},
            "spec": {"listeners": [{"name": "http", "protocol": "HTTP", "port": 80,
                                    "hostname": hostname,
                                    "allowedRoutes": allowed or {"namespaces": {"from": "All"}}}]},
            "status": {"addresses": [{"value": "10.0.0.9"}]}}


def route(hosts: list[str], accepted: bool = True, namespace: str = "shop") -> dict[str, Any]:
    ref = {"group": GROUP, "kind": "Gateway", "namespace": "gw", "name": "public"}
    parents = [{"parentRef": ref, "conditions": [{"type": "Accepted", "status": "True"}]}]
    return {"metadata": {"namespace": namespace, "name": "web", "resourceVersion": "1",
                         "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"parentRefs": [ref], "hostnames": hosts},
            "status": {"parents": parents if accepted else []}}


def namespace(name: str, labels: dict[str, str] | None = None, version: str = "1"
              ) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels or {}, "resourceVersion": version}}


class Scripted:
    """One list, then the watch events fed through `send`, until the watch is stopped."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.events: list[dict[str, Any]] = []
        self.wake = threading.Event()

    def list(self) -> tuple[list[dict[str, Any]], str]:
        return list(self.items), "1"

    def send(self, kind: str, obj: dict[str, Any]) -> None:
        self.events.append({"type": kind, "object": obj})
        self.wake.set()

    def watch(self, resource_version: str, stop: threading.Event) -> Iterable[dict[str, Any]]:
        while not stop.is_set():
            while self.events:
                yield self.events.pop(0)
            self.wake.wait(0.05)
            self.wake.clear()


class Watched:
    def __init__(self, routes: list[dict[str, Any]], gateways: list[dict[str, Any]],
                 namespaces: list[dict[str, Any]] | None = None) -> None:
        self.routes, self.gateways = Scripted(routes), Scripted(gateways)
        self.namespaces = Scripted(namespaces or [namespace("shop")])
        self.index = ClaimIndex(SETTINGS.domains, services=False, routes=[objectkey.HTTPROUTE],
                                also_listed=routewatch.WAITS_FOR)
        self.watch = RouteWatch(self.index, [objectkey.HTTPROUTE], GatewaySettings(),
                                apis={"httproute": self.routes, "gateway": self.gateways,
                                      "namespace": self.namespaces})

    def claimants(self, name: str = NAME) -> list[str]:
        return [claim.service for claim in self.index.claims_on(name)]


@pytest.fixture
def started() -> Iterator[list[Watched]]:
    made: list[Watched] = []
    yield made
    for watched in made:
        watched.watch.stop()


def start(started: list[Watched], *args: Any) -> Watched:
    watched = Watched(*args)
    started.append(watched)
    watched.watch.start()
    assert watched.index.wait_synced(5)
    return watched


def test_an_accepted_route_claims_its_resolved_host_and_a_service_cannot_take_it(
        started: list[Watched]) -> None:
    watched = start(started, [route([NAME])], [gateway()])

    verdict = review.validate(admission_review({HOSTNAME: NAME})["request"], SETTINGS,
                              watched.index)

    assert watched.claimants() == ["httproute/shop/web"]
    assert not verdict.allowed
    assert f'"{NAME}" is already claimed by HTTPRoute shop/web' in verdict.message


@pytest.mark.parametrize(("routes", "gateways"), [
    ([route([NAME], accepted=False)], [gateway()]),
    ([route([NAME])], []),
    ([route([NAME])], [gateway(hostname=f"other.{DOMAIN}")]),
    ([route([NAME], namespace="tenant")], [gateway(allowed={"namespaces": {"from": "Same"}})]),
], ids=["not-accepted", "no-gateway", "no-listener-matches", "namespace-not-allowed"])
def test_a_route_no_gateway_publishes_claims_nothing(
        started: list[Watched], routes: list[dict[str, Any]],
        gateways: list[dict[str, Any]]) -> None:
    watched = start(started, routes, gateways, [namespace("shop"), namespace("tenant")])

    assert watched.claimants() == []


def test_a_gateway_change_moves_the_routes_claims(started: list[Watched]) -> None:
    watched = start(started, [route([NAME, f"api.{DOMAIN}"])], [gateway(NAME)])
    assert watched.claimants(f"api.{DOMAIN}") == []

    watched.gateways.send("MODIFIED", gateway(f"*.{DOMAIN}", version="2"))
    wait_for(lambda: watched.claimants(f"api.{DOMAIN}"), timeout=5)
    watched.gateways.send("DELETED", gateway(f"*.{DOMAIN}", version="3"))

    assert wait_for(lambda: not watched.claimants(), timeout=5)
    assert watched.claimants(f"api.{DOMAIN}") == []


def test_a_namespace_label_change_moves_the_routes_claims(started: list[Watched]) -> None:
    selector = {"namespaces": {"from": "Selector",
                               "selector": {"matchLabels": {"dns": "public"}}}}
    watched = start(started, [route([NAME])], [gateway(allowed=selector)])
    assert watched.claimants() == []

    watched.namespaces.send("MODIFIED", namespace("shop", {"dns": "public"}, version="2"))

    assert wait_for(lambda: watched.claimants(), timeout=5) == ["httproute/shop/web"]


def test_a_route_event_updates_its_claims(started: list[Watched]) -> None:
    watched = start(started, [route([NAME])], [gateway()])

    moved = route([f"api.{DOMAIN}"])
    moved["metadata"]["resourceVersion"] = "2"
    watched.routes.send("MODIFIED", moved)

    assert wait_for(lambda: watched.claimants(f"api.{DOMAIN}"), timeout=5)
    assert watched.claimants() == []


def test_the_index_is_synced_only_once_gateways_and_namespaces_are_listed() -> None:
    index = ClaimIndex(SETTINGS.domains, services=False, routes=[objectkey.HTTPROUTE],
                       also_listed=routewatch.WAITS_FOR)

    index.replace([], objectkey.HTTPROUTE)
    index.listed(routewatch.GATEWAYS)
    before = index.synced
    index.listed(routewatch.NAMESPACES)

    assert (before, index.synced) == (False, True)


def test_a_relist_after_410_gone_drops_a_route_whose_deletion_was_missed(
        started: list[Watched]) -> None:
    watched = start(started, [route([NAME])], [gateway()])
    assert watched.claimants() == ["httproute/shop/web"]

    watched.routes.items = []
    watched.routes.send("ERROR", {"code": 410, "message": "too old resource version"})

    assert wait_for(lambda: not watched.claimants(), timeout=5)



def test_a_gateway_status_write_that_changes_no_listener_or_address_resolves_nothing(
        started: list[Watched], monkeypatch: pytest.MonkeyPatch) -> None:
    """A gateway controller writes its Gateway's status each time a route attaches (the
    listeners' attachedRoutes, conditions): with 200 routes on it, re-resolving them all
    at each such write costs 200 x 200 resolutions to attach them, in every worker. Only a
    change to what routes resolve against (listeners, addresses, labels) re-resolves."""
    count = 200
    routes = []
    for i in range(count):
        made = route([f"r{i}.{DOMAIN}"])
        made["metadata"]["name"] = f"web{i}"
        routes.append(made)
    resolutions: list[int] = []
    resolve = dnsgate_gateway.with_resolution
    monkeypatch.setattr(dnsgate_gateway, "with_resolution",
                        lambda *args, **kwargs: resolutions.append(1) or resolve(*args, **kwargs))
    watched = start(started, routes, [gateway()])
    settled = [-1]

    def quiet() -> bool:  # the first lists' own resolutions are over
        seen, settled[0] = settled[0], len(resolutions)
        time.sleep(0.2)
        return seen == len(resolutions)
    wait_for(quiet, timeout=10)
    resolutions.clear()

    status_write = gateway(version="2")
    status_write["status"]["conditions"] = [{"type": "Programmed", "status": "True"}]
    status_write["status"]["listeners"] = [{"name": "http", "attachedRoutes": count}]
    watched.gateways.send("MODIFIED", status_write)
    # Then a change that does move the claims: the same watch delivers it after the first.
    watched.gateways.send("MODIFIED", gateway(f"r0.{DOMAIN}", version="3"))
    wait_for(lambda: not any(watched.claimants(f"r{i}.{DOMAIN}") for i in range(1, count)),
             timeout=10)

    assert len(resolutions) == count
