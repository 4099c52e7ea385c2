"""`make demo`, run as CI runs it (no TTY), tells the seed's story, with an Ingress and an
HTTPRoute, and checks every step."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_runs_every_step_non_interactively() -> None:
    result = subprocess.run(
        ["make", "-s", "demo"], cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=600, env={**os.environ, "DEMO_EXIT": "1"},
    )
    out = result.stdout

    assert result.returncode == 0, out + result.stderr
    # The stack serves the Gateway API's resources, for a Gateway step.
    assert ("setup: installing the Gateway API CRDs (sigs.k8s.io/gateway-api v1.6.2, "
            "experimental channel)") in out
    # The certificate comes from the keeper, as in a cluster, not from the webhook itself.
    assert ("starting the certificate keeper (dnsgate certs --keep, as ServiceAccount "
            "dnsgate/dnsgate-certs)") in out
    steps = re.split(r"^Step \d+/11: ", out, flags=re.M)[1:]
    assert len(steps) == 11, out
    (refused, admitted, assigned, records, ingress_refused, ingress_records, gateway,
     namespace_domains, other_owner, removed, mass_delete) = steps
    assert 'admission webhook "validate.dnsgate.io" denied the request' in refused
    assert ('external-dns.alpha.kubernetes.io/hostname: "httpbin.example.com" is outside the '
            "managed domains (goldentooth.net)") in refused
    assert "service/httpbin created" in admitted
    assert "external-dns.alpha.kubernetes.io/ttl: 60" in admitted
    assert "ips = ['10.4.11.1']" in assigned
    assert re.search(r"^\s+httpbin\.goldentooth\.net\.\s+A\s+60\s+10\.4\.11\.1$", records, re.M)
    assert re.search(
        r'^\s+a-httpbin\.goldentooth\.net\.\s+TXT\s+300\s+"heritage=external-dns,'
        r"external-dns/owner=external-dns-external-dns,"
        r'external-dns/resource=service/httpbin/httpbin"$', records, re.M)
    assert re.search(r"appeared \d+\.\d\ds after the IP was assigned", records)
    assert ('admission webhook "validate-ingress.dnsgate.io" denied the request: '
            'spec.rules[].host, spec.tls[].hosts: "httpbin.goldentooth.net" is already '
            "claimed by Service httpbin/httpbin") in ingress_refused
    assert "ingress.networking.k8s.io/shop created" in ingress_records
    assert re.search(r"^\s+shop\.goldentooth\.net\.\s+A\s+60\s+10\.4\.11\.2$",
                     ingress_records, re.M)
    assert re.search(
        r'^\s+a-shop\.goldentooth\.net\.\s+TXT\s+300\s+"heritage=external-dns,'
        r"external-dns/owner=external-dns-external-dns,"
        r'external-dns/resource=ingress/httpbin/shop"$', ingress_records, re.M)
    assert_gateway_step(gateway)
    assert ('external-dns.alpha.kubernetes.io/hostname: "api.httpbin.goldentooth.net" is outside '
            "the domains namespace shop may use (shop.goldentooth.net), so Service shop/api may "
            'not publish it (the domain policy dnsgate/dnsgate-domain-policy, rule "shop-team")'
            ) in namespace_domains
    assert ('external-dns.alpha.kubernetes.io/hostname: "blog.goldentooth.net" is owned in '
            'Route53 by owner id "cluster-b" (A record for service/web/blog)') in other_owner
    assert 'httproute.gateway.networking.k8s.io "stray" deleted' in removed
    assert "(none)" in removed
    assert re.search(r"degraded: holding \d+ deletes of record sets dnsgate owns \(\d+ over "
                     r"the threshold", mass_delete)
    assert re.search(r"^\s+Warning\s+DNSDeletesHeld\s+dnsgate-confirm-deletes$", mass_delete,
                     re.M)
    assert "configmap/dnsgate-confirm-deletes created" in mass_delete
    assert "after the confirmation: 0 A records left; /readyz: ok" in mass_delete
    assert out.count("[ok]") == 11 and "[FAILED]" not in out
    assert "All 11 steps did what they said." in out


def assert_gateway_step(gateway: str) -> None:
    """httpbin moves from its Service to an HTTPRoute: refused while the Service holds the
    name, published at the Gateway's address once the Service gives it up; a route no
    Gateway accepted is told why."""
    assert gateway.startswith("httpbin.goldentooth.net moves from its Service to an HTTPRoute "
                              "on Gateway edge, keeping its name"), gateway
    assert re.search(r"^\s+edge\s+dnsgate-devstack\s+10\.4\.11\.3$", gateway, re.M)
    refusal, after = gateway.split("the Service gives the name up", 1)
    assert ('admission webhook "validate-route.dnsgate.io" denied the request: spec.hostnames: '
            '"httpbin.goldentooth.net" is already claimed by Service httpbin/httpbin'
            ) in refusal
    assert "httproute.gateway.networking.k8s.io/httpbin created" not in refusal
    released, taken = after.split("httproute.gateway.networking.k8s.io/httpbin created", 1)
    assert "service/httpbin annotated" in released
    assert "httpbin.goldentooth.net." not in released  # the Service's records went first
    assert re.search(r"^\s+httpbin\.goldentooth\.net\.\s+A\s+60\s+10\.4\.11\.3$", taken, re.M)
    assert re.search(
        r'^\s+a-httpbin\.goldentooth\.net\.\s+TXT\s+300\s+"heritage=external-dns,'
        r"external-dns/owner=external-dns-external-dns,"
        r'external-dns/resource=httproute/httpbin/httpbin"$', taken, re.M)
    assert re.search(r"the name was unpublished for \d+\.\d\ds", taken)
    assert re.search(
        r"^\s+Warning\s+DNSNoRecord\s+HTTPRoute\s+stray\s+no Gateway has accepted the "
        r"HTTPRoute yet: its status\.parents is empty", taken, re.M)
    assert "stray.goldentooth.net." not in taken
