"""The pure review of Ingresses (the claim index is the `FakeLookup` seam), and the index
holding Services and Ingresses side by side."""

from dataclasses import replace
from typing import Any

import pytest

from dnsgate import objectkey
from dnsgate.claims import Claim
from dnsgate.domains import DomainFilter
from dnsgate.ingress import IngressSettings
from tests.admission.conftest import SETTINGS, FakeLookup
from webhook import review
from webhook.index import ClaimIndex

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
NAME = "shop.goldentooth.net"
OLD = "2024-01-01T00:00:00Z"
ON = replace(SETTINGS, ingresses=IngressSettings())
SERVICE_CLAIM = Claim(OLD, "service/web/svc", NAME)
INGRESS_CLAIM = Claim(OLD, "ingress/web/other", NAME)
SPEC = "spec.rules[].host, spec.tls[].hosts"


def an_ingress(hosts: tuple[str, ...] = (NAME,), annotations: dict[str, str] | None = None,
               name: str = "web", class_name: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": [{"host": h} for h in hosts]}
    if class_name:
        spec["ingressClassName"] = class_name
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"namespace": "shop", "name": name, "annotations": annotations or {}},
            "spec": spec}


def request(obj: dict[str, Any], operation: str = "CREATE",
            old: dict[str, Any] | None = None) -> Any:
    return {"uid": "u", "kind": {"group": "networking.k8s.io", "version": "v1",
                                 "kind": "Ingress"},
            "operation": operation, "namespace": "shop", "name": obj["metadata"]["name"],
            "object": obj, "oldObject": old}


@pytest.mark.parametrize(("obj", "claims_", "allowed", "message"), [
    (an_ingress(), (), True, ""),
    (an_ingress(), (SERVICE_CLAIM,), False,
     f'{SPEC}: "{NAME}" is already claimed by Service web/svc; choose another hostname, or '
     "give both the Service and the Ingress different set-identifier annotations to share it "
     "through Route53 weighted or failover routing"),
    (an_ingress(), (INGRESS_CLAIM,), False,
     f'{SPEC}: "{NAME}" is already claimed by Ingress web/other; choose another hostname, or '
     "give both Ingresses different set-identifier annotations to share it through Route53 "
     "weighted or failover routing"),
    (an_ingress(("free.goldentooth.net",), {A + "hostname": NAME}), (SERVICE_CLAIM,), False,
     f'{A}hostname: "{NAME}" is already claimed by Service web/svc'),
    (an_ingress(annotations={A + "controller": "other"}), (SERVICE_CLAIM,), True, ""),
    (an_ingress(("shop.example.com",)), (), True, ""),
    (an_ingress(annotations={A + "ttl": "0"}), (), False, f'{A}ttl: "0"'),
], ids=["free-name", "held-by-a-service", "held-by-an-ingress", "asked-by-the-annotation",
        "other-controller", "outside-the-filter", "bad-ttl"])
def test_validate_ingress_verdicts(obj: dict[str, Any], claims_: tuple[Claim, ...],
                                   allowed: bool, message: str) -> None:
    verdict = review.validate(request(obj), ON, FakeLookup(claims_))

    assert verdict.allowed is allowed
    assert verdict.message.startswith(message)


def test_ingresses_are_not_reviewed_without_the_ingress_source() -> None:
    verdict = review.validate(request(an_ingress()), SETTINGS, FakeLookup((SERVICE_CLAIM,)))

    assert verdict == review.ALLOW


def test_an_ingress_of_another_class_is_left_alone() -> None:
    settings = replace(SETTINGS, ingresses=IngressSettings(classes=("public",)))
    obj = an_ingress(class_name="internal", annotations={A + "ttl": "0"})

    assert review.validate(request(obj), settings, FakeLookup((SERVICE_CLAIM,))).allowed
    assert review.mutate(request(obj), settings).patch == ()


def test_an_update_keeps_a_contested_name_it_already_claimed_with_a_warning() -> None:
    verdict = review.validate(request(an_ingress(), "UPDATE", old=an_ingress()), ON,
                              FakeLookup((SERVICE_CLAIM,)))

    assert verdict.allowed
    assert verdict.warnings == (f"{NAME} is also claimed by Service web/svc, which keeps the "
                                "record: it is the senior claim",)


@pytest.mark.parametrize(("obj", "added"), [
    (an_ingress(), {A + "ttl": "60", S + "ttl": "60"}),
    (an_ingress(annotations={S + "hostname": "x.goldentooth.net"}), {S + "ttl": "60"}),
    (an_ingress(annotations={A + "ttl": "300"}), {}),
    (an_ingress(("shop.example.com",)), {}),
    (an_ingress(annotations={A + "ingress-hostname-source": "annotation-only"}), {}),
], ids=["rule-hosts-both-prefixes", "hostname-prefix", "ttl-set", "outside-the-filter",
        "annotation-only-without-annotation"])
def test_mutate_gives_an_ingress_naming_a_host_the_default_ttl(
        obj: dict[str, Any], added: dict[str, str]) -> None:
    verdict = review.mutate(request(obj), ON)

    patched = {op["path"].rsplit("/", 1)[-1].replace("~1", "/"): op["value"]
               for op in verdict.patch if op["path"] != "/metadata/annotations"}
    patched |= next((op["value"] for op in verdict.patch
                     if op["path"] == "/metadata/annotations"), {})
    assert patched == added


def test_the_index_keeps_ingresses_when_services_are_relisted() -> None:
    index = ClaimIndex(DomainFilter.of(["goldentooth.net"]), ingresses=IngressSettings())
    ingress_obj = {**an_ingress(), "metadata": {**an_ingress()["metadata"],
                                                "creationTimestamp": OLD}}

    index.replace([], objectkey.SERVICE)
    assert not index.wait_synced(0)  # the Ingress list is not in yet
    index.replace([ingress_obj], objectkey.INGRESS)
    assert index.wait_synced(0)
    index.replace([], objectkey.SERVICE)

    assert [c.service for c in index.claims_on(NAME)] == ["ingress/shop/web"]
    index.replace([], objectkey.INGRESS)
    assert index.claims_on(NAME) == ()
