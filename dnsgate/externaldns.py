"""What dnsgate does with each ExternalDNS flag: one table, read by `dnsgate reconcile`, the
environment check, the tests and docs/flags.md.

`dnsgate reconcile` takes ExternalDNS's flags where it does the same thing, so the seed's
Deployment args carry over. Every flag of ExternalDNS, from v0.14.2 (the seed's) to the
latest release, is in one of three states:

- implemented: the same flag with the same meaning (a different default is in the note);
- mapped: accepted, and turned into what dnsgate does instead (`--metrics-address` serves
  dnsgate's health server there, `--events` is always on);
- ignored: accepted with a value, logged at start as having no effect, because dnsgate's
  design leaves nothing for it to tune (the caches and rate limits it sets do not exist in
  dnsgate). These are the tuning flags users carry from release to release: refusing them
  would stop the pod at start over a setting that changes no record;
- refused: dnsgate does not implement it. The flag, or an `EXTERNAL_DNS_` variable naming
  it, stops `dnsgate reconcile` at start with one line saying so and why, rather than being
  ignored: a user relying on it must learn that it has no effect.

Flags of the sources and providers dnsgate does not have are refused by family (every
`google-*` flag configures the Google provider), so a flag a later release adds to such a
family is classified already. Values of the flags that choose an implementation (`--source`,
`--provider`, `--registry`) are checked against `SUPPORTED_VALUES`: one place to extend when
dnsgate gains one.
"""

from __future__ import annotations

import argparse
import enum
from collections.abc import Mapping
from dataclasses import dataclass

from dnsgate import flags


class State(enum.Enum):
    IMPLEMENTED = "implemented"
    MAPPED = "mapped"
    IGNORED = "ignored"
    REFUSED = "refused"


@dataclass(frozen=True)
class Flag:
    name: str
    """Without the leading dashes, as ExternalDNS's help lists it."""
    state: State
    note: str
    """Implemented: how dnsgate differs, if at all. Mapped: what it becomes. Ignored and
    refused: why."""


SUPPORTED_VALUES: Mapping[str, tuple[str, ...]] = {
    "source": ("service", "ingress", "gateway-httproute", "gateway-grpcroute",
               "gateway-tlsroute", "gateway-tcproute", "gateway-udproute"),
    "provider": ("aws",),
    "registry": ("txt",),
    # dnsgate reads both annotation prefixes (docs/annotations.md), whichever is named.
    "annotation-prefix": ("external-dns.kubernetes.io/", "external-dns.alpha.kubernetes.io/"),
    "enable-legacy-annotation-prefix": ("true",),
}
"""Flags dnsgate accepts only with some values: the values it implements."""

_I, _M, _G, _R = State.IMPLEMENTED, State.MAPPED, State.IGNORED, State.REFUSED
_SERVICE_TYPES = ("dnsgate publishes LoadBalancer, ClusterIP and ExternalName Services, not "
                  "NodePort or headless ones (docs/annotations.md)")
_NO_TEMPLATES = "names come from the hostname annotation only; FQDN templates are not implemented"
_RECORD_TYPES = ("dnsgate manages A, AAAA and CNAME records (ExternalDNS's default set) and "
                 "their TXT ownership records")
_NO_TARGET_FILTER = "targets come from the Service and are not filtered"
_ZONE_CACHE = ("dnsgate lists the zones once and their records once per --interval, keeping "
               "them in memory in between: there is no cache to tune")
_KUBE_TIMEOUT = ("dnsgate's Kubernetes calls keep their own timeouts (the Service watch is "
                 "renewed every 300 s)")
_KUBE_RATE = ("dnsgate makes one list and one watch per kind it reads; there is no "
              "client-side rate to set")

_FLAGS = (
    # Kubernetes
    Flag("help", _I, "lists dnsgate's flags"),
    Flag("version", _I, "prints dnsgate's version"),
    Flag("server", _I, "overrides the API server of the kubeconfig or of the pod"),
    Flag("kubeconfig", _I, "without it: the pod's service account, else KUBECONFIG or "
                           "~/.kube/config"),
    Flag("request-timeout", _G, _KUBE_TIMEOUT),
    Flag("kube-api-request-timeout", _G, _KUBE_TIMEOUT),
    Flag("kube-api-qps", _G, _KUBE_RATE),
    Flag("kube-api-burst", _G, _KUBE_RATE),
    # The Service source
    Flag("source", _I, "service, ingress (docs/ingress.md) and the five gateway-* route sources "
         "(docs/gateway-api.md); default service"),
    Flag("namespace", _I, ""),
    Flag("label-filter", _I, "a label selector, applied by the API server to the Service watch"),
    Flag("annotation-filter", _R, "dnsgate selects Services by --namespace and --label-filter"),
    Flag("annotation-prefix", _M, "dnsgate reads both prefixes, whichever is named"),
    Flag("enable-legacy-annotation-prefix", _M, "true only: dnsgate always reads the legacy "
                                                "external-dns.alpha.kubernetes.io/ prefix"),
    Flag("resolve-service-load-balancer-hostname", _R, "dnsgate publishes a load-balancer "
                                                       "hostname as an alias or a CNAME, "
                                                       "unresolved"),
    Flag("listen-endpoint-events", _R, _SERVICE_TYPES),
    Flag("publish-internal-services", _I, ""),
    Flag("publish-host-ip", _R, _SERVICE_TYPES),
    Flag("always-publish-not-ready-addresses", _R, _SERVICE_TYPES),
    Flag("service-type-filter", _R, _SERVICE_TYPES),
    Flag("fqdn-template", _R, _NO_TEMPLATES),
    Flag("fqdn-target-template", _R, _NO_TEMPLATES),
    Flag("target-template", _R, _NO_TEMPLATES),
    Flag("combine-fqdn-annotation", _R, _NO_TEMPLATES),
    Flag("ignore-hostname-annotation", _R, _NO_TEMPLATES),
    Flag("compatibility", _R, "the legacy annotations of mate, molecule and kops are not read"),
    Flag("managed-record-types", _R, _RECORD_TYPES),
    Flag("exclude-record-types", _R, _RECORD_TYPES),
    Flag("default-targets", _R, "targets come from the Service: the target annotation, "
                                "externalIPs or the load-balancer status"),
    Flag("force-default-targets", _R, "targets come from the Service: the target annotation, "
                                      "externalIPs or the load-balancer status"),
    Flag("target-net-filter", _R, _NO_TARGET_FILTER),
    Flag("exclude-target-net", _R, _NO_TARGET_FILTER),
    Flag("nat64-networks", _R, _NO_TARGET_FILTER),
    Flag("create-ptr", _R, "PTR records are not implemented"),
    # The Ingress source (docs/ingress.md)
    Flag("ingress-class", _I, ""),
    Flag("ignore-ingress-tls-spec", _I, ""),
    Flag("ignore-ingress-rules-spec", _I, ""),
    # The Gateway API route sources (docs/gateway-api.md)
    Flag("gateway-name", _I, ""),
    Flag("gateway-namespace", _I, ""),
    Flag("gateway-label-filter", _I, ""),
    Flag("gateway-listener-sets", _R, "ListenerSets are not read: routes attach to Gateways "
         "only (docs/gateway-api.md)"),
    # Other sources
    Flag("pod-source-domain", _R, "the pod source is not implemented"),
    Flag("ignore-non-host-network-pods", _R, "the pod source is not implemented"),
    Flag("exclude-unschedulable", _R, "the node source is not implemented"),
    Flag("expose-internal-ipv6", _R, "the node source is not implemented"),
    Flag("unstructured-resource", _R, "the unstructured source is not implemented"),
    # Route53
    Flag("provider", _I, "aws only"),
    Flag("domain-filter", _I, ""),
    Flag("exclude-domains", _I, ""),
    Flag("regex-domain-filter", _R, "use --domain-filter and --exclude-domains (domain "
                                    "suffixes on a dot boundary)"),
    Flag("regex-domain-exclusion", _R, "use --domain-filter and --exclude-domains (domain "
                                       "suffixes on a dot boundary)"),
    Flag("zone-name-filter", _R, "ExternalDNS's Azure provider reads it; for Route53 use "
                                 "--domain-filter or --zone-id-filter"),
    Flag("zone-id-filter", _I, ""),
    Flag("aws-zone-type", _I, ""),
    Flag("aws-zone-tags", _R, "zones are chosen by --domain-filter, --zone-id-filter and "
                              "--aws-zone-type"),
    Flag("aws-zone-match-parent", _R, "zones are chosen by --domain-filter, --zone-id-filter "
                                      "and --aws-zone-type"),
    Flag("aws-profile", _I, "one profile (ExternalDNS accepts several, for several accounts)"),
    Flag("aws-assume-role", _R, "use a profile with role_arn (--aws-profile) or IRSA's "
                                "AWS_ROLE_ARN, which boto3 assumes itself"),
    Flag("aws-assume-role-external-id", _R, "use a profile with role_arn and external_id "
                                            "(--aws-profile), which boto3 assumes itself"),
    Flag("aws-batch-change-size", _I, "an UPSERT counts as two changes (ExternalDNS counts "
                                      "one), so a batch is never larger than asked"),
    Flag("aws-batch-change-size-bytes", _I, ""),
    Flag("aws-batch-change-size-values", _I, ""),
    Flag("aws-batch-change-interval", _I, "default 0s: every Route53 call is already paced "
                                          "to 5 per second (ExternalDNS: 1s)"),
    Flag("aws-api-retries", _M, "retries of a throttled or failed Route53 call, with dnsgate's "
                                "backoff (default 5; ExternalDNS: 3)"),
    Flag("aws-evaluate-target-health", _I, ""),
    Flag("aws-prefer-cname", _I, ""),
    Flag("prefer-alias", _R, "AWS targets become aliases as ExternalDNS makes them; turning "
                             "every other CNAME into an alias is not implemented (the alias "
                             "annotation does it per Service)"),
    Flag("aws-zones-cache-duration", _G, _ZONE_CACHE),
    Flag("provider-cache-time", _G, _ZONE_CACHE),
    Flag("batch-change-size", _R, "other providers read it; Route53's is "
                                  "--aws-batch-change-size"),
    Flag("batch-change-interval", _R, "other providers read it; Route53's is "
                                      "--aws-batch-change-interval"),
    # Registry and policy
    Flag("policy", _I, ""),
    Flag("registry", _I, "txt only"),
    Flag("txt-owner-id", _I, ""),
    Flag("txt-prefix", _I, ""),
    Flag("txt-suffix", _I, ""),
    Flag("txt-wildcard-replacement", _I, ""),
    Flag("txt-encrypt-enabled", _I, ""),
    Flag("txt-encrypt-aes-key", _I, ""),
    Flag("txt-cache-interval", _G, _ZONE_CACHE),
    Flag("migrate-from-txt-owner", _I, "with --once only: takes just the records whose "
                                       "resource is an object here asking for them, and "
                                       "rewrites their TXT even when nothing else changes"),
    Flag("min-ttl", _R, "the webhook's --default-ttl gives Services without a ttl one"),
    # The loop
    Flag("interval", _I, "default 15m (ExternalDNS: 1m): Service changes are applied as "
                         "they happen, so the resync only repairs drift"),
    Flag("min-event-sync-interval", _G, "dnsgate applies each burst of Service events as one "
                                        "batch, 0.2 s after the burst pauses, and paces its "
                                        "Route53 calls itself"),
    Flag("once", _I, ""),
    Flag("dry-run", _I, "prints the planned changes as a table"),
    Flag("events", _M, "always on: dnsgate syncs on every Service change"),
    Flag("events-emit", _R, "dnsgate always records its own Events (DNSSynced, DNSSyncFailed, "
                            "DNSOwnershipConflict, DNSInvalidAnnotations) on the Service"),
    # Miscellaneous
    Flag("log-format", _I, ""),
    Flag("log-level", _M, "trace becomes debug; fatal and panic become error"),
    Flag("metrics-address", _M, "serves dnsgate's /healthz, /readyz and /metrics there; off "
                                "unless given (ExternalDNS: :7979)"),
    Flag("webhook-server", _R, "dnsgate is not an ExternalDNS webhook provider"),
)

FAMILIES: Mapping[str, str] = {
    "akamai-": "the Akamai provider",
    "alibaba-cloud-": "the Alibaba Cloud provider",
    "aws-sd-": "the AWS Cloud Map provider (aws-sd)",
    "azure-": "the Azure providers",
    "bluecat-": "the BlueCat provider",
    "cf-": "the Cloud Foundry source",
    "cloudflare-": "the Cloudflare provider",
    "connector-": "the connector source",
    "coredns-": "the CoreDNS provider",
    "crd-": "the CRD source and registry",
    "digitalocean-": "the DigitalOcean provider",
    "dyn-": "the Dyn provider",
    "dynamodb-": "the DynamoDB registry",
    "exoscale-": "the Exoscale provider",
    "gateway-": "a Gateway API source setting dnsgate does not implement",
    "gloo-": "the Gloo source",
    "godaddy-": "the GoDaddy provider",
    "google-": "the Google Cloud DNS provider",
    "ibmcloud-": "the IBM Cloud provider",
    "infoblox-": "the Infoblox provider",
    "inmemory-": "the in-memory provider",
    "ns1-": "the NS1 provider",
    "oci-": "the Oracle Cloud provider",
    "openshift-": "the OpenShift Route source",
    "ovh-": "the OVH provider",
    "pdns-": "the PowerDNS provider",
    "pihole-": "the Pi-hole provider",
    "plural-": "the Plural provider",
    "rcodezero-": "the RcodeZero provider",
    "rfc2136-": "the RFC 2136 provider",
    "skipper-": "the Skipper RouteGroup source",
    "tencent-cloud-": "the Tencent Cloud provider",
    "tls-": "client TLS of the PowerDNS and RFC 2136 providers",
    "traefik-": "the Traefik source",
    "transip-": "the TransIP provider",
    "webhook-provider-": "the webhook provider",
}
"""Flag name prefixes of the sources, providers and registries dnsgate does not have."""

FLAGS: Mapping[str, Flag] = {flag.name: flag for flag in _FLAGS}


def lookup(name: str) -> Flag | None:
    """The flag's entry (name without dashes), or None if ExternalDNS has no such flag."""
    if name in FLAGS:
        return FLAGS[name]
    family = max((p for p in FAMILIES if name.startswith(p)), key=len, default=None)
    if family is None:
        return None
    return Flag(name, State.REFUSED, f"it configures {FAMILIES[family]}")


def refusal(option: str) -> str | None:
    """Why dnsgate refuses this ExternalDNS option (`--google-project`, `--no-events`), as a
    one-line message naming it; None when it is not a refused ExternalDNS flag."""
    name = option.lstrip("-")
    flag = lookup(name)
    if flag is None and name.startswith("no-"):
        flag = lookup(name[3:])
    if flag is None or flag.state is not State.REFUSED:
        return None
    return (f"--{flag.name} is an ExternalDNS flag that dnsgate does not implement: "
            f"{flag.note} (docs/flags.md)")


def unsupported_value(name: str, values: tuple[str, ...]) -> str | None:
    """A one-line refusal when a value of `--name` is not one dnsgate implements."""
    supported = SUPPORTED_VALUES.get(name)
    if supported is None:
        return None
    for value in values:
        if value not in supported:
            return (f'--{name} "{value}" is not implemented by dnsgate; supported: '
                    f"{', '.join(supported)}")
    return None


def add_ignored(parser: argparse.ArgumentParser) -> None:
    """Accept every ignored flag (each takes a value, as in ExternalDNS), also from its
    DNSGATE_ and EXTERNAL_DNS_ variables; `ignored_given` says which were set."""
    for flag in FLAGS.values():
        if flag.state is State.IGNORED:
            flags.add(parser, f"--{flag.name}", default="", external_dns=True,
                      help=f"accepted for ExternalDNS compatibility, no effect: {flag.note}")


def ignored_given(args: argparse.Namespace) -> tuple[str, ...]:
    """One line per ignored flag that was set, saying it has no effect and why."""
    return tuple(f"--{flag.name} has no effect in dnsgate: {flag.note} (docs/flags.md)"
                 for flag in FLAGS.values()
                 if flag.state is State.IGNORED
                 and bool(getattr(args, flag.name.replace("-", "_"), "")))
