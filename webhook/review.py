"""The admission decision for one request: pure functions from request to verdict.

`validate` refuses a Service whose DNS annotations have any problem (every problem listed
at once) or that claims a hostname another Service holds; `mutate` adds the default TTL.
Neither does I/O: the cluster's claims come in through `index.ClaimLookup`, settings through
`AdmissionSettings`. Only core/v1 Services (and Ingresses, below) on CREATE and UPDATE are
looked at; everything else is allowed untouched. Dry-run requests get the same verdict
(there are no side effects to skip: sideEffects None).

A Service is also refused when its type cannot be published as asked
(`dnsgate.service_types`), and left alone when its controller annotation names another
controller, as ExternalDNS leaves it.

Claims follow `dnsgate.claims`, the rule the reconciler applies too: a Service claims the
record sets (name, set identifier) it would publish (for its type, with annotations without
a problem), and a contested record set stays with its holder (the Service its ownership
record names), else with the senior Service. At the door the webhook is stricter than that
tie-break: a name another Service claims (without different set-identifiers) is refused,
unless this Service holds that record set. One exception keeps old contests editable: on
UPDATE, a record set the Service already claimed validly before (its oldObject would have
been counted as a claim on the same name with the same set identifier: a published name,
annotations without a problem) is only warned about, naming who keeps the record. A new set
identifier is a claim on another record set, checked as a newcomer's: holding (www, green)
gives no right to (www, blue). An old object whose annotations had a problem claimed
nothing, so it cannot carry a name past the check.

Each object's annotations are parsed once per review: the object's and the oldObject's.

An object outside the reconciler's `--namespace` or `--label-filter` (`AdmissionSettings.scope`,
the same settings, parsed by the same function) is allowed untouched by both routes: no
annotation check, no claim check, no default TTL. The reconciler never reads it, so it
publishes nothing and claims nothing (the index, fed by a list and watch with the same
namespace and selector, holds no claim of it either), and its annotations may be meant for
another controller that reads them by other rules (a second dnsgate or ExternalDNS split off by
label). Nothing slips past this way: the write that brings the object into scope (a label
added) is an UPDATE, reviewed in full, and its oldObject, being out of scope, counts as having
claimed nothing.

With the Ingress source on (`AdmissionSettings.ingresses`), networking.k8s.io/v1 Ingresses
are reviewed by the same rules against the same claims: their names are the rules' and TLS
hosts and the hostname annotation (`dnsgate.ingress`), a name a Service holds cannot be
taken by an Ingress, nor the reverse. An Ingress publishes its hosts without any DNS
annotation, so it gets the default TTL whenever it has a name; with no hostname annotation
to follow, under both prefixes, which every ExternalDNS version between them reads.

With a domain policy (`--domain-policy`, `dnsgate.domainpolicy`), a name outside the domains
the object's namespace may use is refused (403), the message naming the object, the
annotation, the name and the namespace's domains; `dnsgate.claims.parse` holds the check, so
the reconciler refuses the same names. Claims in the index that the policy voids (objects
that bypassed the webhook) hold no name against anyone.

With `--owners-index`, each record set newly asked for is also checked against the names
Route53 shows owned by other owner ids (`webhook.foreign`, fed by `webhook.owners`).
"""


import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dnsgate import (
    annotations,
    claims,
    domainpolicy,
    domains,
    gateway,
    ingress,
    objectkey,
    publication,
    service_types,
    txtname,
)
from dnsgate.claims import Claim
from dnsgate.values import Problem, Raw
from webhook import foreign, patch, payloads, routes
from webhook.index import ClaimLookup
from webhook.owners import NO_INDEX, OwnersLookup
from webhook.settings import AdmissionSettings

WARNING_MAX = 120  # characters; longer warnings are truncated by some clients
CLAIMED = "hostname-claimed"
TXT_CLAIMED = "hostname-txt-claimed"
NOT_SYNCED = "index-not-synced"


@dataclass(frozen=True)
class Verdict:
    """What the webhook answers. `rules` names each problem's rule (the metrics seam)."""

    allowed: bool
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    patch: tuple[dict[str, Any], ...] = ()

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(problem.rule for problem in self.problems)

    @property
    def message(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    @property
    def code(self) -> int:
        # 403 when the object is well-formed but the name belongs to someone else;
        # 400 when the annotations themselves are wrong. Never reason "Invalid": kubectl
        # would then print a generic message instead of ours.
        return 403 if set(self.rules) <= {CLAIMED, TXT_CLAIMED, NOT_SYNCED,
                                          domainpolicy.RULE, foreign.FOREIGN} else 400


ALLOW = Verdict(allowed=True)


def respond(uid: str, verdict: Verdict) -> payloads.AdmissionReview:
    response: payloads.AdmissionResponse = {"uid": uid, "allowed": verdict.allowed}
    if not verdict.allowed:
        response["status"] = {"code": verdict.code, "message": verdict.message}
    if verdict.warnings:
        response["warnings"] = [_fit(w) for w in verdict.warnings]
    if verdict.patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = payloads.encode_patch(list(verdict.patch))
    return payloads.review(response)


def _fit(warning: str) -> str:
    return warning if len(warning) <= WARNING_MAX else warning[: WARNING_MAX - 3] + "..."


def _service_write(request: payloads.AdmissionRequest, settings: AdmissionSettings
                   ) -> dict[str, Any] | None:
    """The Service (or, with its source on, the Ingress or Gateway API route) being written,
    or None when this request is not ours to judge: another kind, or an object outside
    --namespace or --label-filter, which the reconciler never reads. An Ingress or a route is
    marked with its kind, as the watch cache marks its copies."""
    kind = request["kind"]
    if request["operation"] not in ("CREATE", "UPDATE"):
        return None
    obj = request.get("object")
    if (kind["group"], kind["kind"]) == ("networking.k8s.io", ingress.KIND):
        if settings.ingresses is None or not obj:
            return None
        obj = {**obj, "kind": ingress.KIND}
    elif kind["group"] == gateway.GROUP:
        # Any version: with matchPolicy Equivalent the apiserver converts to the one the
        # configuration names, and the names and annotations read are in every version.
        if kind["kind"] not in settings.route_kinds or not obj:
            return None
        obj = routes.as_written(obj, kind["kind"])
    elif (kind["group"], kind["kind"]) != ("", "Service") or not settings.scope.watches(
            publication.SERVICE):
        return None
    if not obj or not settings.scope.selects(obj, request.get("namespace")):
        return None
    return obj


def _annotations(obj: Mapping[str, Any] | None) -> dict[str, str]:
    metadata = (obj or {}).get("metadata") or {}
    return dict(metadata.get("annotations") or {})


def mutate(request: payloads.AdmissionRequest, settings: AdmissionSettings) -> Verdict:
    """Add `ttl: "<default>"` next to every hostname annotation when no ttl is set."""
    obj = _service_write(request, settings)
    if obj is None:
        return ALLOW
    existing = _annotations(obj)
    if annotations.find(existing, annotations.TTL) is not None:
        return ALLOW
    prefixes = [p for p in annotations.PREFIXES if p + annotations.HOSTNAME in existing]
    if gateway.is_route(obj):
        prefixes = routes.ttl_prefixes(obj, settings.domains)
    elif not prefixes and ingress.is_ingress(obj) and _publishes_hosts(obj, settings):
        prefixes = list(annotations.PREFIXES)
    if not prefixes:
        return ALLOW
    added = {p + annotations.TTL: str(settings.default_ttl) for p in prefixes}
    return Verdict(allowed=True, patch=tuple(patch.add_annotations(obj, added)))


def _publishes_hosts(obj: Mapping[str, Any], settings: AdmissionSettings) -> bool:
    """Whether an Ingress without a hostname annotation names hosts dnsgate publishes."""
    chosen = settings.ingresses or ingress.DEFAULT
    if not claims.would_publish(obj, chosen) or annotations.controller_mismatch(
            annotations.find(_annotations(obj), annotations.CONTROLLER)):
        return False
    source = annotations.find(_annotations(obj), ingress.HOSTNAME_SOURCE)
    if source is not None and source.value.lower() == ingress.ANNOTATION_ONLY:
        return False
    return any(settings.domains.rejection(host.rstrip(".")) is None
               for host in ingress.spec_hosts(obj, chosen))


def validate(
    request: payloads.AdmissionRequest, settings: AdmissionSettings, lookup: ClaimLookup,
    policy: domainpolicy.Enforcement = domainpolicy.UNENFORCED,
    owners: OwnersLookup = NO_INDEX,
) -> Verdict:
    """`policy`: the domain policy in force (`dnsgate.policywatch`), read once per review;
    `owners`: the names other owner ids hold in Route53 (`webhook.foreign`)."""
    obj = _service_write(request, settings)
    if obj is None:
        return ALLOW
    lookup = _Permitted(lookup, policy)
    if ingress.is_ingress(obj):
        return _validate_ingress(request, obj, settings, lookup, policy, owners)
    if gateway.is_route(obj):
        return _validate_route(request, obj, settings, lookup, policy, owners)
    current = _annotations(obj)
    if not annotations.has_dns_annotations(current):
        return ALLOW
    parsed = claims.parse(_with_key(obj, request), settings.domains, settings.txt,
                          policy=policy)
    problems = list(parsed.problems)
    warnings = list(parsed.warnings)
    if parsed.ignored:  # another controller's Service: nothing of dnsgate's to check
        return Verdict(allowed=not problems, problems=tuple(problems), warnings=tuple(warnings))
    spec = obj.get("spec") or {}
    # The names to check against other Services: those published for this type; with a
    # problem elsewhere, every name valid on its own, so a taken one is listed too.
    names = parsed.hostnames
    if parsed.dns is not None:
        type_problems, type_warnings = service_types.rules(
            parsed.dns, spec, publish_internal=settings.publish_internal)
        problems += type_problems
        warnings += type_warnings
        names = service_types.published(parsed.dns, spec,
                                        publish_internal=settings.publish_internal)
    raw = annotations.find(current, annotations.HOSTNAME) or annotations.find(
        current, annotations.INTERNAL_HOSTNAME)
    if raw is not None and names and claims.would_publish(obj):
        conflict_problems, conflict_warnings = _conflicts(
            request, obj, parsed, names, raw, settings, lookup, policy, owners)
        problems += conflict_problems
        warnings += conflict_warnings
    return Verdict(allowed=not problems, problems=tuple(problems), warnings=tuple(warnings))


class _Permitted:
    """The claim lookup without the claims the domain policy voids: an object that bypassed
    the webhook with a name outside its namespace's domains publishes nothing in the
    reconciler, so it holds no name at the door either (`dnsgate.claims.parse`). Any one name
    of the object refused voids all of it, as in the reconciler: a name inside its domains
    is not held by an object that also asks for one outside them (`Claim.asked`)."""

    def __init__(self, lookup: ClaimLookup, policy: domainpolicy.Enforcement) -> None:
        self._lookup = lookup
        self._policy = policy

    def claims_on(self, hostname: str) -> tuple[Claim, ...]:
        return tuple(c for c in self._lookup.claims_on(hostname)
                     if all(self._policy.permits(c.service, name)
                            for name in c.asked or (c.hostname,)))

    def wait_synced(self, timeout: float) -> bool:
        return self._lookup.wait_synced(timeout)


def _validate_ingress(request: payloads.AdmissionRequest, obj: dict[str, Any],
                      settings: AdmissionSettings, lookup: ClaimLookup,
                      policy: domainpolicy.Enforcement, owners: OwnersLookup) -> Verdict:
    """An Ingress: the Service rules on its annotations and names, the same claim check;
    one that --ingress-class leaves out publishes nothing and is left alone."""
    chosen = settings.ingresses or ingress.DEFAULT
    if not claims.would_publish(obj, chosen):
        return ALLOW
    parsed = claims.parse(_with_key(obj, request), settings.domains, settings.txt, chosen,
                          policy)
    problems = list(parsed.problems)
    warnings = list(parsed.warnings)
    if parsed.ignored:
        return Verdict(allowed=not problems, problems=tuple(problems), warnings=tuple(warnings))
    names = parsed.dns.names if parsed.dns is not None else parsed.hostnames
    if names:
        conflict_problems, conflict_warnings = _conflicts(
            request, obj, parsed, names, _ingress_source(obj, chosen), settings, lookup,
            policy, owners)
        problems += conflict_problems
        warnings += conflict_warnings
    return Verdict(allowed=not problems, problems=tuple(problems), warnings=tuple(warnings))


def _validate_route(request: payloads.AdmissionRequest, obj: dict[str, Any],
                    settings: AdmissionSettings, lookup: ClaimLookup,
                    policy: domainpolicy.Enforcement, owners: OwnersLookup) -> Verdict:
    """A Gateway API route: its annotations by the Service rules, plus those a route may not
    carry (`dnsgate.gateway.parse`), and the names it asks for by itself (`spec.hostnames`,
    the hostname annotation: `gateway.route_names`) checked against every claim. At the door
    no Gateway has accepted a new route yet, so these are the names it may later publish
    (docs/gateway-api.md, "At the door")."""
    parsed = claims.parse(_with_key(obj, request), settings.domains, settings.txt,
                          policy=policy)
    problems = list(parsed.problems)
    warnings = list(parsed.warnings)
    if parsed.ignored:
        return Verdict(allowed=not problems, problems=tuple(problems), warnings=tuple(warnings))
    names = parsed.dns.names if parsed.dns is not None else parsed.hostnames
    if names:
        conflict_problems, conflict_warnings = _conflicts(
            request, obj, parsed, names, routes.source_of(obj), settings, lookup, policy,
            owners)
        problems += conflict_problems
        warnings += conflict_warnings
    return Verdict(allowed=not problems, problems=tuple(problems), warnings=tuple(warnings))


def _ingress_source(obj: Mapping[str, Any], chosen: ingress.IngressSettings
                    ) -> Callable[[str], Raw]:
    """Where an Ingress asks for a name, for the message refusing it: the hostname
    annotation when it lists the name, else the rules and TLS hosts."""
    hostname = annotations.find(_annotations(obj), annotations.HOSTNAME)
    in_annotation = {domains.normalize(entry) for entry in
                     "".join((hostname.value if hostname else "").split()).split(",") if entry}
    spec = Raw(ingress.SPEC_HOSTS, ",".join(ingress.spec_hosts(obj, chosen)))

    def where(name: str) -> Raw:
        return hostname if hostname is not None and name in in_annotation else spec

    return where


def _with_key(obj: Mapping[str, Any], request: payloads.AdmissionRequest) -> dict[str, Any]:
    """The object with the namespace and name it is stored under (a CREATE with
    generateName, or a manifest without a namespace, carries them only in the request)."""
    metadata = dict(obj.get("metadata") or {})
    metadata["namespace"] = request.get("namespace") or metadata.get("namespace") or ""
    metadata["name"] = metadata.get("name") or request.get("name") or ""
    return {**obj, "metadata": metadata}


def _old_claims(request: payloads.AdmissionRequest, settings: AdmissionSettings,
                policy: domainpolicy.Enforcement) -> dict[claims.Row, Claim]:
    """The claims the object made before this request, by record set, counted as the index
    counts them."""
    old = request.get("oldObject")
    if request["operation"] != "UPDATE" or not old:
        return {}
    old = _with_key(old, request)
    if not settings.scope.selects(old):
        return {}  # unread by the reconciler, it claimed nothing: adding the label is new
    chosen = settings.ingresses or ingress.DEFAULT
    if request["kind"]["kind"] == ingress.KIND:
        old = {**old, "kind": ingress.KIND}
    elif request["kind"]["group"] == gateway.GROUP:
        old = routes.as_written(old, request["kind"]["kind"])
    elif not annotations.has_dns_annotations(_annotations(old)):
        return {}
    parsed = claims.parse(old, settings.domains, settings.txt, chosen, policy)
    return {claim.row: claim
            for claim in claims.of_service(old, parsed, claims.held_rows(old),
                                           publish_internal=settings.publish_internal,
                                           ingresses=chosen)}


def _conflicts(
    request: payloads.AdmissionRequest,
    obj: Mapping[str, Any],
    parsed: annotations.Parsed,
    names: tuple[str, ...],
    raw: Raw | Callable[[str], Raw],
    settings: AdmissionSettings,
    lookup: ClaimLookup,
    policy: domainpolicy.Enforcement,
    owners: OwnersLookup,
) -> tuple[list[Problem], list[str]]:
    """`raw`: the annotation asking for the names, or which one asks for each name."""
    where = raw if callable(raw) else (lambda _: raw)
    service = _with_key(obj, request)
    # The object's status is the stored one: kube-apiserver drops a status sent with a
    # Service's own create or update, so `held` is what the reconciler last reported.
    new_claims = claims.requested(service, parsed, claims.held_rows(service), names)
    if not new_claims:
        return [], []
    if not lookup.wait_synced(settings.sync_wait):
        first = where(new_claims[0].hostname)
        return [Problem(first.key, first.value,
                        "cannot be checked against other Services yet: dnsgate is still "
                        "loading the cluster's Services; retry in a few seconds",
                        NOT_SYNCED)], []
    old_claims = _old_claims(request, settings, policy)
    problems: list[Problem] = []
    warnings: list[str] = []
    for claim in new_claims:
        rivals = claims.rivals(claim, lookup.claims_on(claim.hostname))
        partners = [r for r in rivals if claims.together(claim, r)]
        rivals = [r for r in rivals if not claims.together(claim, r)]
        if partners and not rivals:
            warnings.append(f"{claim.hostname} is served together with "
                            f"{objectkey.describe(partners[0].service)} (routes on the same "
                            "Gateways with the same TTL): the records are published once, "
                            "for the earliest of them")
        if not rivals:
            continue
        kept_by = claims.keeper(claim, rivals)
        if claim.row in old_claims or (kept_by is claim and claim.holds):
            warnings.append(_contest_warning(claim, rivals[0], kept_by))
            continue
        problems.append(Problem(
            where(claim.hostname).key, claim.hostname,
            f"is already claimed by {_claimant(rivals[0])}; choose another "
            f"hostname, or give both {_both(claim.service, rivals[0].service)} different "
            f"{annotations.SET_IDENTIFIER} annotations to share it through Route53 weighted "
            "or failover routing",
            CLAIMED,
        ))
    txt_problems, txt_warnings = _txt_conflicts(new_claims, old_claims, where, settings, lookup)
    foreign_problems, foreign_warnings = foreign.check(new_claims, old_claims, where,
                                                       owners.state())
    return (problems + txt_problems + foreign_problems,
            warnings + txt_warnings + foreign_warnings)


def _txt_conflicts(new_claims: tuple[Claim, ...], old_claims: Mapping[claims.Row, Claim],
                   where: Callable[[str], Raw], settings: AdmissionSettings,
                   lookup: ClaimLookup) -> tuple[list[Problem], list[str]]:
    """Claims on a name whose ownership TXT names another claimant's name shares (`wild.<zone>`
    and `*.<zone>` under --txt-wildcard-replacement `wild`), held to the rule for one name
    (`dnsgate.claims.conflicts`): refused, unless already claimed before this request."""
    names = txtname.Mapper.named(settings.txt)
    problems: list[Problem] = []
    warnings: list[str] = []
    for claim in new_claims:
        other = names.namesake(claim.hostname)
        rivals = claims.rivals(claim, lookup.claims_on(other), names) if other else []
        if not rivals:
            continue
        holder = objectkey.describe(rivals[0].service)
        shared = (f"shares its ownership TXT records ({names.txt_name(claim.hostname, '<type>')})"
                  f" with {other} under --txt-wildcard-replacement "
                  f'"{settings.txt.wildcard_replacement}"')
        if claim.row in old_claims or (claims.keeper(claim, rivals, names) is claim
                                       and claim.holds):
            warnings.append(f"{claim.hostname} {shared}, which {holder} claims")
            continue
        problems.append(Problem(
            where(claim.hostname).key, claim.hostname,
            f"{shared}, which {holder} claims: the registry could not tell which record they "
            "own; choose another hostname", TXT_CLAIMED))
    return problems, warnings


def _claimant(claim: Claim) -> str:
    """Who claims, as a message names them: "Service ns/name", with the set identifier of
    its claim when it has one (it is the record set that is taken)."""
    who = objectkey.describe(claim.service)
    if claim.set_identifier is None:
        return who
    return f"{who} (with {annotations.SET_IDENTIFIER} {json.dumps(claim.set_identifier)})"


def _both(a: str, b: str) -> str:
    kinds = sorted({_kind(a), _kind(b)}, key=objectkey.KINDS.index)
    if len(kinds) == 1:
        return kinds[0].plural
    return f"the {kinds[0].name} and the {kinds[1].name}"


def _kind(key: str) -> objectkey.Kind:
    return objectkey.kind_of(key) or objectkey.SERVICE


def _contest_warning(claim: Claim, rival: Claim, kept_by: Claim) -> str:
    why = "it holds it" if kept_by.holds else "it is the senior claim"
    this = _kind(claim.service).name
    if kept_by is claim:
        return (f"{claim.hostname} is also claimed by {objectkey.describe(rival.service)}; "
                f"this {this} keeps the record: {why}")
    return (f"{claim.hostname} is also claimed by {objectkey.describe(rival.service)}, which "
            f"keeps the record: {why}")
