"""The policy in force as the ConfigMap and the namespaces change: a malformed or missing
policy never opens anything and never withdraws the last valid one."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from dnsgate import domainpolicy
from dnsgate.domainpolicy import Enforcement
from dnsgate.policywatch import PolicyWatch

WHERE = "dnsgate/dnsgate-domain-policy"
SHOP_ONLY = "rules:\n  - namespaces: [shop]\n    domains: [shop.goldentooth.net]\n"
BY_LABEL = "rules:\n  - namespaceSelector: tenant=blue\n    domains: [blue.goldentooth.net]\n"


class Listed:
    """A ServiceAPI serving a fixed list and no watch events."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def list(self) -> tuple[list[dict[str, Any]], str]:
        return self.items, "1"

    def watch(self, resource_version: str, stop: threading.Event) -> Iterable[dict[str, Any]]:
        return ()


def config_map(text: str | None) -> dict[str, Any]:
    data = {} if text is None else {domainpolicy.POLICY_KEY: text}
    return {"metadata": {"name": "dnsgate-domain-policy", "namespace": "dnsgate",
                         "resourceVersion": "1"}, "data": data}


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}}


def watching(policy: str | None, namespaces: list[dict[str, Any]] | None = None
             ) -> tuple[PolicyWatch, list[Enforcement], list[str | None]]:
    changes: list[Enforcement] = []
    states: list[str | None] = []
    items = [] if policy is None else [config_map(policy)]
    watch = PolicyWatch(WHERE, Listed(items), Listed(namespaces or []),
                        on_change=changes.append, on_state=states.append)
    watch.relist()
    return watch, changes, states


def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "object": obj}


def test_valid_policy_is_in_force_once_both_lists_are_in() -> None:
    watch, changes, states = watching(SHOP_ONLY)
    assert watch.synced and watch.error is None and states == [None]
    assert not watch.current().permits("service/shop/web", "www.elsewhere.goldentooth.net")
    assert changes and changes[-1] == watch.current()


def test_missing_config_map_admits_no_name_and_says_why() -> None:
    watch, changes, states = watching(None)
    assert not watch.synced and changes == []
    assert states == [f"domain policy ConfigMap {WHERE} does not exist"]
    assert not watch.current().permits("service/any/web", "www.goldentooth.net")


def test_malformed_at_start_admits_no_name() -> None:
    watch, _, states = watching("rules: [")
    assert not watch.synced and "is not YAML" in (states[-1] or "")
    assert not watch.current().permits("service/shop/web", "www.shop.goldentooth.net")


def test_malformed_update_keeps_the_last_valid_policy() -> None:
    watch, changes, states = watching(SHOP_ONLY)
    before = watch.current()
    watch.policies._apply(event("MODIFIED", config_map("rules: {oops")))
    assert watch.current() == before and len(changes) == 1
    assert watch.error is not None and "malformed" in watch.error and states[-1] == watch.error
    assert watch.current().permits("service/shop/web", "www.shop.goldentooth.net")
    assert not watch.current().permits("service/shop/web", "www.elsewhere.goldentooth.net")
    watch.policies._apply(event("DELETED", config_map(SHOP_ONLY)))
    assert watch.current() == before and "does not exist" in (watch.error or "")


def test_policy_change_applies_without_restart() -> None:
    watch, changes, _ = watching(SHOP_ONLY)
    watch.policies._apply(event("MODIFIED", config_map(
        "rules:\n  - namespaces: [shop]\n    domains: [shop.goldentooth.net, a.example.org]\n")))
    assert len(changes) == 2 and watch.error is None
    assert watch.current().permits("service/shop/web", "www.a.example.org")


def test_label_change_applies_to_a_policy_selecting_by_label() -> None:
    watch, changes, _ = watching(BY_LABEL, [namespace("team-b")])
    assert watch.current().permits("service/team-b/web", "www.other.goldentooth.net")
    watch.namespaces._apply(event("MODIFIED", namespace("team-b", tenant="blue")))
    assert len(changes) == 2
    assert not watch.current().permits("service/team-b/web", "www.other.goldentooth.net")
    assert watch.current().permits("service/team-b/web", "www.blue.goldentooth.net")


def test_namespace_events_cost_nothing_when_no_rule_selects_by_label() -> None:
    watch, changes, _ = watching(SHOP_ONLY, [namespace("a")])
    watch.namespaces._apply(event("ADDED", namespace("b", tenant="blue")))
    assert len(changes) == 1


def test_namespace_events_do_not_parse_the_policy_again(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Parsing a policy near a ConfigMap's 1 MiB takes seconds, and each Namespace created,
    relabelled or deleted anywhere in the cluster refreshes the policy in force."""
    parsed: list[str] = []
    real = domainpolicy.parse
    monkeypatch.setattr(domainpolicy, "parse",
                        lambda text, source: parsed.append(text) or real(text, source))
    watch, changes, _ = watching(BY_LABEL, [namespace("a")])
    for index in range(5):
        watch.namespaces._apply(event("ADDED", namespace(f"n{index}", tenant="blue")))
    assert len(changes) == 6 and len(parsed) == 1
    watch.policies._apply(event("MODIFIED", config_map(SHOP_ONLY)))
    assert len(parsed) == 2 and not watch.current().permits("service/shop/web",
                                                            "www.blue.goldentooth.net")


def test_namespace_events_that_change_no_domains_signal_no_change() -> None:
    watch, changes, _ = watching(BY_LABEL, [namespace("a")])
    watch.namespaces._apply(event("MODIFIED", namespace("a", **{"istio-injection": "on"})))
    watch.namespaces._apply(event("ADDED", namespace("b", tenant="blue")))
    assert len(changes) == 2  # the first policy, then b's labels known: b gets blue's
    assert watch.current().permits("service/b/web", "www.blue.goldentooth.net")
