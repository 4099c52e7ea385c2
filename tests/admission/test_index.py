"""The claim index: which Services hold which names, as the watch feeds it."""

from typing import Any

import pytest
from prometheus_client import REGISTRY

from dnsgate import claims, txtname
from dnsgate.claims import Claim
from dnsgate.domains import DomainFilter
from webhook.index import ClaimIndex

A = "external-dns.alpha.kubernetes.io/"
DOMAINS = DomainFilter.of(["goldentooth.net"])
NAME = "httpbin.goldentooth.net"


def service(namespace: str, annotations: dict[str, str] | None,
            created: str = "2024-01-01T00:00:00Z", service_type: str = "LoadBalancer",
            held: str | None = None) -> dict[str, Any]:
    conditions = [{"type": claims.HELD_CONDITION, "status": "True", "message": held}
                  ] if held else []
    return {"metadata": {"namespace": namespace, "name": "httpbin",
                         "creationTimestamp": created, "annotations": annotations},
            "spec": {"type": service_type}, "status": {"conditions": conditions}}


def test_index_is_not_synced_before_the_first_list() -> None:
    index = ClaimIndex(DOMAINS)

    assert not index.wait_synced(0)
    index.replace([])
    assert index.wait_synced(0)


def test_only_cleanly_parsed_services_hold_claims() -> None:
    index = ClaimIndex(DOMAINS)
    index.replace([
        service("good", {A + "hostname": f"{NAME},api.goldentooth.net",
                         A + "set-identifier": "blue"}),
        service("bad", {A + "hostname": NAME, A + "ttl": "soon"}),
        service("plain", None),
    ])

    assert index.claims_on(NAME) == (Claim("2024-01-01T00:00:00Z", "service/good/httpbin", NAME,
                                           "blue"),)
    assert [c.service for c in index.claims_on("api.goldentooth.net")] == ["service/good/httpbin"]


def test_watch_events_update_and_release_claims() -> None:
    index = ClaimIndex(DOMAINS)
    index.replace([service("a", {A + "hostname": NAME})])

    index.upsert(service("b", {A + "hostname": NAME}, created="2025-01-01T00:00:00Z"))
    both = [c.service for c in index.claims_on(NAME)]
    index.upsert(service("a", {A + "hostname": "other.goldentooth.net"}))
    moved = [c.service for c in index.claims_on(NAME)]
    index.delete("service/b/httpbin")

    assert both == ["service/a/httpbin", "service/b/httpbin"]  # most senior first
    assert moved == ["service/b/httpbin"]
    assert index.claims_on(NAME) == ()


def test_relist_forgets_services_deleted_while_the_watch_was_gone() -> None:
    index = ClaimIndex(DOMAINS)
    index.replace([service("a", {A + "hostname": NAME})])

    index.replace([service("b", {A + "hostname": "api.goldentooth.net"})])

    assert index.claims_on(NAME) == ()
    assert len(index.claims_on("api.goldentooth.net")) == 1


@pytest.mark.parametrize("service_type", ["ClusterIP", "NodePort", ""])
def test_a_service_that_is_never_published_holds_no_name(service_type: str) -> None:
    index = ClaimIndex(DOMAINS)
    index.replace([service("squat", {A + "hostname": "www.goldentooth.net,*.goldentooth.net,"
                                                     "goldentooth.net"},
                           service_type=service_type)])

    assert [index.claims_on(n) for n in ("www.goldentooth.net", "*.goldentooth.net",
                                         "goldentooth.net")] == [(), (), ()]


@pytest.mark.parametrize(("service_type", "annotations", "publish_internal"), [
    ("ExternalName", {A + "hostname": NAME}, False),
    ("ClusterIP", {A + "internal-hostname": NAME}, False),
    ("ClusterIP", {A + "hostname": NAME}, True),
    ("NodePort", {A + "hostname": NAME, A + "target": "10.1.2.3"}, False),
], ids=["external-name", "internal-hostname", "publish-internal-services", "with-target"])
def test_a_service_published_for_its_type_claims_its_names(
        service_type: str, annotations: dict[str, str], publish_internal: bool) -> None:
    index = ClaimIndex(DOMAINS, publish_internal=publish_internal)
    index.replace([service("db", annotations, service_type=service_type)])

    assert [claim.service for claim in index.claims_on(NAME)] == ["service/db/httpbin"]


def test_the_holder_reported_by_the_reconciler_is_marked_and_listed_first() -> None:
    index = ClaimIndex(DOMAINS)
    index.replace([service("old", {A + "hostname": NAME}),
                   service("live", {A + "hostname": NAME}, created="2025-01-01T00:00:00Z",
                           held=claims.held_message([(NAME, "")]))])

    assert [(c.service, c.holds) for c in index.claims_on(NAME)] == [
        ("service/live/httpbin", True), ("service/old/httpbin", False)]


def test_a_name_whose_txt_name_cannot_exist_is_not_claimed() -> None:
    index = ClaimIndex(DOMAINS, txtname.TXTNaming(prefix="x" * 10))
    index.replace([service("a", {A + "hostname": f"{'a' * 50}.goldentooth.net"})])

    assert index.claims_on(f"{'a' * 50}.goldentooth.net") == ()


def test_claims_held_are_counted_for_the_metric() -> None:
    index = ClaimIndex(DOMAINS)
    counted = []

    def gauge() -> float | None:
        return REGISTRY.get_sample_value("dnsgate_webhook_claims")

    index.replace([service("a", {A + "hostname": f"{NAME},api.goldentooth.net"}),
                   service("b", {A + "hostname": NAME}), service("plain", None)])
    counted.append((index.claims, gauge()))
    index.upsert(service("b", {A + "hostname": "one.goldentooth.net,two.goldentooth.net"}))
    counted.append((index.claims, gauge()))
    index.upsert(service("b", {A + "hostname": "one.goldentooth.net,two.goldentooth.net"}))
    counted.append((index.claims, gauge()))
    index.delete("service/a/httpbin")
    index.delete("service/nobody/here")
    counted.append((index.claims, gauge()))

    assert counted == [(3, 3.0), (4, 4.0), (4, 4.0), (2, 2.0)]
