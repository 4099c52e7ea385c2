"""What a user sees at `kubectl apply` of an Ingress, with the webhook (Ingress source on)
registered in the real apiserver through the shipped configurations plus the ingress
component's webhooks: the Service rules, and one claim index across Services and Ingresses."""

import json
from collections.abc import Mapping

import pytest

from devstack import ingresses, metallb
from tests.admission.conftest import HOSTNAME

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registered")]

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
NAME = "shop.goldentooth.net"
VALIDATE_INGRESS = 'admission webhook "validate-ingress.dnsgate.io" denied the request: '
VALIDATE = 'admission webhook "validate.dnsgate.io" denied the request: '
SPEC = "spec.rules[].host, spec.tls[].hosts"


def ingress(namespace: str, hosts: list[str], annotations: Mapping[str, str] | None = None,
            **kwargs: object) -> str:
    return json.dumps(ingresses.manifest(namespace, "web", hosts=hosts,
                                         annotations=annotations, **kwargs))  # type: ignore[arg-type]


def service(namespace: str, annotations: Mapping[str, str]) -> str:
    return json.dumps(metallb.service_manifest(namespace, "svc", annotations))


def test_an_ingress_cannot_take_a_name_a_service_claims(kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=service(namespace, {HOSTNAME: NAME}))

    result = kubectl("apply", "-f", "-", check=False, input=ingress(namespace, [NAME]))

    assert result.returncode != 0
    assert (f'{VALIDATE_INGRESS}{SPEC}: "{NAME}" is already claimed by Service '
            f"{namespace}/svc; choose another hostname, or give both the Service and the "
            "Ingress different set-identifier annotations") in result.stderr


def test_a_service_cannot_take_a_name_an_ingress_claims(kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=ingress(namespace, [NAME]))

    result = kubectl("apply", "-f", "-", check=False,
                     input=service(namespace, {HOSTNAME: NAME}))

    assert result.returncode != 0
    assert (f'{VALIDATE}{HOSTNAME}: "{NAME}" is already claimed by Ingress {namespace}/web'
            in result.stderr)


def test_a_name_in_the_hostname_annotation_is_refused_naming_the_annotation(
        kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=service(namespace, {HOSTNAME: NAME}))

    result = kubectl("apply", "-f", "-", check=False, input=ingress(
        namespace, ["free.goldentooth.net"], {HOSTNAME: NAME}))

    assert result.returncode != 0
    assert f'{VALIDATE_INGRESS}{HOSTNAME}: "{NAME}" is already claimed by Service' in (
        result.stderr)


@pytest.mark.parametrize(("annotations", "message"), [
    ({A + "ttl": "10 minutes"}, f'{A}ttl: "10 minutes" is not a valid TTL'),
    ({A + "internal-hostname": "in.goldentooth.net"},
     f'{A}internal-hostname: "in.goldentooth.net" applies to Services only'),
    ({A + "ingress-hostname-source": "both"},
     f'{A}ingress-hostname-source: "both" is neither defined-hosts-only nor annotation-only'),
], ids=["bad-ttl", "internal-hostname", "hostname-source"])
def test_bad_annotations_on_an_ingress_are_refused(
        kubectl, namespace: str, annotations: dict[str, str], message: str) -> None:
    result = kubectl("apply", "-f", "-", check=False,
                     input=ingress(namespace, [NAME], annotations))

    assert result.returncode != 0
    assert VALIDATE_INGRESS + message in result.stderr


def test_an_ingress_naming_a_host_gets_the_default_ttl_under_both_prefixes(
        kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=ingress(namespace, [NAME]))

    stored = json.loads(kubectl("-n", namespace, "get", "ingress", "web", "-o", "json").stdout)
    notes = stored["metadata"]["annotations"]
    assert (notes[A + "ttl"], notes[S + "ttl"]) == ("60", "60")


def test_an_ingress_outside_the_managed_domains_is_left_alone(
        kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=ingress(namespace, ["shop.example.com"]))

    stored = json.loads(kubectl("-n", namespace, "get", "ingress", "web", "-o", "json").stdout)
    notes = stored["metadata"].get("annotations") or {}
    assert not [key for key in notes if key.startswith((A, S))]
