"""The mass-delete guard through the controller, with the fakes: which deletes go, which are
held, and what releases them (docs/deletes.md). The e2e tests prove the same against the
real API server and moto (test_e2e_deleteguard.py)."""

from __future__ import annotations

from typing import Any

import pytest

from dnsgate import objectkey
from dnsgate.domains import DomainFilter
from dnsgate.ingress import IngressSettings
from reconciler import deleteguard, guardkube, witness
from reconciler import settings as s
from reconciler.controller import Controller, Scope
from reconciler.deleteguard import Delete, GuardSettings
from reconciler.endpoint import make
from reconciler.report import LogReporter
from tests.reconcile.fakes import MemoryRoute53, StaticServices
from tests.reconcile.test_controller import DOMAINS, controller
from tests.reconcile.test_source import ALPHA, service


def web(i: int, **annotations: str) -> dict[str, Any]:
    return service(f"web{i}", {ALPHA + "hostname": f"web{i}.goldentooth.net", **annotations},
                   ingress=[{"ip": f"10.0.0.{i + 1}"}])


def names(route53: MemoryRoute53) -> set[str]:
    return {k[0].rstrip(".") for k in route53.records["Z1"] if not k[0].startswith("a-")}


def restarted(route53: MemoryRoute53, services: list[dict[str, Any]], *,
              exists: Any = None, confirmed: str | None = None,
              guard: GuardSettings | None = None, **source: Any) -> Controller:
    """A new process (nothing witnessed), whose lookups answer `exists(key)`."""
    ctl = Controller(s.ControllerSettings(guard=guard or GuardSettings()),
                     s.SourceSettings(source.pop("domains", DOMAINS), **source),
                     s.RegistrySettings(owner_id="me"), controller(route53, [])[0].zones.provider,
                     StaticServices(services), LogReporter(),
                     lookup=exists, confirmed=lambda: confirmed)
    return ctl


def published(count: int) -> tuple[MemoryRoute53, list[dict[str, Any]]]:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    services = [web(i) for i in range(count)]
    assert controller(route53, services)[0].run_once()
    assert len(names(route53)) == count
    return route53, services


def test_restart_with_objects_out_of_view_that_still_exist_deletes_nothing() -> None:
    """A narrower --label-filter or --namespace at start: the list misses them, a GET by
    name finds them."""
    route53, _ = published(3)
    ctl = restarted(route53, [], exists=lambda key: True)

    assert ctl.run_once()

    assert len(names(route53)) == 3
    assert "holding 3 deletes" in ctl.holding
    assert "exists but is outside what dnsgate watches" in ctl.holding


def test_restart_after_objects_were_deleted_deletes_them_once_a_get_says_404() -> None:
    route53, services = published(3)
    asked: list[str] = []
    ctl = restarted(route53, services[1:], exists=lambda key: asked.append(key) or False)

    assert ctl.run_once()

    assert names(route53) == {"web1.goldentooth.net", "web2.goldentooth.net"}
    assert asked == ["service/apps/web0"]
    assert ctl.holding == ""


def test_an_api_that_fails_lookups_is_asked_once_and_nothing_is_deleted() -> None:
    route53, _ = published(3)
    asked: list[str] = []

    def timing_out(key: str) -> bool:
        asked.append(key)
        raise TimeoutError("read timed out")

    ctl = restarted(route53, [], exists=timing_out)

    assert ctl.run_once()

    assert len(names(route53)) == 3
    assert len(asked) == 1
    assert "the API could not be asked (TimeoutError: read timed out)" in ctl.holding


def test_restart_with_settings_that_make_an_object_invalid_deletes_nothing() -> None:
    """A narrower --domain-filter: the Service's second name is outside it now, so its
    annotation is refused and it asks for nothing; dnsgate never saw the object change."""
    route53 = MemoryRoute53({"Z1": "goldentooth.net", "Z2": "example.org"})
    both = service("both", {ALPHA + "hostname": "both.goldentooth.net,both.example.org"},
                   ingress=[{"ip": "10.0.0.9"}])
    assert controller(route53, [both])[0].run_once()
    ctl = restarted(route53, [both], exists=lambda key: True,
                    domains=DOMAINS.of(["goldentooth.net"]))

    assert ctl.run_once()

    assert ("both.goldentooth.net.", "A", "") in route53.records["Z1"]
    assert "no longer publishes it under the current settings" in ctl.holding


def test_an_object_seen_to_stop_publishing_loses_its_records() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    services = [web(0)]
    ctl, _ = controller(route53, services)
    assert ctl.run_once()
    services[0] = web(0, **{ALPHA + "ttl": "forever"})  # a bad value, past the webhook

    assert ctl.sync_services({"service/apps/web0"})

    assert names(route53) == set()
    assert ctl.holding == ""


def test_an_annotation_changed_while_down_moves_the_record() -> None:
    route53, _ = published(1)
    moved = service("web0", {ALPHA + "hostname": "moved.goldentooth.net"},
                    ingress=[{"ip": "10.0.0.1"}])
    ctl = restarted(route53, [moved], exists=lambda key: True)

    assert ctl.run_once()

    assert names(route53) == {"moved.goldentooth.net"}


@pytest.mark.parametrize(("owned", "deleted", "held"), [
    (30, 20, False),   # at the count: everyday work
    (30, 21, True),    # past the count and past a quarter
    (100, 25, False),  # past the count, a quarter exactly
    (100, 26, True),
], ids=["at-count", "past-both", "at-share", "past-share"])
def test_one_sync_past_both_limits_holds_its_deletes(owned: int, deleted: int,
                                                     held: bool) -> None:
    route53, services = published(owned)
    ctl = restarted(route53, services[deleted:])

    assert ctl.run_once()

    assert len(names(route53)) == (owned if held else owned - deleted)
    assert bool(ctl.holding) is held


def test_a_burst_over_several_syncs_counts_as_one() -> None:
    route53, services = published(40)
    ctl, _ = controller(route53, services)
    assert ctl.run_once()
    for i in range(0, 30, 10):  # three syncs of ten deletes, as events coalesce
        gone = {f"service/apps/web{j}" for j in range(i, i + 10)}
        ctl.services = StaticServices([x for x in ctl.services.snapshot()  # type: ignore[attr-defined]
                                       if f"service/apps/{x['metadata']['name']}" not in gone])
        ctl.sync_services(gone)

    assert len(names(route53)) == 20  # the third ten held: 30 > 20 and 30 > 25% of 40
    assert "holding 10 deletes" in ctl.holding


def test_after_a_hold_later_deletes_join_it_until_a_resync() -> None:
    route53, services = published(40)
    ctl, _ = controller(route53, services)
    assert ctl.run_once()
    gone = {f"service/apps/web{j}" for j in range(30)}
    ctl.services = StaticServices(services[30:])
    ctl.sync_services(gone)  # 30 of 40: held
    assert "holding 30 deletes" in ctl.holding
    ctl.services = StaticServices(services[31:])

    ctl.sync_services({"service/apps/web30"})  # one more, alone under both limits

    assert "holding 31 deletes" in ctl.holding
    assert len(names(route53)) == 40


def test_confirmation_of_the_held_plan_releases_it_and_of_another_does_not() -> None:
    route53, services = published(30)
    ctl = restarted(route53, services[25:])
    assert ctl.run_once()
    plan = ctl.guard.plan
    assert f"--from-literal=plan={plan}" in ctl.holding
    assert len(names(route53)) == 30

    again = restarted(route53, services[25:], confirmed="0123456789ab")  # another plan's
    assert again.run_once()
    assert len(names(route53)) == 30
    assert again.guard.plan == plan  # a restart holds the same plan, by the same hash

    confirmed = restarted(route53, services[25:], confirmed=plan)
    assert confirmed.run_once()
    assert len(names(route53)) == 5
    assert confirmed.holding == ""


def test_a_plan_that_grew_after_the_confirmation_is_not_released() -> None:
    route53, services = published(30)
    ctl = restarted(route53, services[25:])
    assert ctl.run_once()
    plan = ctl.guard.plan

    grown = restarted(route53, services[26:], confirmed=plan)
    assert grown.run_once()

    assert len(names(route53)) == 30
    assert grown.guard.plan != plan


def test_a_running_controller_releases_the_plan_when_the_confirmation_appears() -> None:
    route53, services = published(30)
    confirmation: list[str] = []
    ctl = Controller(s.ControllerSettings(), s.SourceSettings(DOMAINS),
                     s.RegistrySettings(owner_id="me"), controller(route53, [])[0].zones.provider,
                     StaticServices(services[25:]), LogReporter(),
                     confirmed=lambda: confirmation[-1] if confirmation else None)
    clock = [0.0]
    ctl.guard.clock = lambda: clock[0]
    assert ctl.run_once()
    assert ctl.guard.names_to_release() == frozenset()  # not due yet
    clock[0] += deleteguard.RECHECK
    assert ctl.guard.names_to_release() == frozenset()  # due, not confirmed
    confirmation.append(ctl.guard.plan)
    clock[0] += deleteguard.RECHECK

    due = ctl.guard.names_to_release()

    assert len(due) == 25
    assert ctl.sync(Scope(due))
    assert len(names(route53)) == 5


def test_message_names_count_threshold_and_how_to_confirm() -> None:
    record = make("web.goldentooth.net", "A", ["10.0.0.1"])
    decision = deleteguard.Decision(
        frozenset(), (Delete("Z1", record, True, "Service apps/web was deleted"),),
        "abcdef012345", True, counted=30, owned=40)

    text = deleteguard.message(decision, GuardSettings())

    assert text.startswith("holding 1 deletes of record sets dnsgate owns (1 over the "
                           "threshold (30 deletes within 60s, 40 record sets owned; "
                           "--max-deletes=20 and --max-deletes-percent=25)); to let held "
                           "plan abcdef012345 go: kubectl -n dnsgate create configmap "
                           "dnsgate-confirm-deletes --from-literal=plan=abcdef012345")
    assert text.endswith("e.g. web.goldentooth.net A: Service apps/web was deleted")


def test_lookups_are_bounded_per_sync_and_an_object_found_is_not_asked_again_soon() -> None:
    """A --label-filter narrowed under many owned records: each resync asks about at most
    LOOKUPS objects, those not yet asked first."""
    route53, _ = published(witness.LOOKUPS + 50)
    asked: list[str] = []
    ctl = restarted(route53, [], exists=lambda key: asked.append(key) or True,
                    guard=GuardSettings(max_percent=100))

    assert ctl.run_once()
    assert len(asked) == witness.LOOKUPS
    assert ctl.run_once()

    assert len(asked) == witness.LOOKUPS + 50
    assert len(set(asked)) == len(asked)
    assert len(names(route53)) == witness.LOOKUPS + 50


class NotFound(Exception):
    def __init__(self, body: str) -> None:
        self.status, self.body = 404, body


@pytest.mark.parametrize(("body", "deleted"), [
    ('{"kind":"Status","reason":"NotFound","details":{"name":"web","kind":"services"}}', True),
    ('{"kind":"Status","reason":"NotFound","details":{"name":"other","kind":"services"}}',
     False),
    ('{"kind":"Status","reason":"NotFound","details":{"name":"web","kind":"ingresses"}}',
     False),
    ("404 page not found", False),  # a proxy, or an API the server does not serve
    ("", False),
], ids=["the-service", "another-name", "another-kind", "a-proxy", "no-body"])
def test_only_a_404_about_that_object_proves_it_gone(body: str, deleted: bool) -> None:
    key = objectkey.parse("service/apps/web")
    assert key is not None

    assert guardkube._not_found(NotFound(body), key) is deleted


def test_a_service_deleted_and_created_again_is_not_deleted_when_a_list_later_misses_it(
) -> None:
    """`kubectl replace --force` or a reinstall: DELETED, then ADDED under the same name (a
    new uid). The deletion is history once the object is back: a later list that misses it
    (an empty relist) is no reason, and the GET that finds it holds the delete."""
    route53, services = published(3)
    ctl = restarted(route53, list(services), exists=lambda key: True)
    assert ctl.run_once()
    ctl.services.services.remove(services[0])  # type: ignore[attr-defined]
    ctl.deleted({"service/apps/web0"})
    ctl.services.services.append(web(0))  # type: ignore[attr-defined]
    ctl.notify({"service/apps/web0"})
    assert ctl.sync_services({"service/apps/web0"})
    assert len(names(route53)) == 3
    ctl.services.services.clear()  # type: ignore[attr-defined]

    assert ctl.run_once()  # a resync from the empty list

    assert len(names(route53)) == 3
    assert "holding 3 deletes" in ctl.holding


def test_a_namespace_missing_from_the_namespace_list_deletes_nothing() -> None:
    """A rule grants by namespace label; the Namespace list comes back without the namespace
    (an empty or partial relist): its labels are unknown, which is no change of the
    Service, so its record stays (held), as for an empty Service list."""
    from dnsgate.domainpolicy import Enforcement
    from tests.reconcile.test_controller import BY_LABEL

    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    blue = service("web", {ALPHA + "hostname": "web.blue.goldentooth.net"},
                   ingress=[{"ip": "10.0.0.1"}])
    ctl, _ = controller(route53, [blue], coalesce=0.0)
    ctl.policy_changed(Enforcement(BY_LABEL, {"apps": {"tenant": "blue"}}))
    assert ctl.run_once() and names(route53) == {"web.blue.goldentooth.net"}
    assert ctl.agenda.due() is not None  # the first work, done above

    ctl.policy_changed(Enforcement(BY_LABEL, {}))
    work = ctl.agenda.due()
    assert work is not None
    ctl.sync_services(set(work.services)) if work.kind == "services" else ctl.run_once()

    assert names(route53) == {"web.blue.goldentooth.net"}
    assert "holding 1 deletes" in ctl.holding


def rules_ingress(*hosts: str) -> dict[str, Any]:
    """An Ingress naming its first host in a rule, the others in its TLS section."""
    return {"kind": "Ingress",
            "metadata": {"namespace": "apps", "name": "web", "annotations": {},
                         "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"rules": [{"host": hosts[0]}], "tls": [{"hosts": list(hosts[1:])}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.7"}]}}}


@pytest.mark.parametrize("restart", [
    {"ingress": IngressSettings(ignore_rules_spec=True)},
    {"domains": DomainFilter.of(["goldentooth.net", "example.org"], ["shop.goldentooth.net"])},
    {"ingress": IngressSettings(ignore_tls_spec=True)},
], ids=["ignore-ingress-rules-spec", "exclude-domains", "ignore-ingress-tls-spec"])
def test_restart_with_settings_that_drop_an_ingress_host_deletes_nothing(
        restart: dict[str, Any]) -> None:
    """The Ingress did not change; a flag at start stops its rule host from giving a name,
    as a narrower --domain-filter makes a Service's annotation invalid: no reason seen."""
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    web = rules_ingress("web.shop.goldentooth.net", "web.goldentooth.net")
    if restart.get("ingress") == IngressSettings(ignore_tls_spec=True):
        web = rules_ingress("web.goldentooth.net", "web.shop.goldentooth.net")
    assert controller(route53, [web])[0].run_once()
    assert ("web.shop.goldentooth.net.", "A", "") in route53.records["Z1"]
    ctl = restarted(route53, [web], exists=lambda key: True,
                    sources=("service", "ingress"), **restart)

    assert ctl.run_once()

    assert ("web.shop.goldentooth.net.", "A", "") in route53.records["Z1"]


def test_an_ingress_seen_to_stop_using_its_spec_hosts_loses_their_records() -> None:
    """The spec still names the host, but dnsgate saw the object change: a reason."""
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    web = rules_ingress("web.shop.goldentooth.net", "web.goldentooth.net")
    ctl, _ = controller(route53, [web])
    assert ctl.run_once()
    web["metadata"]["annotations"] = {ALPHA + "ingress-hostname-source": "annotation-only",
                                      ALPHA + "hostname": "web.goldentooth.net"}

    assert ctl.sync_services({"ingress/apps/web"})

    assert names(route53) == {"web.goldentooth.net"}
    assert ctl.holding == ""


def test_restart_without_publish_internal_services_deletes_nothing() -> None:
    """The ClusterIP Service did not change; dropping --publish-internal-services at start
    takes its only target away, which is a setting's doing, not the object's."""
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    internal = service("db", {ALPHA + "hostname": "db.goldentooth.net"}, kind="ClusterIP",
                       clusterIP="10.96.0.10")
    first = Controller(s.ControllerSettings(), s.SourceSettings(DOMAINS, publish_internal=True),
                       s.RegistrySettings(owner_id="me"),
                       controller(route53, [])[0].zones.provider,
                       StaticServices([internal]), LogReporter())
    assert first.run_once() and names(route53) == {"db.goldentooth.net"}
    ctl = restarted(route53, [internal], exists=lambda key: True)

    assert ctl.run_once()

    assert names(route53) == {"db.goldentooth.net"}
    assert "holding 1 deletes" in ctl.holding


@pytest.mark.parametrize(("sources", "asked"), [
    (("service", "gateway-httproute"), ["httproute/apps/web"]),
    (("service", "ingress"), []),
], ids=["its-source-configured", "its-source-not-configured"])
def test_a_route_missing_from_the_watch_is_looked_up_when_its_source_is_configured(
        sources: tuple[str, ...], asked: list[str]) -> None:
    seen: list[str] = []
    verdict = witness.Witness(sources, lambda key: seen.append(key) or False).verdicts(
        ["httproute/apps/web"], lambda key: None)["httproute/apps/web"]

    assert seen == asked
    assert verdict.seen is bool(asked)


class Routes:
    def __init__(self) -> None:
        self.asked: list[tuple[Any, ...]] = []

    def get_namespaced_custom_object(self, *args: Any, **_: Any) -> None:
        from kubernetes.client.exceptions import ApiException

        self.asked.append(args)
        gone = ApiException(status=404, reason="Not Found")
        gone.body = '{"kind":"Status","details":{"name":"web","kind":"tcproutes"}}'
        raise gone


def test_a_route_is_looked_up_through_its_own_api() -> None:
    routes = Routes()
    kube = guardkube.Kubernetes(None, None, GuardSettings(), routes)

    assert kube.exists("tcproute/apps/web") is False
    assert routes.asked == [("gateway.networking.k8s.io", "v1alpha2", "apps", "tcproutes", "web")]
