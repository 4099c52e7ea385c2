"""What an Ingress asks for, read as ExternalDNS's Ingress source reads it (docs/ingress.md):
its names, its targets, which Ingresses --ingress-class selects, and what the shared rules
refuse on an Ingress."""

from typing import Any

import pytest

from dnsgate import claims, ingress, objectkey
from dnsgate.domains import DomainFilter
from dnsgate.ingress import IngressSettings

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
APP = "app.goldentooth.net"
API = "api.goldentooth.net"
EXTRA = "extra.goldentooth.net"


def an_ingress(hosts: tuple[str, ...] = (APP,), tls: tuple[str, ...] = (API,),
               annotations: dict[str, str] | None = None, class_name: str = "",
               status: tuple[dict[str, str], ...] = ()) -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": [{"host": h} if h else {} for h in hosts],
                            "tls": [{"hosts": list(tls)}]}
    if class_name:
        spec["ingressClassName"] = class_name
    return {"kind": "Ingress",
            "metadata": {"namespace": "shop", "name": "web", "annotations": annotations or {},
                         "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": spec, "status": {"loadBalancer": {"ingress": list(status)}}}


@pytest.mark.parametrize(("obj", "settings", "names"), [
    (an_ingress(), IngressSettings(), (APP, API)),
    (an_ingress(annotations={A + "hostname": EXTRA}), IngressSettings(), (APP, API, EXTRA)),
    (an_ingress(hosts=(APP, "", APP)), IngressSettings(), (APP, API)),
    (an_ingress(), IngressSettings(ignore_tls_spec=True), (APP,)),
    (an_ingress(), IngressSettings(ignore_rules_spec=True), (API,)),
    (an_ingress(annotations={A + "hostname": EXTRA, A + "ingress-hostname-source":
                             "Defined-Hosts-Only"}), IngressSettings(), (APP, API)),
    (an_ingress(annotations={A + "hostname": EXTRA, S + "ingress-hostname-source":
                             "annotation-only"}), IngressSettings(), (EXTRA,)),
    (an_ingress(hosts=(APP, "shop.example.com", "x.lab.goldentooth.net")), IngressSettings(),
     (APP, API)),
    (an_ingress(hosts=("*.goldentooth.net",), tls=()), IngressSettings(),
     ("*.goldentooth.net",)),
], ids=["rules-then-tls", "then-the-annotation", "empty-and-repeated-hosts", "ignore-tls",
        "ignore-rules", "defined-hosts-only", "annotation-only", "outside-the-filter-left-out",
        "wildcard"])
def test_names_come_from_rules_tls_and_the_annotation(
        obj: dict[str, Any], settings: IngressSettings, names: tuple[str, ...],
        domains: DomainFilter) -> None:
    parsed = ingress.parse(obj, domains, settings=settings)

    assert parsed.problems == ()
    assert parsed.dns is not None and parsed.dns.names == names


@pytest.mark.parametrize(("status", "targets"), [
    (({"ip": "10.0.0.1"}, {"hostname": "lb.example.net"}), ("10.0.0.1", "lb.example.net")),
    (({"ip": "10.0.0.1", "hostname": "lb.example.net"},), ("10.0.0.1", "lb.example.net")),
    ((), ()),
], ids=["ip-and-hostname-entries", "both-in-one-entry", "no-status-yet"])
def test_targets_are_the_load_balancer_status(
        status: tuple[dict[str, str], ...], targets: tuple[str, ...]) -> None:
    assert ingress.addresses(an_ingress(status=status)) == targets


@pytest.mark.parametrize(("class_name", "annotation", "classes", "selected"), [
    ("", None, (), True),
    ("public", None, ("public",), True),
    ("internal", None, ("public",), False),
    ("", "public", ("public", "other"), True),
    ("", "internal", ("public",), False),
    ("internal", "public", ("public",), False),
    ("", None, ("public",), False),
], ids=["no-filter", "class-field", "other-class-field", "class-annotation",
        "other-class-annotation", "the-field-wins-over-the-annotation", "no-class"])
def test_ingress_class_filter(class_name: str, annotation: str | None,
                              classes: tuple[str, ...], selected: bool) -> None:
    notes = {ingress.CLASS_ANNOTATION: annotation} if annotation else {}
    obj = an_ingress(annotations=notes, class_name=class_name)

    assert ingress.selected(obj, IngressSettings(classes=classes)) is selected
    assert claims.would_publish(obj, IngressSettings(classes=classes)) is selected


@pytest.mark.parametrize(("annotations", "rule", "field"), [
    ({A + "ttl": "soon"}, "ttl", A + "ttl"),
    ({A + "internal-hostname": EXTRA}, "ingress-internal-hostname", A + "internal-hostname"),
    ({A + "ingress-hostname-source": "both"}, "ingress-hostname-source",
     A + "ingress-hostname-source"),
    ({A + "aws-weight": "10"}, "weight-without-set-identifier", A + "aws-weight"),
], ids=["bad-ttl", "internal-hostname", "unknown-hostname-source", "weight-alone"])
def test_the_service_rules_refuse_the_same_on_an_ingress(
        annotations: dict[str, str], rule: str, field: str, domains: DomainFilter) -> None:
    parsed = ingress.parse(an_ingress(annotations=annotations), domains)

    assert parsed.dns is None
    assert [(p.rule, p.annotation) for p in parsed.problems] == [(rule, field)]


def test_internal_hostname_under_both_prefixes_names_nothing(domains: DomainFilter) -> None:
    parsed = ingress.parse(an_ingress(annotations={A + "internal-hostname": EXTRA,
                                                   S + "internal-hostname": EXTRA}), domains)

    assert parsed.dns is None
    assert EXTRA not in parsed.hostnames


def test_a_spec_host_too_long_for_its_txt_is_refused_naming_the_spec(
        domains: DomainFilter) -> None:
    long_label = "a" * 63
    parsed = ingress.parse(an_ingress(hosts=(f"{long_label}.goldentooth.net",), tls=()), domains)

    assert parsed.dns is None
    assert parsed.problems[0].annotation == ingress.SPEC_HOSTS


def test_another_controller_leaves_the_ingress_alone(domains: DomainFilter) -> None:
    parsed = ingress.parse(an_ingress(annotations={A + "controller": "other"}), domains)

    assert parsed.dns is None and parsed.ignored
    assert claims.of_service(an_ingress(), parsed) == ()


def test_an_ingress_claims_every_name_under_its_key(domains: DomainFilter) -> None:
    obj = an_ingress()

    made = claims.of_service(obj, claims.parse(obj, domains))

    assert [(c.service, c.hostname) for c in made] == [("ingress/shop/web", APP),
                                                       ("ingress/shop/web", API)]


@pytest.mark.parametrize(("key", "described"), [
    ("service/shop/web", "Service shop/web"),
    ("ingress/shop/web", "Ingress shop/web"),
    ("service/ingress/shop", "Service ingress/shop"),
    ("ingress/service/shop", "Ingress service/shop"),
], ids=["service", "ingress", "service-in-a-namespace-called-ingress",
        "ingress-in-a-namespace-called-service"])
def test_a_key_is_its_resource_label_and_names_its_kind(key: str, described: str) -> None:
    assert claims.claimant(key) == key
    assert objectkey.describe(key) == described


def test_other_resource_labels_name_no_claimant() -> None:
    assert claims.claimant("node/n1") is None
    assert claims.claimant("crd/shop/x") is None


def test_the_watch_copy_keeps_names_status_and_its_kind() -> None:
    full = an_ingress(status=({"ip": "10.0.0.1"},), class_name="public")
    full["apiVersion"] = "networking.k8s.io/v1"
    full["spec"]["rules"] = [{"host": APP, "http": {"paths": [{"path": "/"}]}}]
    full["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
    full.pop("kind")  # list items carry no kind

    kept = ingress.slim(full)

    assert kept["kind"] == "Ingress"
    assert kept["spec"] == {"ingressClassName": "public", "rules": [{"host": APP}],
                            "tls": [{"hosts": [API]}]}
    assert kept["status"] == {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}
    assert "kubectl.kubernetes.io/last-applied-configuration" not in kept["metadata"][
        "annotations"]
