"""What a Service of each type publishes: the rule the webhook checks and the reconciler
follows, taken from ExternalDNS's Service source (docs/annotations.md).

The `target` annotation, when set, is what every name points at, whatever the type.
Otherwise, for `hostname` names:

| type | targets |
|---|---|
| LoadBalancer | `spec.externalIPs`, else `status.loadBalancer.ingress` (IPs and hostnames) |
| ClusterIP | `spec.clusterIP`, only with `--publish-internal-services` |
| ExternalName | `spec.externalIPs`, else `spec.externalName` |
| NodePort, headless ClusterIP | node or pod addresses: not published by dnsgate, so refused |

`internal-hostname` names point at `spec.clusterIP` on LoadBalancer and ClusterIP Services,
and at what `hostname` names get on the other types. A Service whose type dnsgate cannot
publish is refused at admission (and reported by the reconciler), saying what would work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dnsgate import annotations as dns_annotations
from dnsgate.annotations import DNSAnnotations
from dnsgate.values import Problem

LOAD_BALANCER, CLUSTER_IP, NODE_PORT, EXTERNAL_NAME = (
    "LoadBalancer", "ClusterIP", "NodePort", "ExternalName")
HEADLESS = "None"  # spec.clusterIP of a headless Service
PUBLISHABLE = (LOAD_BALANCER, CLUSTER_IP, NODE_PORT, EXTERNAL_NAME)


@dataclass(frozen=True)
class Targets:
    """What the Service's names point at: `hostname` names, and `internal-hostname` ones."""

    public: tuple[str, ...] = ()
    internal: tuple[str, ...] = ()


def kind(spec: Mapping[str, Any]) -> str:
    return str(spec.get("type") or CLUSTER_IP)


def rules(dns: DNSAnnotations, spec: Mapping[str, Any], *, publish_internal: bool = False
          ) -> tuple[list[Problem], list[str]]:
    """Problems (the Service cannot be published as asked) and warnings (an annotation has
    no effect on this type) for a Service of `spec` asking for `dns`."""
    problems: list[Problem] = []
    warnings: list[str] = []
    service_type = kind(spec)
    names_key = dns.prefix + (dns_annotations.HOSTNAME if dns.hostnames
                              else dns_annotations.INTERNAL_HOSTNAME)
    names = ",".join(dns.names)
    if not dns.targets and service_type == NODE_PORT:
        problems.append(Problem(
            names_key, names,
            "is on a NodePort Service, which dnsgate does not publish (ExternalDNS gives such "
            "a Service its nodes' addresses and SRV records); use type LoadBalancer, or set "
            f"{dns.prefix}{dns_annotations.TARGET}", "service-type-unsupported"))
    if not dns.targets and service_type == CLUSTER_IP and spec.get("clusterIP") == HEADLESS:
        problems.append(Problem(
            names_key, names,
            "is on a headless Service (clusterIP: None), which dnsgate does not publish "
            "(ExternalDNS gives it the addresses of its pods); give it a cluster IP, or set "
            f"{dns.prefix}{dns_annotations.TARGET}", "service-type-unsupported"))
    if dns.hostnames and not dns.targets and service_type == CLUSTER_IP and (
            spec.get("clusterIP") != HEADLESS) and not publish_internal:
        warnings.append(f"{dns.prefix}{dns_annotations.HOSTNAME}: a ClusterIP Service is "
                        "published only with --publish-internal-services")
    if dns.access is not None and (service_type != NODE_PORT or dns.targets):
        warnings.append(f"{dns.prefix}{dns_annotations.ACCESS} has no effect here: it picks node "
                        "addresses of a NodePort Service only")
    return problems, warnings


def published(dns: DNSAnnotations, spec: Mapping[str, Any], *,
              publish_internal: bool) -> tuple[str, ...]:
    """The names a Service of `spec` gets records for once it has its addresses: none when
    `rules` has a problem; a ClusterIP Service's `hostname` names only with
    `publish_internal`."""
    if rules(dns, spec)[0]:
        return ()
    service_type = kind(spec)
    public = bool(dns.targets) or service_type in (LOAD_BALANCER, EXTERNAL_NAME) or (
        service_type == CLUSTER_IP and publish_internal)
    return tuple(dict.fromkeys((*(dns.hostnames if public else ()), *dns.internal_hostnames)))


def targets(service: Mapping[str, Any], dns: DNSAnnotations, *,
            publish_internal: bool) -> Targets:
    """The targets of the Service's names, as ExternalDNS's Service source picks them."""
    if dns.targets:
        return Targets(dns.targets, dns.targets)
    spec: Mapping[str, Any] = service.get("spec") or {}
    service_type = kind(spec)
    cluster_ip = spec.get("clusterIP") or ""
    cluster = (cluster_ip,) if cluster_ip and cluster_ip != HEADLESS else ()
    external_ips = tuple(spec.get("externalIPs") or ())
    if service_type == LOAD_BALANCER:
        ingress = (service.get("status") or {}).get("loadBalancer", {}).get("ingress") or ()
        addresses = external_ips or tuple(
            value for entry in ingress for value in (entry.get("ip"), entry.get("hostname"))
            if value)
        return Targets(addresses, cluster)
    if service_type == CLUSTER_IP:
        return Targets(cluster if publish_internal else (), cluster)
    if service_type == EXTERNAL_NAME:
        named = external_ips or tuple(filter(None, (spec.get("externalName"),)))
        return Targets(named, named)
    return Targets()
