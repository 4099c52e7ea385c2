"""What gets published: every setting that decides which objects publish which names, parsed
by one function for both deployables (docs/flags.md, "Settings both deployables read").

`dnsgate webhook` and `dnsgate reconcile` each call `add_arguments` and `from_args`, so they
take the same flags, from the same `DNSGATE_*` and `EXTERNAL_DNS_*` variables, with the same
checks, into one frozen `Publication`; each side then slices it (the reconciler into its
source and registry settings, the webhook into its admission settings and its watch). A
setting read by one side only would let the webhook hold a name at the door for a Service
the reconciler never publishes, or admit a name the reconciler refuses.

The settings, and why each decides names:
- `--source`: which kinds publish at all (a Service publishes nothing without `service`);
- `--namespace`, `--label-filter`: which objects are read at all (`Scope`);
- `--domain-filter`, `--exclude-domains`: which names;
- `--publish-internal-services`: whether a ClusterIP Service's `hostname` names publish;
- `--ingress-class`, `--ignore-ingress-tls-spec`, `--ignore-ingress-rules-spec`: which
  Ingresses publish, and which of their hosts;
- `--gateway-name`, `--gateway-namespace`, `--gateway-label-filter`: which Gateways attach
  routes of the `gateway-*` sources (docs/gateway-api.md);
- `--txt-prefix`, `--txt-suffix`, `--txt-wildcard-replacement`: the ownership TXT name each
  name needs, which must fit DNS for the name to be published;
- `--txt-owner-id`: whose TXT records make a Service the holder of a name;
- `--annotation-prefix`, `--enable-legacy-annotation-prefix`: which annotations are read
  (dnsgate reads both prefixes; other values are refused);
- `--domain-policy`: the ConfigMap saying which domains each namespace may use
  (`dnsgate.domainpolicy`, docs/namespace-domains.md);
- `--owners-index`: the ConfigMap where the reconciler lists the names other owner ids hold
  and the webhook reads them (`dnsgate.owners`).
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from dnsgate import domainpolicy, externaldns, flags, gateway, ingress, labels, owners, txtname
from dnsgate.domains import DomainFilter
from dnsgate.errors import ConfigError
from dnsgate.gateway import GatewaySettings
from dnsgate.ingress import IngressSettings

SERVICE, INGRESS = "service", "ingress"


@dataclass(frozen=True)
class Scope:
    """Which objects are dnsgate's at all: the rest publish nothing and claim nothing."""

    sources: tuple[str, ...] = (SERVICE,)
    """--source: the kinds that publish: "service", "ingress", the `gateway-*` route sources."""
    namespace: str = ""
    """--namespace: the one namespace read; empty reads all (ExternalDNS's default)."""
    labels: labels.Selector = labels.EVERYTHING
    """--label-filter: the objects whose labels it matches (the API server applies it to
    every list and watch; the webhook's review to the object being written)."""

    def watches(self, kind: str) -> bool:
        return kind in self.sources

    def selects(self, obj: Mapping[str, Any], namespace: str | None = None) -> bool:
        """Whether `obj` is in the namespace read and matches the label filter (whether its
        kind is read is `watches`'s to say); `namespace`: where it is stored, when its
        metadata may lack it (a CREATE)."""
        metadata = obj.get("metadata") or {}
        where = namespace or metadata.get("namespace") or ""
        return ((not self.namespace or where == self.namespace)
                and self.labels.matches(metadata.get("labels")))


@dataclass(frozen=True)
class Publication:
    """The settings that decide which names are published, and by whom."""

    domains: DomainFilter
    scope: Scope = field(default_factory=Scope)
    txt: txtname.TXTNaming = txtname.DEFAULT
    owner_id: str = "default"
    """ExternalDNS's default owner id, so a zone it manages unconfigured is ours by default."""
    publish_internal: bool = False
    ingress: IngressSettings = ingress.DEFAULT
    gateway: GatewaySettings = gateway.DEFAULT
    domain_policy: str = ""
    """--domain-policy: "<namespace>/<name>" of the domain policy ConfigMap; empty: none."""
    owners_index: owners.Location | None = None
    """--owners-index: where the names other owner ids hold are listed; None: nowhere."""

    @property
    def ingresses(self) -> IngressSettings | None:
        """The Ingress settings when Ingresses are a source, else None."""
        return self.ingress if self.scope.watches(INGRESS) else None

    @property
    def route_kinds(self) -> tuple[str, ...]:
        """The route kinds ("HTTPRoute", ...) of the `gateway-*` sources given, in order."""
        return tuple(gateway.SOURCES[s].name for s in self.scope.sources if s in gateway.SOURCES)


def add_arguments(parser: argparse.ArgumentParser, *, domains_required: bool = False,
                  only: Collection[str] | None = None) -> None:
    """The shared flags, each also read from DNSGATE_<FLAG> and EXTERNAL_DNS_<FLAG>.
    `domains_required`: the webhook will not start without a domain filter. `only`: the
    flags a tool acts on (`dnsgate iam-policy` reads the domains alone); `from_args` needs
    the others' defaults filled in (`reconciler.cli.settings`)."""
    if isinstance(parser, flags.Parser):
        parser.explain_unknown = externaldns.refusal

    def add(flag: str, **kwargs: Any) -> None:
        if only is None or flag in only:
            flags.add(parser, flag, external_dns=True, **kwargs)

    def own(flag: str, **kwargs: Any) -> None:  # dnsgate's own: no EXTERNAL_DNS_ variable
        if only is None or flag in only:
            flags.add(parser, flag, **kwargs)

    add("--source", action="append", metavar="SOURCE",
        help="resources whose names are published: service, ingress, gateway-httproute, "
             "gateway-grpcroute, gateway-tlsroute, gateway-tcproute, gateway-udproute "
             "(repeatable; default service)")
    add("--namespace", default="", help="read only this namespace (default all)")
    add("--label-filter", default="",
        help="read only Services, Ingresses and routes matching this label selector "
             "(default all)")
    add("--domain-filter", action="append", metavar="DOMAIN", required=domains_required,
        help="manage only names in these domains (dot boundary; repeatable)")
    add("--exclude-domains", action="append", metavar="DOMAIN",
        help="never manage names in these subdomains (repeatable)")
    add("--publish-internal-services", action="store_true",
        help="publish ClusterIP Services' hostnames with their cluster IP")
    add("--ingress-class", action="append", metavar="CLASS",
        help="publish only Ingresses of these classes (repeatable; default all)")
    add("--ignore-ingress-tls-spec", action="store_true",
        help="take no names from Ingresses' spec.tls[].hosts")
    add("--ignore-ingress-rules-spec", action="store_true",
        help="take no names from Ingresses' spec.rules[].host")
    add("--gateway-name", default="",
        help="only Gateways of this name attach routes (default all names)")
    add("--gateway-namespace", default="",
        help="only Gateways in this namespace attach routes (default all namespaces)")
    add("--gateway-label-filter", default="",
        help="only Gateways matching this label selector attach routes (default all)")
    add("--txt-owner-id", default="default",
        help="owner id written to and required in ownership TXT records")
    add("--txt-prefix", default="", help="prefix for ownership TXT names")
    add("--txt-suffix", default="", help="suffix for the first label of ownership TXT names")
    add("--txt-wildcard-replacement", default="",
        help="label that replaces a leading '*' in ownership TXT names")
    add("--annotation-prefix", default="",
        help="accepted as external-dns.kubernetes.io/ or external-dns.alpha.kubernetes.io/: "
             "dnsgate reads both")
    add("--enable-legacy-annotation-prefix", action="store_true", default=True,
        help="accepted as true: dnsgate always reads external-dns.alpha.kubernetes.io/ too")
    own("--domain-policy", default="", metavar="NAMESPACE/NAME",
        help="ConfigMap whose policy.yaml says which domains each namespace may use "
             "(docs/namespace-domains.md; default none: every namespace any domain)")
    own("--owners-index", default="", metavar="NAMESPACE/NAME",
        help="ConfigMap where the reconciler lists the names Route53 shows owned by "
             "other owner ids, and the webhook refuses them (default: off)")


def from_args(args: argparse.Namespace) -> Publication:
    """The one parse of the shared flags; a `ConfigError` naming the flag if one is wrong."""
    sources = tuple(dict.fromkeys(args.source or (SERVICE,)))
    chosen = {
        "source": sources,
        "annotation-prefix": (args.annotation_prefix,) if args.annotation_prefix else (),
        "enable-legacy-annotation-prefix": (str(args.enable_legacy_annotation_prefix).lower(),),
    }
    for name, values in chosen.items():
        message = externaldns.unsupported_value(name, values)
        if message:
            raise ConfigError(message)
    naming_error = txtname.naming_error(args.txt_prefix, args.txt_suffix,
                                        args.txt_wildcard_replacement)
    if naming_error:
        raise ConfigError(naming_error)
    if args.domain_policy:
        try:
            domainpolicy.reference(args.domain_policy)
        except ValueError as exc:
            raise ConfigError(f"--domain-policy {exc}") from exc
    try:
        owners_index = owners.Location.parse(args.owners_index)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if args.txt_owner_id == "":
        raise ConfigError('--txt-owner-id "" is empty; give the owner id your zone\'s TXT '
                          "records carry, e.g. external-dns-external-dns")
    return Publication(
        domains=DomainFilter.of(args.domain_filter, args.exclude_domains),
        scope=Scope(sources=sources, namespace=args.namespace,
                    labels=label_selector(args.label_filter)),
        txt=txtname.TXTNaming(args.txt_prefix, args.txt_suffix, args.txt_wildcard_replacement),
        owner_id=args.txt_owner_id,
        publish_internal=args.publish_internal_services,
        ingress=IngressSettings(classes=tuple(args.ingress_class or ()),
                                ignore_tls_spec=args.ignore_ingress_tls_spec,
                                ignore_rules_spec=args.ignore_ingress_rules_spec),
        gateway=GatewaySettings(name=args.gateway_name, namespace=args.gateway_namespace,
                                label_filter=gateway_label_selector(
                                    args.gateway_label_filter).text),
        domain_policy=args.domain_policy,
        owners_index=owners_index,
    )


def label_selector(text: str) -> labels.Selector:
    """--label-filter parsed, as ExternalDNS refuses at start a selector that does not parse."""
    try:
        return labels.parse(text)
    except ValueError as exc:
        raise ConfigError(f'--label-filter "{text}" is not a label selector: {exc}; write '
                          'e.g. "dns=public", "tier in (web,api)" or "!legacy"') from exc


def gateway_label_selector(text: str) -> labels.Selector:
    """--gateway-label-filter parsed, refused at start as ExternalDNS refuses it: ExternalDNS
    reads it as a label selector object, unlike --label-filter (docs/label-selectors.md)."""
    try:
        return labels.parse_object(text)
    except ValueError as exc:
        raise ConfigError(f'--gateway-label-filter "{text}" is not a label selector: {exc}; '
                          'write e.g. "gateway=public", or "tier notin (internal)" for '
                          '"tier!=internal"') from exc


def flag_names(parser: argparse.ArgumentParser | None = None) -> tuple[str, ...]:
    """The shared flags (the chart's extraArgs check and the tests walk them)."""
    if parser is None:
        parser = flags.Parser(prog="shared")
        add_arguments(parser)
    return tuple(setting.flag for setting in flags.settings(parser))
