"""Controller decisions that the e2e tests cannot provoke honestly: Services the webhook
would refuse (it guards the shared apiserver), names no zone holds, a Route53 outage."""

from __future__ import annotations

import threading
from typing import Any

from dnsgate import domainpolicy
from dnsgate.backoff import Backoff
from dnsgate.domainpolicy import Enforcement
from dnsgate.domains import DomainFilter
from reconciler import settings as s
from reconciler import throttle
from reconciler.agenda import RESYNC
from reconciler.controller import Controller
from reconciler.report import LogReporter
from reconciler.route53 import Provider
from tests.reconcile.conftest import wait_for
from tests.reconcile.fakes import MemoryRoute53, StaticServices
from tests.reconcile.test_source import ALPHA, service

DOMAINS = DomainFilter.of(["goldentooth.net", "example.org"])


def controller(route53: MemoryRoute53, services: list[dict[str, Any]], namespace: str = "",
               **controller_settings: Any) -> tuple[Controller, LogReporter]:
    reporter = LogReporter()
    provider = Provider(route53, s.Route53Settings(DOMAINS),
                        backoff=Backoff(base=0.0, cap=0.0), attempts=2,
                        limiter=throttle.RateLimiter(1e6), sleep=lambda _: None)
    return Controller(s.ControllerSettings(**controller_settings),
                      s.SourceSettings(DOMAINS, namespace, sources=("service", "ingress")),
                      s.RegistrySettings(owner_id="me"),
                      provider, StaticServices(services), reporter), reporter


GOOD = service("good", {ALPHA + "hostname": "good.goldentooth.net"},
               ingress=[{"ip": "10.0.0.1"}])


def test_invalid_service_makes_no_records_and_is_reported() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    bad = service("bad", {ALPHA + "hostname": "bad.goldentooth.net,x.goldentooth.net",
                          ALPHA + "ttl": "forever"}, ingress=[{"ip": "10.0.0.2"}])
    ctl, reporter = controller(route53, [GOOD, bad])

    assert ctl.run_once()

    assert sorted(k[0] for k in route53.records["Z1"]) == [
        "a-good.goldentooth.net.", "good.goldentooth.net."]
    outcome = reporter.latest["service/apps/bad"]
    assert outcome.status == "invalid"
    assert outcome.message.startswith('external-dns.alpha.kubernetes.io/ttl: "forever" is not')


def test_name_that_no_zone_holds_is_reported_failed() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    lost = service("lost", {ALPHA + "hostname": "app.example.org"}, ingress=[{"ip": "10.0.0.3"}])
    ctl, reporter = controller(route53, [GOOD, lost])

    assert not ctl.run_once()

    assert reporter.latest["service/apps/lost"].message == (
        "no Route53 hosted zone dnsgate manages holds app.example.org (managed zones: "
        "goldentooth.net)")
    assert reporter.latest["service/apps/good"].status == "synced"


def test_route53_outage_fails_the_sync_not_the_loop_and_relists_after() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    ctl, reporter = controller(route53, [GOOD], interval=0.05)
    route53.outage = 2  # the zone listing fails twice: past the retries
    thread = threading.Thread(target=ctl.run)
    thread.start()
    try:
        wait_for(lambda: reporter.latest.get("service/apps/good"), timeout=5)
    finally:
        ctl.shutdown()
        thread.join(timeout=5)

    assert reporter.latest["service/apps/good"].status == "synced"
    assert route53.calls[:2] == ["list_hosted_zones", "list_hosted_zones"]  # the outage
    assert not thread.is_alive()
    assert ("good.goldentooth.net.", "A", "") in route53.records["Z1"]


def test_not_the_writer_plans_but_sends_nothing() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    ctl, _ = controller(route53, [GOOD])
    ctl.gate = type("Gate", (), {"may_write": lambda self: False})()

    ctl.run_once()

    assert "change_resource_record_sets" not in route53.calls


def test_refused_name_is_retried_with_growing_backoff_and_dropped_when_unwanted() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    route53.records["Z1"][("a-good.goldentooth.net.", "TXT", "")] = {
        "Name": "a-good.goldentooth.net.", "Type": "TXT", "TTL": 300,
        "ResourceRecords": [{"Value": '"not ours"'}]}
    services = StaticServices([GOOD])
    ctl, reporter = controller(route53, [])
    ctl.services = services

    assert not ctl.run_once()
    assert not ctl.sync_services({"service/apps/good"})
    assert ctl.retrying == {"good.goldentooth.net": 2}
    assert reporter.latest["service/apps/good"].status == "failed"

    services.services = []
    assert ctl.sync_services({"service/apps/good"})
    assert ctl.retrying == {}


def test_namespaced_reconciler_leaves_other_namespaces_records_alone() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    ours, _ = controller(route53, [GOOD])
    assert ours.run_once()  # apps/good now holds good.goldentooth.net under owner "me"
    before = dict(route53.records["Z1"])
    rival = service("rival", {ALPHA + "hostname": "good.goldentooth.net"},
                    ingress=[{"ip": "10.9.9.9"}], namespace="team-b")
    namespaced, reporter = controller(route53, [rival], namespace="team-b")

    assert namespaced.run_once()

    assert route53.records["Z1"] == before  # neither deleted nor overwritten
    assert reporter.latest["service/team-b/rival"].message == (
        'good.goldentooth.net A (10.0.0.1) is owned by "me (service/apps/good)"; dnsgate '
        "leaves it untouched")


def test_deleted_service_is_forgotten_by_the_reporter() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    services = StaticServices([GOOD])
    ctl, reporter = controller(route53, [])
    ctl.services = services
    assert ctl.run_once()
    assert "service/apps/good" in reporter.latest

    services.services = []
    assert ctl.sync_services({"service/apps/good"})

    assert "service/apps/good" not in reporter.latest  # memory follows the cluster


BY_LABEL = domainpolicy.parse(
    "rules:\n  - name: blue\n    namespaceSelector: tenant=blue\n"
    "    domains: [blue.goldentooth.net]\n", "dnsgate/dnsgate-domain-policy")


def test_namespace_events_that_change_no_domains_cost_no_resync() -> None:
    """With a rule selecting by label, each Namespace created, deleted or relabelled
    anywhere reaches the reconciler; one that changes no namespace's domains must not
    re-list every zone (CI creates Namespaces by the hundred)."""
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    ctl, _ = controller(route53, [GOOD])
    ctl.policy_changed(Enforcement(BY_LABEL, {"apps": {}}))
    assert ctl.run_once()
    assert ctl.agenda.due() == RESYNC  # the first work, done above
    assert ctl.agenda.due() is None

    ctl.policy_changed(Enforcement(BY_LABEL, {"apps": {}, "ci-1": {}}))  # created
    ctl.policy_changed(Enforcement(BY_LABEL, {"apps": {"istio-injection": "enabled"},
                                              "ci-1": {}}))  # relabelled, no rule cares
    ctl.policy_changed(Enforcement(BY_LABEL, {"apps": {"istio-injection": "enabled"}}))

    assert ctl.agenda.due() is None


def test_relabelled_namespace_has_its_services_judged_again_without_a_resync() -> None:
    route53 = MemoryRoute53({"Z1": "goldentooth.net"})
    other = service("other", {ALPHA + "hostname": "other.goldentooth.net"},
                    ingress=[{"ip": "10.0.0.4"}], namespace="elsewhere")
    ctl, reporter = controller(route53, [GOOD, other], coalesce=0.0)
    ctl.policy_changed(Enforcement(BY_LABEL, {"apps": {}, "elsewhere": {}}))
    assert ctl.run_once() and ("good.goldentooth.net.", "A", "") in route53.records["Z1"]
    assert ctl.agenda.due() == RESYNC  # the first work, done above

    ctl.policy_changed(Enforcement(BY_LABEL, {"apps": {"tenant": "blue"}, "elsewhere": {}}))
    work = ctl.agenda.due()

    assert work is not None and work.kind == "services"
    assert work.services == {"service/apps/good"}
    assert ctl.sync_services(set(work.services))
    assert reporter.latest["service/apps/good"].status == "not-allowed"
    assert ("good.goldentooth.net.", "A", "") not in route53.records["Z1"]
    assert ("other.goldentooth.net.", "A", "") in route53.records["Z1"]
