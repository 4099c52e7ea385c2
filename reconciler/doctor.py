"""`dnsgate doctor`: whether this configuration can work, checked the way the reconciler
will use it, with one line per check and, for each failure, what to fix.

The checks, in order (a check whose prerequisite failed is reported as `skip`):
1. Kubernetes: the API answers, as whom; then every right `rights.needed` lists, each asked
   of the apiserver with a SelfSubjectAccessReview (what RBAC really grants this identity,
   whatever the manifests say).
2. AWS credentials: boto3 finds some, and Route53 accepts them. ListHostedZones is the
   proof: dnsgate needs it anyway, and it reaches the same endpoint as every later call
   (STS is another endpoint, which a locked-down egress may not allow).
3. Zones: each --domain-filter domain and each --zone-id-filter id finds its hosted zone
   among those the filters select.
4. Per selected zone: ListResourceRecordSets, then ChangeResourceRecordSets, probed with a
   change Route53 must refuse, so nothing changes: with --policy=sync, a DELETE of a TXT
   record at a name made up for this run (a random label), which cannot exist; with
   upsert-only or create-only, under which dnsgate never deletes, a CREATE at a made-up name
   outside the zone. AWS decides IAM before Route53 looks at a change, so AccessDenied means
   the right is missing, and Route53's refusal of the change (InvalidChangeBatch) means IAM
   let it through. No existing record is ever named. What the probe cannot tell is in
   docs/route53.md ("Checking IAM rights without changing anything").

The doctor's Route53 calls go through the same rate limiter and retries as the reconciler's,
but are not counted in dnsgate_route53_requests_total: their refusals are the point.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, Protocol

from dnsgate.domains import DomainFilter, within
from reconciler import remedies, rights, route53, throttle
from reconciler.errors import RecordRejected
from reconciler.route53 import Route53Client, Zone
from reconciler.settings import Policy, Route53Settings, Settings

Status = Literal["ok", "FAIL", "skip"]

PROBE_LABEL = "dnsgate-doctor-probe"
PROBE_TTL = 300
# A name under a top-level domain reserved never to exist (RFC 2606): no hosted zone holds it.
OUTSIDE = "invalid"


@dataclass(frozen=True)
class Result:
    status: Status
    check: str
    detail: str = ""
    remedy: str = ""

    def line(self) -> str:
        text = f"{self.status:<4}  {self.check}"
        if self.detail:
            text += f": {self.detail}"
        if self.remedy:
            text += f"; fix: {self.remedy}"
        return text


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.status == "FAIL")

    def render(self) -> str:
        failed = len(self.failures)
        summary = (f"{failed} of {len(self.results)} checks failed" if failed
                   else f"all {len(self.results)} checks passed")
        return "\n".join([*(r.line() for r in self.results), summary]) + "\n"


class Access(Protocol):
    """What the apiserver says about the identity dnsgate runs as."""

    def whoami(self) -> str: ...

    def allowed(self, right: rights.Right, namespace: str) -> tuple[bool, str]: ...


@dataclass(frozen=True)
class AWS:
    """A Route53 client and where its credentials come from; client None: none found."""

    client: Route53Client | None
    source: str


Call = Callable[[Callable[[], Any]], Any]


def examine(settings: Settings, connect: Callable[[], Access], aws: Callable[[], AWS],
            call: Call | None = None) -> Report:
    """Every check for this configuration; `connect` and `aws` may raise, which fails the
    first check that needs them."""
    if call is None:
        limiter = throttle.RateLimiter(settings.route53.requests_per_second)
        call = partial(_uncounted, limiter=limiter)
    return Report((*kubernetes(settings, connect),
                   *route53_checks(settings.route53, aws, call,
                                   probe_changes=not settings.controller.dry_run,
                                   policy=settings.controller.policy)))


def _uncounted(fn: Callable[[], Any], limiter: throttle.RateLimiter) -> Any:
    return throttle.call(fn, limiter, attempts=3, counted=False)


def kubernetes(settings: Settings, connect: Callable[[], Access]) -> list[Result]:
    try:
        access = connect()
        user = access.whoami()
    except Exception as exc:
        return [Result("FAIL", "kubernetes API", f"cannot use it: {_short(exc)}",
                       "in a pod, check its ServiceAccount and that its token is mounted "
                       "(automountServiceAccountToken); outside, set KUBECONFIG"),
                Result("skip", "rbac rights", "need the API")]
    results = [Result("ok", "kubernetes API", f"answers; dnsgate is {user}")]
    for right, namespace in rights.needed(settings):
        check = f"rbac {right.describe(namespace)}"
        try:
            allowed, reason = access.allowed(right, namespace)
        except Exception as exc:
            results.append(Result("FAIL", check, f"could not ask the apiserver: {_short(exc)}"))
            continue
        if allowed:
            results.append(Result("ok", check, f"allowed ({right.why})"))
        else:
            detail = f"denied to {user}" + (f" ({reason})" if reason else "")
            results.append(Result("FAIL", check, f"{detail}; needed to {right.why}",
                                  rights.remedy(right, namespace)))
    return results


def route53_checks(settings: Route53Settings, aws: Callable[[], AWS], call: Call, *,
                   probe_changes: bool = True, policy: Policy = "sync") -> list[Result]:
    try:
        found = aws()
    except Exception as exc:
        found = AWS(None, f"cannot read the AWS credentials: {_short(exc)}")
    if found.client is None:
        return [Result("FAIL", "aws credentials", found.source, remedies.NO_CREDENTIALS),
                Result("skip", "hosted zones and IAM rights", "need working credentials")]
    client = found.client
    try:
        zones = _all_zones(client, call)
    except Exception as exc:
        return [Result("FAIL", "aws credentials", *remedies.credentials(exc, found.source)),
                Result("skip", "hosted zones and IAM rights", "need working credentials")]
    results = [Result("ok", "aws credentials",
                      f"{found.source}; Route53 answered ListHostedZones ({_zones(len(zones))})")]
    managed = [z for z in zones if route53.selected(z, settings)]
    results += zone_results(settings, zones, managed)
    for zone in managed:
        results += zone_rights(client, zone, settings.domains, call,
                               probe(zone, settings.domains, policy) if probe_changes else None)
    return results


def zone_results(settings: Route53Settings, zones: list[Zone],
                 managed: list[Zone]) -> list[Result]:
    """One result per --domain-filter domain and --zone-id-filter id (or one for all)."""
    results: list[Result] = []
    visible = ", ".join(f"{z.name} ({z.id})" for z in zones) or "none"
    for domain in settings.domains.include:
        holding = [z for z in managed if within(domain, z.name) or within(z.name, domain)]
        if holding:
            results.append(Result("ok", f"zone for {domain}", ", ".join(
                f"{z.name} ({z.id}, {'private' if z.private else 'public'})" for z in holding)))
            continue
        near = [z for z in zones if within(domain, z.name) or within(z.name, domain)]
        why = "".join(f"; {z.name} ({z.id}) is left out by {_left_out_by(z, settings)}"
                      for z in near)
        results.append(Result(
            "FAIL", f"zone for {domain}",
            f"no hosted zone dnsgate may manage holds {domain}{why} (zones these "
            f"credentials see: {visible})",
            f"create a hosted zone for {domain}, or correct --domain-filter"
            + (", --aws-zone-type or --zone-id-filter" if near else "")))
    for zone_id in settings.zone_ids:
        if not any(z.id == zone_id for z in zones):
            results.append(Result(
                "FAIL", f"--zone-id-filter {zone_id}",
                f"no hosted zone with this id is visible to these credentials (zones: "
                f"{visible})", "correct --zone-id-filter"))
    if not settings.domains.include and not managed:
        results.append(Result("FAIL", "managed zones", f"no hosted zone passes the filters "
                              f"(zones these credentials see: {visible})",
                              "create the zone, or correct --aws-zone-type / --zone-id-filter"))
    return results


def _left_out_by(zone: Zone, settings: Route53Settings) -> str:
    if settings.zone_ids and zone.id not in settings.zone_ids:
        return "--zone-id-filter"
    kind = "private" if zone.private else "public"
    return f"--aws-zone-type={settings.zone_type} (it is {kind})"


@dataclass(frozen=True)
class Probe:
    """The one change of the ChangeResourceRecordSets probe, which Route53 must refuse."""

    action: Literal["CREATE", "DELETE"]
    name: str
    why_refused: str

    def batch(self) -> dict[str, Any]:
        return {"Comment": f"dnsgate doctor: a {self.action} Route53 refuses; tests the IAM "
                           "right, changes nothing",
                "Changes": [{"Action": self.action, "ResourceRecordSet": {
                    "Name": f"{self.name}.", "Type": "TXT", "TTL": PROBE_TTL,
                    "ResourceRecords": [{"Value": f'"{self.name}"'}]}}]}


def probe(zone: Zone, domains: DomainFilter, policy: Policy,
          token: Callable[[], str] = lambda: secrets.token_hex(8)) -> Probe:
    """The probe for `policy`, at a name made up now (64 random bits): with sync, a DELETE
    inside the zone, of a record that cannot exist; otherwise (dnsgate never deletes) a
    CREATE outside the zone, which Route53 refuses whatever the zone holds."""
    label = f"{PROBE_LABEL}-{token()}"
    if policy == "sync":
        inside = [d for d in domains.include if within(d, zone.name)]
        name = f"{label}.{max(inside, key=len) if inside else zone.name}"
        return Probe("DELETE", name, f"there is no record set {name} to delete")
    name = f"{label}.{zone.name}.{OUTSIDE}"
    return Probe("CREATE", name, f"{name} is outside the zone (--policy={policy}: dnsgate "
                                 "never deletes, so neither does the probe)")


def zone_rights(client: Route53Client, zone: Zone, domains: DomainFilter, call: Call,
                probed: Probe | None) -> list[Result]:
    """`probed` None (a --dry-run): ListResourceRecordSets only."""
    arn = f"arn:aws:route53:::hostedzone/{zone.id}"
    check = f"list records in {zone.name} ({zone.id})"
    try:
        call(partial(client.list_resource_record_sets, HostedZoneId=zone.id, MaxItems="1"))
        results = [Result("ok", check, "ListResourceRecordSets allowed")]
    except Exception as exc:
        results = [Result("FAIL", check, *remedies.right(exc, "ListResourceRecordSets", arn))]
    if probed is None:
        return results
    check = f"change records in {zone.name} ({zone.id})"
    try:
        call(partial(client.change_resource_record_sets, HostedZoneId=zone.id,
                     ChangeBatch=probed.batch()))
        results.append(Result("FAIL", check, f"Route53 accepted the probe's {probed.action} of "
                              f"{probed.name}, which it should have refused",
                              "report this: the doctor's probe assumes Route53 refuses it"))
    except RecordRejected:
        results.append(Result("ok", check, "allowed: IAM let ChangeResourceRecordSets "
                              f"through and Route53 refused the probe's {probed.action}: "
                              f"{probed.why_refused}; nothing changed"))
    except Exception as exc:
        results.append(Result("FAIL", check,
                              *remedies.right(exc, "ChangeResourceRecordSets", arn)))
    return results


def _all_zones(client: Route53Client, call: Call) -> list[Zone]:
    zones: list[Zone] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = call(partial(client.list_hosted_zones, **kwargs))
        zones.extend(route53.zone_of(raw) for raw in page.get("HostedZones", []))
        if not page.get("IsTruncated"):
            return zones
        kwargs = {"Marker": page["NextMarker"]}


def _zones(count: int) -> str:
    return f"{count} zone" if count == 1 else f"{count} zones"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
