"""The pure review under a domain policy (docs/namespace-domains.md): verdicts and messages,
through Flask's test client; the claim index is the `FakeLookup` seam."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dnsgate import domainpolicy
from dnsgate.claims import Claim
from dnsgate.domainpolicy import Enforcement
from tests.admission.conftest import HOSTNAME, SETTINGS, FakeLookup, admission_review
from webhook.app import create_app
from webhook.index import ClaimIndex, ClaimLookup

INTERNAL = "external-dns.alpha.kubernetes.io/internal-hostname"
POLICY = Enforcement(domainpolicy.parse("""
rules:
  - name: shop
    namespaces: [shop]
    domains: [shop.goldentooth.net]
  - name: stray
    namespaces: [stray]
    domains: [stray.goldentooth.net]
""", "dnsgate/dnsgate-domain-policy"))
BLOCKED = Enforcement(blocked="domain policy ConfigMap dnsgate/p does not exist")
# A Service in `stray` that bypassed the webhook with a name of shop's: the reconciler
# publishes nothing for it, so it holds nothing against shop at the door either.
STRAY = Claim("2024-01-01T00:00:00Z", "service/stray/web", "www.shop.goldentooth.net")


def review(body: dict[str, Any], policy: Enforcement,
           lookup: ClaimLookup | None = None) -> dict[str, Any]:
    app = create_app(SETTINGS, lookup or FakeLookup(), policy=lambda: policy)
    reply = app.test_client().post("/validate", data=json.dumps(body).encode(),
                                   content_type="application/json")
    assert reply.status_code == 200
    response: dict[str, Any] = reply.json["response"]
    return response


@pytest.mark.parametrize(("annotations", "namespace", "policy", "allowed", "message"), [
    ({HOSTNAME: "www.shop.goldentooth.net"}, "shop", POLICY, True, None),
    ({HOSTNAME: "www.blue.goldentooth.net"}, "shop", POLICY, False,
     f'{HOSTNAME}: "www.blue.goldentooth.net" is outside the domains namespace shop may use '
     "(shop.goldentooth.net), so Service shop/httpbin may not publish it (the domain policy "
     'dnsgate/dnsgate-domain-policy, rule "shop"); choose a name under those domains, or ask '
     "the cluster admin"),
    ({HOSTNAME: "www.shop.goldentooth.net", INTERNAL: "int.blue.goldentooth.net"}, "shop",
     POLICY, False, f'{INTERNAL}: "int.blue.goldentooth.net" is outside'),
    ({HOSTNAME: "www.blue.goldentooth.net"}, "other", POLICY, True, None),
    ({HOSTNAME: "www.shop.goldentooth.net"}, "shop", BLOCKED, False,
     "cannot be admitted for Service shop/httpbin: domain policy ConfigMap dnsgate/p does not "
     "exist; ask the cluster admin to fix it"),
    ({HOSTNAME: "www.blue.goldentooth.net"}, "shop", domainpolicy.UNENFORCED, True, None),
])
def test_name_outside_the_namespace_domains_is_refused_with_403(
        annotations: dict[str, str], namespace: str, policy: Enforcement, allowed: bool,
        message: str | None) -> None:
    response = review(admission_review(annotations, namespace=namespace), policy)

    assert response["allowed"] is allowed
    if message is not None:
        assert response["status"]["code"] == 403
        assert message in response["status"]["message"]


def test_name_outside_the_domain_filter_is_still_a_400() -> None:
    response = review(admission_review({HOSTNAME: "www.example.com"}, namespace="shop"), POLICY)

    assert response["status"]["code"] == 400
    assert "outside the managed domains" in response["status"]["message"]


def test_a_claim_the_policy_voids_holds_no_name_at_the_door() -> None:
    body = admission_review({HOSTNAME: "www.shop.goldentooth.net"}, namespace="shop")

    assert review(body, POLICY, FakeLookup((STRAY,)))["allowed"] is True
    unenforced = review(body, domainpolicy.UNENFORCED, FakeLookup((STRAY,)))
    assert unenforced["allowed"] is False
    assert "already claimed by Service stray/web" in unenforced["status"]["message"]


@pytest.mark.parametrize(("stray", "service_type"), [
    # one of its names is shop's, another is outside every domain shop may use
    ({HOSTNAME: "www.shop.goldentooth.net,www.blue.goldentooth.net"}, "LoadBalancer"),
    # the refused name is one a ClusterIP Service does not publish, yet it voids the object
    ({HOSTNAME: "www.blue.goldentooth.net", INTERNAL: "www.shop.goldentooth.net"},
     "ClusterIP"),
])
def test_an_object_the_policy_voids_holds_none_of_its_names_at_the_door(
        stray: dict[str, str], service_type: str) -> None:
    """The reconciler publishes nothing for an object with any name outside its namespace's
    domains (`dnsgate.claims.parse`), so even its names inside them are held against no
    one: the door must not refuse what the loop would publish."""
    index = ClaimIndex(SETTINGS.domains)
    bypassed = admission_review(stray, namespace="shop", name="stray",
                                service_type=service_type)["request"]["object"]
    index.replace([bypassed])
    assert index.claims_on("www.shop.goldentooth.net")  # the index counts it, unpoliced
    body = admission_review({HOSTNAME: "www.shop.goldentooth.net"}, namespace="shop")

    response = review(body, POLICY, index)

    assert response["allowed"] is True, response["status"]["message"]
