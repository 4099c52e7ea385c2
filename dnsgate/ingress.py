"""What an Ingress (networking.k8s.io/v1) asks for, read as ExternalDNS's Ingress source reads
it (docs/ingress.md): pure functions the webhook and the reconciler both use.

Names: every `spec.rules[].host` (unless --ignore-ingress-rules-spec), every
`spec.tls[].hosts[]` (unless --ignore-ingress-tls-spec), then the hostname annotation; the
`ingress-hostname-source` annotation keeps only the first two (`defined-hosts-only`) or only
the annotation (`annotation-only`). A name from the spec outside --domain-filter is left out
silently, as ExternalDNS's domain filter leaves it: an Ingress often serves names that other
tools publish. Targets: the `target` annotation, else `status.loadBalancer.ingress` (each
entry's IP, then its hostname), written by the ingress controller.

--ingress-class keeps only Ingresses whose `spec.ingressClassName` is one of the classes
or, without one, whose `kubernetes.io/ingress.class` annotation is. An Ingress is keyed
`ingress/<namespace>/<name>`, which is also the resource label of its ownership TXT records
(a Service's key is `<namespace>/<name>`, its label `service/<namespace>/<name>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dnsgate import annotations as dns_annotations
from dnsgate import objectkey, txtname
from dnsgate.domains import DomainFilter
from dnsgate.values import Problem

KIND = objectkey.INGRESS.name
API_VERSION = objectkey.INGRESS.api_version
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
HOSTNAME_SOURCE = "ingress-hostname-source"
DEFINED_HOSTS_ONLY = "defined-hosts-only"
ANNOTATION_ONLY = "annotation-only"
SPEC_HOSTS = "spec.rules[].host, spec.tls[].hosts"  # where spec names come from, in messages


@dataclass(frozen=True)
class IngressSettings:
    """ExternalDNS's Ingress source flags, as the reconciler and the webhook both read them."""

    classes: tuple[str, ...] = ()
    """--ingress-class (repeatable): only Ingresses of these classes; empty: every one."""
    ignore_tls_spec: bool = False
    """--ignore-ingress-tls-spec: `spec.tls[].hosts` give no names."""
    ignore_rules_spec: bool = False
    """--ignore-ingress-rules-spec: `spec.rules[].host` give no names."""


DEFAULT = IngressSettings()


def is_ingress(obj: Mapping[str, Any]) -> bool:
    """Whether `obj` is an Ingress (the watch cache marks its copies with their kind)."""
    return obj.get("kind") == KIND


def selected(ingress: Mapping[str, Any], settings: IngressSettings) -> bool:
    """--ingress-class: the class field decides when set, else the class annotation."""
    if not settings.classes:
        return True
    named = str((ingress.get("spec") or {}).get("ingressClassName") or "")
    if named:
        return named in settings.classes
    notes = (ingress.get("metadata") or {}).get("annotations") or {}
    return notes.get(CLASS_ANNOTATION) in settings.classes


def spec_hosts(ingress: Mapping[str, Any], settings: IngressSettings) -> tuple[str, ...]:
    """The hosts of the rules, then of the TLS sections, as written (empty ones skipped)."""
    spec = ingress.get("spec") or {}
    hosts: list[str] = []
    if not settings.ignore_rules_spec:
        hosts += [str(rule.get("host")) for rule in spec.get("rules") or ()
                  if isinstance(rule, Mapping) and rule.get("host")]
    if not settings.ignore_tls_spec:
        hosts += [str(host) for tls in spec.get("tls") or () if isinstance(tls, Mapping)
                  for host in tls.get("hosts") or () if host]
    return tuple(hosts)


def addresses(ingress: Mapping[str, Any]) -> tuple[str, ...]:
    """What the ingress controller reports in `status.loadBalancer.ingress`."""
    entries = ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    return tuple(str(value) for entry in entries if isinstance(entry, Mapping)
                 for value in (entry.get("ip"), entry.get("hostname")) if value)


def parse(ingress: Mapping[str, Any], domains: DomainFilter,
          txt: txtname.Naming = txtname.DEFAULT, settings: IngressSettings = DEFAULT
          ) -> dns_annotations.Parsed:
    """The Ingress's names and DNS annotations, checked by the rules Services follow."""
    notes = dict((ingress.get("metadata") or {}).get("annotations") or {})
    problems: list[Problem] = []
    hosts = spec_hosts(ingress, settings)
    source = dns_annotations.find(notes, HOSTNAME_SOURCE)
    if source is not None:
        chosen = source.value.lower()
        if chosen == DEFINED_HOSTS_ONLY:
            notes = {k: v for k, v in notes.items()
                     if k not in {p + dns_annotations.HOSTNAME for p in dns_annotations.PREFIXES}}
        elif chosen == ANNOTATION_ONLY:
            hosts = ()
        else:
            problems.append(Problem(
                source.key, source.value,
                f"is neither {DEFINED_HOSTS_ONLY} nor {ANNOTATION_ONLY}; ExternalDNS would "
                "publish no name of this Ingress; use one of the two, or remove it",
                "ingress-hostname-source"))
    internal = dns_annotations.find(notes, dns_annotations.INTERNAL_HOSTNAME)
    if internal is not None:
        problems.append(Problem(
            internal.key, internal.value,
            "applies to Services only: ExternalDNS's Ingress source does not read it; name "
            f"the hosts in the Ingress's rules or in {internal.key.split('/')[0]}/"
            f"{dns_annotations.HOSTNAME}", "ingress-internal-hostname"))
        for prefix in dns_annotations.PREFIXES:
            notes.pop(prefix + dns_annotations.INTERNAL_HOSTNAME, None)
    inside = tuple(host for host in hosts if domains.rejection(host.rstrip(".")) is None)
    parsed = dns_annotations.parse(notes, domains, txt, addresses(ingress),
                                   hosts=inside, hosts_field=SPEC_HOSTS)
    if not problems or parsed.ignored:
        return parsed
    return dns_annotations.Parsed(None, (*problems, *parsed.problems), parsed.warnings,
                                  parsed.hostnames, parsed.set_identifier)


def slim(ingress: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an Ingress dnsgate reads, marked with its kind (list items carry none):
    an Ingress's paths and backends are most of its JSON and say nothing about names."""
    meta = ingress.get("metadata") or {}
    spec = ingress.get("spec") or {}
    kept_meta = {name: meta[name] for name in ("name", "namespace", "uid", "resourceVersion",
                                               "generation", "creationTimestamp",
                                               "deletionTimestamp") if name in meta}
    notes = meta.get("annotations")
    if notes:
        kept_meta["annotations"] = {k: v for k, v in notes.items()
                                    if k != "kubectl.kubernetes.io/last-applied-configuration"}
    kept_spec: dict[str, Any] = {}
    if spec.get("ingressClassName"):
        kept_spec["ingressClassName"] = spec["ingressClassName"]
    kept_spec["rules"] = [{"host": rule["host"]} for rule in spec.get("rules") or ()
                          if isinstance(rule, Mapping) and rule.get("host")]
    kept_spec["tls"] = [{"hosts": list(tls.get("hosts") or ())} for tls in spec.get("tls") or ()
                        if isinstance(tls, Mapping)]
    status = ingress.get("status") or {}
    return {"kind": KIND, "metadata": kept_meta, "spec": kept_spec,
            "status": {"loadBalancer": status.get("loadBalancer") or {}}}
