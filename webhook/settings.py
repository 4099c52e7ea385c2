"""The webhook's settings, parsed once from flags and environment into grouped values.

`AdmissionSettings` is all that the pure review needs; `ServingSettings` is all that
gunicorn needs. Each part is handed only to the code that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dnsgate import owners, txtname
from dnsgate.domains import DomainFilter
from dnsgate.gateway import GatewaySettings
from dnsgate.ingress import IngressSettings
from dnsgate.publication import Publication, Scope

# The largest AdmissionReview kube-apiserver sends for an object it can store: an UPDATE carries
# the object and its old version, each at most etcd's 1.5 MiB request limit (JSON is about the
# size of the stored protobuf for objects made of strings), plus the review's own fields
# (uid, kind, resource, userInfo), given 64 KiB. It is also about kube-apiserver's own 3 MiB
# cap on a request body. A longer body is refused by its Content-Length, unread and unparsed
# (docs/admission-review.md, "Bounded cost per review").
MAX_BODY_BYTES = 2 * 1536 * 1024 + 64 * 1024


@dataclass(frozen=True)
class AdmissionSettings:
    """What decides a verdict."""

    domains: DomainFilter
    # The reconciler's TXT naming (same flags, same ConfigMap): a hostname whose ownership
    # TXT name would be too long is refused here, where the user still sees it.
    txt: txtname.TXTNaming = txtname.DEFAULT
    # The reconciler's --publish-internal-services (same flag, same ConfigMap): whether a
    # ClusterIP Service's hostname names are published, and so claimed.
    publish_internal: bool = False
    # The reconciler's --source=ingress and Ingress flags (same ConfigMap): None when
    # Ingresses are not a source, and then not reviewed; else which of them publish what.
    ingresses: IngressSettings | None = None
    # The reconciler's --source=gateway-* and Gateway flags (same ConfigMap): the route kinds
    # reviewed ("HTTPRoute", ...), and which Gateways attach them.
    route_kinds: tuple[str, ...] = ()
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    # Seconds; ExternalDNS's own default for an unset TTL is 300 on Route53. 60 keeps a
    # moved LoadBalancer IP visible within a minute, at 5x the queries of 300.
    default_ttl: int = 60
    # Seconds a request may wait for this worker's Service index to finish its first list;
    # kept below the WebhookConfiguration's timeoutSeconds (5) so the apiserver gets an answer.
    sync_wait: float = 3.0
    # The reconciler's --source, --namespace and --label-filter: which objects it reads at
    # all. The watch feeding the index lists only these; the review leaves the others alone.
    scope: Scope = field(default_factory=Scope)
    # The reconciler's --domain-policy (same ConfigMap): "<namespace>/<name>" of the policy
    # saying which domains each namespace may use; empty: none.
    domain_policy: str = ""
    # The reconciler's --owners-index and --txt-owner-id (same ConfigMap): where the names
    # other owner ids hold are listed, and whose "other" that is. None: not checked.
    owners_index: owners.Location | None = None
    owner_id: str = "default"

    @classmethod
    def of(cls, shared: Publication, *, default_ttl: int) -> AdmissionSettings:
        """The webhook's slice of the settings both deployables read."""
        return cls(domains=shared.domains, txt=shared.txt,
                   publish_internal=shared.publish_internal, ingresses=shared.ingresses,
                   route_kinds=shared.route_kinds, gateway=shared.gateway,
                   default_ttl=default_ttl, scope=shared.scope,
                   domain_policy=shared.domain_policy, owners_index=shared.owners_index,
                   owner_id=shared.owner_id)


@dataclass(frozen=True)
class ServingSettings:
    """How gunicorn serves the app."""

    cert_file: Path
    key_file: Path
    host: str = "0.0.0.0"
    port: int = 8443
    # Two processes survive one crashing; threads serve the apiserver's parallel calls.
    workers: int = 2
    threads: int = 4
    # Seconds. kube-apiserver keeps connections to webhooks open and reuses them; gunicorn's
    # 2 s default would close them between bursts and cost a TLS handshake per request.
    keepalive: int = 75
    # Seconds before gunicorn restarts a silent worker; a review takes milliseconds.
    timeout: int = 30
    # Seconds a connection may hold a worker thread for a request's body and its answer,
    # after which it is cut; the handshake and the request's head have a shorter deadline of
    # their own (`webhook.worker.HEAD_TIMEOUT`, never more than this). Twice the
    # WebhookConfigurations' timeoutSeconds (5): an answer later than that reaches an
    # apiserver that has already given up.
    request_timeout: float = 10.0
    # Whether `webhook.plainwsgi` answers the ordinary POSTs to /validate and /mutate before
    # Flask does. The answers are the same; in process it halves the time per review
    # (docs/admission-review.md, "Serving the review routes"). False serves every route
    # through Flask, for comparing the two.
    plain_reviews: bool = True
