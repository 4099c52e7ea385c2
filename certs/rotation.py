"""When the webhook's certificates must be (re)issued: pure decisions, no I/O.

The CA lives long (10 years by default) and is kept, with its key, next to the serving
certificate so that a renewal signs with the same CA and the caBundle already injected into
the WebhookConfigurations stays valid. The serving certificate lives a year and is renewed
once less than a third of its lifetime is left, as cert-manager does (renew at 2/3).
A certificate is also replaced when its names, its issuer or its key no longer fit.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from certs import pki

RENEW_BELOW = 1 / 3  # fraction of lifetime left


@dataclass(frozen=True)
class Wanted:
    """The certificate a Service `service` in `namespace` needs."""

    service: str
    namespace: str
    ips: tuple[str, ...] = ()
    validity: dt.timedelta = dt.timedelta(days=365)
    ca_validity: dt.timedelta = dt.timedelta(days=3650)

    @property
    def dns_names(self) -> tuple[str, ...]:
        # Every name a client inside the cluster may use for the Service; the apiserver uses
        # <service>.<namespace>.svc for a clientConfig.service reference.
        base = f"{self.service}.{self.namespace}"
        return (self.service, base, f"{base}.svc", f"{base}.svc.cluster.local")

    @property
    def ip_addresses(self) -> tuple[str, ...]:
        return tuple(str(ipaddress.ip_address(ip)) for ip in self.ips)


@dataclass(frozen=True)
class Stored:
    """What a store holds; either part may be missing."""

    ca: pki.KeyPair | None = None
    serving: pki.KeyPair | None = None


@dataclass(frozen=True)
class Bundle:
    ca: pki.KeyPair
    serving: pki.KeyPair


@dataclass(frozen=True)
class Outcome:
    bundle: Bundle
    reason: str | None  # why it was (re)issued; None when the stored bundle is kept


def ca_problem(ca: pki.KeyPair | None, at: dt.datetime) -> str | None:
    if ca is None:
        return "no CA yet"
    if not pki.key_matches(ca):
        return "the CA key does not match the CA certificate"
    left = pki.remaining_fraction(ca.cert, at)
    if left < RENEW_BELOW:
        return f"the CA has {left:.0%} of its lifetime left"
    return None


def serving_problem(stored: Stored, wanted: Wanted, at: dt.datetime) -> str | None:
    serving, ca = stored.serving, stored.ca
    if serving is None or ca is None:
        return "no serving certificate yet"
    if not pki.key_matches(serving):
        return "the serving key does not match the serving certificate"
    if not pki.issued_by(serving.cert, ca.cert):
        return "the serving certificate is not signed by the stored CA"
    names, ips = pki.subject_alt_names(serving.cert)
    if names != set(wanted.dns_names) or ips != set(wanted.ip_addresses):
        return "the serving certificate's names differ from the wanted ones"
    left = pki.remaining_fraction(serving.cert, at)
    if left < RENEW_BELOW:
        return f"the serving certificate has {left:.0%} of its lifetime left"
    return None


def ensure(stored: Stored, wanted: Wanted, at: dt.datetime) -> Outcome:
    """Keep what is stored when it is still good; otherwise issue what is missing."""
    reason = ca_problem(stored.ca, at)
    ca = stored.ca
    if reason is not None or ca is None:
        ca = pki.new_ca(f"dnsgate-webhook-ca.{wanted.namespace}", valid_for=wanted.ca_validity)
        stored = Stored(ca=ca, serving=None)
    else:
        reason = serving_problem(stored, wanted, at)
    if reason is None and stored.serving is not None:
        return Outcome(Bundle(ca, stored.serving), None)
    serving = pki.issue(
        ca, f"{wanted.service}.{wanted.namespace}.svc", valid_for=wanted.validity,
        dns_names=wanted.dns_names, ip_addresses=wanted.ip_addresses,
    )
    return Outcome(Bundle(ca, serving), reason)
