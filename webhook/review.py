"""The admission decision for one request: pure functions from request to verdict.

`validate` refuses a Service whose DNS annotations have any problem (every problem listed
at once) or that claims a hostname another Service holds; `mutate` adds the default TTL.
Neither does I/O: the cluster's claims come in through `index.ClaimLookup`, settings through
`AdmissionSettings`. Only core/v1 Services on CREATE and UPDATE are looked at; everything
else is allowed untouched. Dry-run requests get the same verdict (there are no side effects
to skip: sideEffects None).

Conflicts on UPDATE: a name the Service already had before this request (oldObject) is
never refused, only warned about, so that a Service which held a contested name before the
webhook existed can still be edited; only names the request newly adds are refused.
"""


from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dnsgate import annotations, claims
from dnsgate.annotations import Problem
from dnsgate.claims import Claim
from webhook import patch, payloads
from webhook.index import ClaimLookup
from webhook.settings import AdmissionSettings

WARNING_MAX = 120  # characters; longer warnings are truncated by some clients
CLAIMED = "hostname-claimed"
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
        return 403 if set(self.rules) <= {CLAIMED, NOT_SYNCED} else 400


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


def _service_write(request: payloads.AdmissionRequest) -> dict[str, Any] | None:
    """The Service being written, or None when this request is not ours to judge."""
    kind = request["kind"]
    if request["operation"] not in ("CREATE", "UPDATE"):
        return None
    if (kind["group"], kind["kind"]) != ("", "Service"):
        return None
    return request.get("object") or None


def _annotations(obj: Mapping[str, Any] | None) -> dict[str, str]:
    metadata = (obj or {}).get("metadata") or {}
    return dict(metadata.get("annotations") or {})


def mutate(request: payloads.AdmissionRequest, settings: AdmissionSettings) -> Verdict:
    """Add `ttl: "<default>"` next to every hostname annotation when no ttl is set."""
    obj = _service_write(request)
    if obj is None:
        return ALLOW
    existing = _annotations(obj)
    if annotations.find(existing, annotations.TTL) is not None:
        return ALLOW
    prefixes = [p for p in annotations.PREFIXES if p + annotations.HOSTNAME in existing]
    if not prefixes:
        return ALLOW
    added = {p + annotations.TTL: str(settings.default_ttl) for p in prefixes}
    return Verdict(allowed=True, patch=tuple(patch.add_annotations(obj, added)))


def validate(
    request: payloads.AdmissionRequest, settings: AdmissionSettings, lookup: ClaimLookup
) -> Verdict:
    obj = _service_write(request)
    if obj is None:
        return ALLOW
    current = _annotations(obj)
    if not annotations.has_dns_annotations(current):
        return ALLOW
    parsed = annotations.parse(current, settings.domains)
    problems = list(parsed.problems)
    warnings = list(parsed.warnings)
    hostname = annotations.find(current, annotations.HOSTNAME)
    if hostname is not None:
        service_type = (obj.get("spec") or {}).get("type") or "ClusterIP"
        if service_type != "LoadBalancer":
            warnings.append(f"{hostname.key}: ignored on type {service_type}; only "
                            "LoadBalancer Services get records")
        conflict_problems, conflict_warnings = _conflicts(request, obj, settings, lookup)
        problems += conflict_problems
        warnings += conflict_warnings
    return Verdict(allowed=not problems, problems=tuple(problems), warnings=tuple(warnings))


def _claims(obj: Mapping[str, Any] | None, service: str, settings: AdmissionSettings
            ) -> tuple[annotations.Raw | None, list[Claim]]:
    """The claims the object makes with every hostname that is valid on its own."""
    found = _annotations(obj)
    raw = annotations.find(found, annotations.HOSTNAME)
    if raw is None:
        return None, []
    names, _ = annotations.parse_hostnames(raw, settings.domains)
    set_id = annotations.find(found, annotations.SET_IDENTIFIER)
    return raw, [Claim("", service, name, set_id.value if set_id else None) for name in names]


def _conflicts(
    request: payloads.AdmissionRequest,
    obj: Mapping[str, Any],
    settings: AdmissionSettings,
    lookup: ClaimLookup,
) -> tuple[list[Problem], list[str]]:
    metadata = obj.get("metadata") or {}
    namespace = request.get("namespace") or metadata.get("namespace") or ""
    service = f"{namespace}/{metadata.get('name') or request.get('name') or ''}"
    raw, new_claims = _claims(obj, service, settings)
    if raw is None or not new_claims:
        return [], []
    if not lookup.wait_synced(settings.sync_wait):
        return [Problem(raw.key, raw.value,
                        "cannot be checked against other Services yet: dnsgate is still "
                        "loading the cluster's Services; retry in a few seconds",
                        NOT_SYNCED)], []
    _, old_claims = _claims(request.get("oldObject"), service, settings)
    old_by_name = {claim.hostname: claim for claim in old_claims}
    problems: list[Problem] = []
    warnings: list[str] = []
    for claim in new_claims:
        rivals = claims.rivals(claim, lookup.claims_on(claim.hostname))
        if not rivals:
            continue
        holder = rivals[0].service
        old = old_by_name.get(claim.hostname)
        if old is not None and any(claims.conflicts(old, rival) for rival in rivals):
            warnings.append(f"{claim.hostname} is also claimed by Service {holder}; "
                            "the older claim keeps the record")
            continue
        problems.append(Problem(
            raw.key, claim.hostname,
            f"is already claimed by Service {holder}; choose another hostname, or give "
            f"both Services different {annotations.SET_IDENTIFIER} annotations to share "
            "it through Route53 weighted or failover routing",
            CLAIMED,
        ))
    return problems, warnings
