"""The route stores: each route handed out resolved, and a change notifying what it touches
(a route its own key; a Gateway the routes naming it; a Namespace its routes)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from dnsgate import gateway, routewatch
from dnsgate.gateway import GatewaySettings
from tests.unit.test_gateway import a_gateway, a_route, listener


class Listed:
    """A ServiceAPI whose list is whatever the test put in it; its watch never yields."""

    def __init__(self, *items: dict[str, Any]) -> None:
        self.items = list(items)

    def list(self) -> tuple[list[dict[str, Any]], str]:
        return [dict(item) for item in self.items], "1"

    def watch(self, resource_version: str, stop: threading.Event) -> Iterable[dict[str, Any]]:
        return iter(())


def named(route: dict[str, Any], name: str, namespace: str = "shop") -> dict[str, Any]:
    return {**route, "metadata": {**route["metadata"], "name": name, "namespace": namespace}}


def a_namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}}


class Heard:
    def __init__(self) -> None:
        self.keys: list[set[str]] = []

    def __call__(self, keys: set[str]) -> None:
        self.keys.append(set(keys))

    def all(self) -> set[str]:
        return set().union(*self.keys) if self.keys else set()


def store(routes: Listed, gateways: Listed, namespaces: Listed | None = None
          ) -> tuple[routewatch.Routes, Heard]:
    heard = Heard()
    found = routewatch.Routes({"HTTPRoute": routes}, gateways, namespaces or Listed(),
                              GatewaySettings(), heard)
    found.relist()
    heard.keys.clear()
    return found, heard


def test_a_route_is_handed_out_resolved_against_the_gateways_of_the_moment() -> None:
    gateways = Listed(a_gateway(addresses=("192.0.2.1",)))
    routes, _ = store(Listed(a_route()), gateways)

    got = routes.get("httproute/shop/web")
    assert got is not None
    assert gateway.resolution_of(got) == gateway.Resolution(
        (("app.goldentooth.net", ("192.0.2.1",)),))
    assert [gateway.resolution_of(r) for r in routes.snapshot()] == [
        gateway.resolution_of(got)]

    gateways.items = [a_gateway(addresses=("192.0.2.2",))]
    routes.gateways.relist()
    after = routes.get("httproute/shop/web")
    assert after is not None and gateway.resolution_of(after) == gateway.Resolution(
        (("app.goldentooth.net", ("192.0.2.2",)),))


def test_a_gateway_change_notifies_only_the_routes_naming_it() -> None:
    other = {"name": "other", "namespace": "infra"}
    gateways = Listed(a_gateway(), a_gateway(name="other"))
    routes, heard = store(Listed(named(a_route(), "web"),
                                 named(a_route(parents=[other]), "api")), gateways)

    gateways.items = [a_gateway(addresses=("192.0.2.99",)), a_gateway(name="other")]
    routes.gateways.relist()

    assert heard.all() == {"httproute/shop/web"}


def test_a_route_moved_to_another_gateway_is_no_longer_notified_for_the_old_one() -> None:
    other = {"name": "other", "namespace": "infra"}
    listed = Listed(a_route())
    gateways = Listed(a_gateway(), a_gateway(name="other"))
    routes, heard = store(listed, gateways)
    listed.items = [a_route(parents=[other])]
    routes.routes[0].relist()
    assert heard.all() == {"httproute/shop/web"}
    heard.keys.clear()

    gateways.items = [a_gateway(addresses=("192.0.2.99",)), a_gateway(name="other")]
    routes.gateways.relist()
    assert heard.all() == set()
    gateways.items = [a_gateway(addresses=("192.0.2.99",)),
                      a_gateway(name="other", addresses=("192.0.2.98",))]
    routes.gateways.relist()
    assert heard.all() == {"httproute/shop/web"}


def test_a_deleted_route_leaves_the_index() -> None:
    listed = Listed(a_route())
    gateways = Listed(a_gateway())
    routes, heard = store(listed, gateways)
    listed.items = []
    routes.routes[0].relist()
    heard.keys.clear()

    gateways.items = [a_gateway(addresses=("192.0.2.99",))]
    routes.gateways.relist()
    assert heard.all() == set()
    assert routes.affected([("infra", "gw")]) == set()


def test_namespace_labels_are_read_and_their_change_notifies_that_namespace_only() -> None:
    selector = {"namespaces": {"from": "Selector",
                               "selector": {"matchLabels": {"gateway": "yes"}}}}
    gateways = Listed(a_gateway([listener(allowed=selector)]))
    namespaces = Listed(a_namespace("shop"), a_namespace("blog"))
    routes, heard = store(Listed(named(a_route(), "web"),
                                 named(a_route(("blog.goldentooth.net",)), "blog", "blog")),
                          gateways, namespaces)
    before = routes.get("httproute/shop/web")
    assert before is not None and gateway.resolution_of(before).hosts == ()  # type: ignore[union-attr]

    namespaces.items = [a_namespace("shop", gateway="yes"), a_namespace("blog")]
    routes.namespaces.relist()

    assert heard.all() == {"httproute/shop/web"}
    after = routes.get("httproute/shop/web")
    assert after is not None and gateway.resolution_of(after).hosts == (  # type: ignore[union-attr]
        ("app.goldentooth.net", ("192.0.2.10",)),)


def test_synced_waits_for_every_store() -> None:
    heard = Heard()
    routes = routewatch.Routes({"HTTPRoute": Listed()}, Listed(), Listed(), GatewaySettings(),
                               heard)
    routes.routes[0].relist()
    routes.gateways.relist()
    assert not routes.synced
    routes.namespaces.relist()
    assert routes.synced


def test_the_domain_policys_namespace_store_is_read_instead_of_a_watch_of_its_own() -> None:
    from dnsgate import policywatch
    from dnsgate.watch import ServiceStore

    selector = {"namespaces": {"from": "Selector",
                               "selector": {"matchLabels": {"gateway": "yes"}}}}
    namespaces = Listed(a_namespace("shop"))
    shared = ServiceStore(namespaces, lambda keys: None, kept=policywatch._kept_namespace)
    shared.relist()
    heard = Heard()
    routes = routewatch.Routes({"HTTPRoute": Listed(a_route())},
                               Listed(a_gateway([listener(allowed=selector)])), shared,
                               GatewaySettings(), heard)
    routes.relist()
    assert shared not in routes.stores  # the policy watch runs it
    heard.keys.clear()

    namespaces.items = [a_namespace("shop", gateway="yes")]
    shared.relist()

    assert heard.all() == {"httproute/shop/web"}
    after = routes.get("httproute/shop/web")
    assert after is not None and gateway.resolution_of(after).hosts == (  # type: ignore[union-attr]
        ("app.goldentooth.net", ("192.0.2.10",)),)


# A consumer that files each list whole (the webhook's claim index): `on_relist`, `on_listed`.

class Filed:
    """What a list-taking consumer was handed, in order: ("list", kind, {key: hosts}),
    ("change", keys) and ("listed", what)."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def relisted(self, kind: Any, routes: list[Any]) -> None:
        self.events.append(("list", kind.name, {
            f"{r['metadata']['namespace']}/{r['metadata']['name']}":
                gateway.resolution_of(r).hosts  # type: ignore[union-attr]
            for r in routes}))

    def changed(self, keys: set[str]) -> None:
        self.events.append(("change", frozenset(keys)))

    def listed(self, what: str) -> None:
        self.events.append(("listed", what))


def filing(routes: Listed, gateways: Listed, namespaces: Listed | None = None
           ) -> tuple[routewatch.Routes, Filed]:
    filed = Filed()
    found = routewatch.Routes({"HTTPRoute": routes}, gateways, namespaces or Listed(),
                              GatewaySettings(), filed.changed, on_relist=filed.relisted,
                              on_listed=filed.listed)
    return found, filed


def test_a_list_of_routes_is_handed_over_resolved_once_and_not_told_again_as_changes() -> None:
    routes, filed = filing(Listed(a_route()), Listed(a_gateway(addresses=("192.0.2.1",))))
    routes.gateways.relist()
    filed.events.clear()

    routes.routes[0].relist()

    assert filed.events == [("list", "HTTPRoute", {
        "shop/web": (("app.goldentooth.net", ("192.0.2.1",)),)})]


def test_gateways_count_as_listed_only_after_the_routes_they_touch_were_told() -> None:
    routes, filed = filing(Listed(a_route()), Listed(a_gateway()))
    routes.routes[0].relist()
    filed.events.clear()

    routes.gateways.relist()

    assert filed.events == [("change", frozenset({"httproute/shop/web"})),
                            ("listed", routewatch.GATEWAY)]


def test_namespaces_watched_here_are_told_as_listed_even_when_nothing_changed() -> None:
    routes, filed = filing(Listed(), Listed())

    routes.namespaces.relist()
    routes.gateways.relist()

    assert filed.events == [("listed", routewatch.NAMESPACE), ("listed", routewatch.GATEWAY)]


def test_a_route_a_relist_no_longer_holds_leaves_the_gateway_index_without_a_change() -> None:
    listed = Listed(a_route())
    routes, filed = filing(listed, Listed(a_gateway()))
    routes.relist()
    listed.items = []

    routes.routes[0].relist()

    assert routes.affected([("infra", "gw")]) == set()
    assert filed.events[-1] == ("list", "HTTPRoute", {})


def test_routes_naming_the_same_gateways_share_one_set_of_them_until_none_is_left() -> None:
    listed = Listed(named(a_route(), "web"), named(a_route(), "api"))
    routes, _ = store(listed, Listed(a_gateway()))
    web, api = (routes._parents[f"httproute/shop/{name}"] for name in ("web", "api"))
    assert web is api

    listed.items = []
    routes.routes[0].relist()

    assert routes._shared_parents == {}
