"""Route53's REST API as the proxy sees it: operation names from method and path, the
fault plan (`Faults`) and its deterministic draw, and Route53's XML error bodies.

Pure functions and values only; `devstack.r53proxy` is the server that uses them.
Fault choice is deterministic: call n (counted from the proxy's last `configure`) draws from
a PRNG seeded with (seed, n), so a sequential client sees the same faults on every run.
"""

from __future__ import annotations

import random
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from xml.etree import ElementTree

API = "/2013-04-01"
XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/"

# (method, path pattern below /2013-04-01) -> Route53 operation name.
_OPERATIONS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), name)
    for method, pattern, name in (
        ("GET", r"/hostedzone/?", "ListHostedZones"),
        ("POST", r"/hostedzone/?", "CreateHostedZone"),
        ("GET", r"/hostedzone/[^/]+/?", "GetHostedZone"),
        ("DELETE", r"/hostedzone/[^/]+/?", "DeleteHostedZone"),
        ("POST", r"/hostedzone/[^/]+/?", "UpdateHostedZoneComment"),
        ("GET", r"/hostedzone/[^/]+/rrset/?", "ListResourceRecordSets"),
        ("POST", r"/hostedzone/[^/]+/rrset/?", "ChangeResourceRecordSets"),
        ("GET", r"/hostedzonesbyname/?", "ListHostedZonesByName"),
        ("GET", r"/hostedzonecount/?", "GetHostedZoneCount"),
        ("GET", r"/change/[^/]+/?", "GetChange"),
        ("GET", r"/tags/[^/]+/[^/]+/?", "ListTagsForResource"),
        ("POST", r"/tags/[^/]+/[^/]+/?", "ChangeTagsForResource"),
        ("POST", r"/tags/[^/]+/?", "ListTagsForResources"),
        ("GET", r"/healthcheck/?", "ListHealthChecks"),
        ("GET", r"/healthcheck/[^/]+/?", "GetHealthCheck"),
        ("GET", r"/delegationset/?", "ListReusableDelegationSets"),
    )
)


def operation(method: str, path: str) -> str:
    """Route53's name for a REST call; `Other <METHOD>` for anything not in the table."""
    route = urllib.parse.urlsplit(path).path
    if route.startswith(API):
        rest = route[len(API):]
        for verb, pattern, name in _OPERATIONS:
            if verb == method and pattern.fullmatch(rest):
                return name
    return f"Other {method}"


@dataclass(frozen=True)
class Faults:
    """Which calls to spoil. Fractions are of all calls (or of `operations` when given)."""

    throttle: float = 0.0
    unavailable: float = 0.0
    reset: float = 0.0
    poison: tuple[str, ...] = ()
    """Record names (trailing dot and case ignored) whose change batches are refused."""
    operations: tuple[str, ...] = ()
    """Operation names the fractions apply to; empty means every operation."""
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("throttle", "unavailable", "reset"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Faults.{name}={value}: use a fraction from 0.0 to 1.0")
        if self.throttle + self.unavailable + self.reset > 1.0:
            raise ValueError(
                f"Faults throttle+unavailable+reset = "
                f"{self.throttle + self.unavailable + self.reset}: the fractions share one "
                "draw per call, so their sum must be at most 1.0"
            )


NO_FAULTS = Faults()


@dataclass(frozen=True)
class Call:
    """One answered call: its operation, the status the client got, and when (monotonic)."""

    operation: str
    status: int
    at: float


def choose_fault(faults: Faults, call_index: int, op: str) -> str | None:
    """"throttle", "unavailable", "reset" or None for call number `call_index`."""
    if faults.operations and op not in faults.operations:
        return None
    draw = random.Random(f"{faults.seed}:{call_index}").random()
    for name, fraction in (("throttle", faults.throttle), ("unavailable", faults.unavailable),
                           ("reset", faults.reset)):
        if draw < fraction:
            return name
        draw -= fraction
    return None


def normal_name(name: str) -> str:
    """Lower case, no trailing dot, and Route53's octal escape of "*" undone."""
    return name.replace("\\052", "*").lower().rstrip(".")


def poisoned_names(body: bytes, poison: tuple[str, ...]) -> tuple[str, ...]:
    """Names in a ChangeResourceRecordSets body that are on the poison list."""
    if not poison or not body:
        return ()
    wanted = {normal_name(name) for name in poison}
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return ()
    found = (
        element.text or ""
        for element in root.iter(f"{{{XMLNS}}}Name")
    )
    return tuple(sorted({normal_name(name) for name in found if normal_name(name) in wanted}))


def error_xml(code: str, message: str, *, sender: bool = True) -> bytes:
    """Route53's REST error body (botocore's rest-xml parser reads Code and Message)."""
    kind = "Sender" if sender else "Receiver"
    return (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{XMLNS}"><Error><Type>{kind}</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


def invalid_change_batch_xml(names: tuple[str, ...]) -> bytes:
    """A refused batch in the ErrorResponse shape (moto's too), which every SDK parses."""
    listed = ", ".join(f"{name}." for name in names)
    return error_xml(
        "InvalidChangeBatch",
        f"RRSet with DNS name {listed} is not permitted (dnsgate proxy poison)",
    )
