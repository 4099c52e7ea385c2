"""The reconciler's settings: parsed once from flags (or DNSGATE_* and EXTERNAL_DNS_* env)
into grouped frozen dataclasses, each stage handed only its own slice.

Flag names are ExternalDNS's where the meaning is the same, so a Deployment's args carry
over; what dnsgate does with each ExternalDNS flag is `dnsgate.externaldns` (docs/flags.md).
Bad or conflicting values raise `ConfigError` with one line naming the flag, the value and
what would be valid.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import socket
import uuid
from dataclasses import dataclass, field
from typing import Literal

from dnsgate import durations, errors, externaldns, gateway, owners, publication
from dnsgate.domains import DomainFilter
from dnsgate.gateway import GatewaySettings
from dnsgate.ingress import IngressSettings
from reconciler import alias, batching, deleteguard
from reconciler.alias import AliasSettings
from reconciler.errors import ConfigError
from reconciler.leader import LeaderElectionSettings

Policy = Literal["sync", "upsert-only", "create-only"]
POLICIES: tuple[Policy, ...] = ("sync", "upsert-only", "create-only")
ZONE_TYPES = ("", "public", "private")


@dataclass(frozen=True)
class KubernetesSettings:
    """How to reach the Kubernetes API (ExternalDNS's --kubeconfig and --server)."""

    kubeconfig: str = ""
    """Empty: the pod's service account, else KUBECONFIG or ~/.kube/config."""
    server: str = ""
    """Empty: the API server the kubeconfig or the pod names."""


@dataclass(frozen=True)
class AWSSettings:
    """How to reach AWS; credentials and the endpoint come from boto3's own chain."""

    region: str | None = None
    """None: boto3's chain (AWS_REGION, AWS_DEFAULT_REGION, the profile). Route53 is global:
    the region picks only the partition (aws, aws-cn, aws-us-gov) and so its endpoint."""
    profile: str | None = None
    """None: boto3's chain (AWS_PROFILE, else the default profile)."""


@dataclass(frozen=True)
class SourceSettings:
    domains: DomainFilter
    namespace: str = ""
    """Namespace to watch; empty watches all (ExternalDNS's --namespace default)."""
    label_filter: str = ""
    """A label selector the API server applies to the Service watch; empty selects all."""
    publish_internal: bool = False
    """--publish-internal-services: ClusterIP Services' hostnames get their cluster IP."""
    aliases: AliasSettings = field(default_factory=AliasSettings)
    """--aws-prefer-cname and --aws-evaluate-target-health: ExternalDNS applies them in its
    AWS provider; dnsgate when it turns a Service into record sets."""
    sources: tuple[str, ...] = ("service",)
    """--source (repeatable): which kinds are watched: "service", "ingress", `gateway-*`."""
    ingress: IngressSettings = field(default_factory=IngressSettings)
    """--ingress-class, --ignore-ingress-tls-spec, --ignore-ingress-rules-spec."""
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    """--gateway-name, --gateway-namespace, --gateway-label-filter (docs/gateway-api.md)."""
    domain_policy: str = ""
    """--domain-policy: "<namespace>/<name>" of the domain policy ConfigMap; empty: none."""

    @property
    def route_kinds(self) -> tuple[str, ...]:
        """The route kinds ("HTTPRoute", ...) of the `gateway-*` sources given."""
        return tuple(gateway.SOURCES[s].name for s in self.sources if s in gateway.SOURCES)


@dataclass(frozen=True)
class RegistrySettings:
    owner_id: str = "default"
    """ExternalDNS's default owner id, so a zone it manages unconfigured is ours by default."""
    prefix: str = ""
    suffix: str = ""
    wildcard_replacement: str = ""
    aes_key: bytes | None = None
    """32 raw bytes for AES-256-GCM TXT values, or None for plain text."""
    alias_txt_type: str = "CNAME"
    """The type a new A alias's ownership TXT is named for: CNAME (`cname-`) as ExternalDNS
    up to v0.21 writes it, A (`a-`) as v0.22+ does (--rollback-release). An alias that has
    one keeps its own (docs/route53-alias.md, "Which TXT name an alias gets")."""


@dataclass(frozen=True)
class Route53Settings:
    domains: DomainFilter
    zone_type: str = ""
    """"public", "private" or "" for both, as ExternalDNS's --aws-zone-type."""
    zone_ids: tuple[str, ...] = ()
    requests_per_second: float = 5.0
    """Route53's documented limit: 5 requests/second per account, shared by all calls."""
    batch_changes: int = batching.MAX_CHANGES
    batch_values: int = batching.MAX_VALUES
    batch_chars: int = batching.MAX_VALUE_CHARS
    """Per ChangeResourceRecordSets call: Route53's own limits unless lowered."""
    batch_interval: float = 0.0
    """Seconds between two change calls. ExternalDNS waits 1 s; dnsgate's calls are already
    spaced by `requests_per_second`, so it adds nothing unless asked."""
    api_retries: int = 5
    """Retries of a throttled or failed call: 5 makes six tries, the last 3 to 6 s after the
    first with reconciler/throttle.py's backoff (ExternalDNS's --aws-api-retries: 3)."""


@dataclass(frozen=True)
class ControllerSettings:
    policy: Policy = "sync"
    interval: float = 900.0
    """Seconds between full resyncs (a zone listing each). ExternalDNS defaults to 1m
    because it polls: its resync is how it sees changes. dnsgate applies Service events as
    they come, so its resync only repairs drift made outside Kubernetes; 15m spends 15x fewer
    Route53 calls than a 1m poll, inside the 5 requests/second every account shares."""
    once: bool = False
    dry_run: bool = False
    coalesce: float = 0.2
    """Seconds to wait after a Service event for more, so a burst becomes one batch."""
    guard: deleteguard.GuardSettings = field(default_factory=deleteguard.GuardSettings)
    """--max-deletes, --max-deletes-percent, --confirm-deletes (docs/deletes.md)."""


@dataclass(frozen=True)
class Settings:
    source: SourceSettings
    registry: RegistrySettings
    route53: Route53Settings
    controller: ControllerSettings
    leader_election: LeaderElectionSettings | None = None
    """None: no election, this replica always writes (ExternalDNS's only mode)."""
    health_port: int = 0
    """0: no /healthz, /readyz, /metrics server."""
    health_address: str = "0.0.0.0"
    """The interface it listens on (all, unless --metrics-address names one)."""
    kubernetes: KubernetesSettings = KubernetesSettings()
    aws: AWSSettings = AWSSettings()
    owners_index: owners.Location | None = None
    """--owners-index: the ConfigMap each resync lists other owners' record sets in."""
    migrate_from_txt_owner: str = ""
    """--migrate-from-txt-owner: the owner id whose records of this cluster's objects a
    `--once` run takes over first (reconciler.handover); "": none."""


def from_args(args: argparse.Namespace) -> Settings:
    try:  # what the webhook reads too, parsed and checked by the same function
        shared = publication.from_args(args)
    except errors.ConfigError as exc:
        raise ConfigError(str(exc)) from exc
    _check_supported_values(args)
    if args.policy not in POLICIES:
        raise ConfigError(f'--policy "{args.policy}" is not a policy; use one of '
                          f"{', '.join(POLICIES)}")
    if args.aws_zone_type not in ZONE_TYPES:
        raise ConfigError(f'--aws-zone-type "{args.aws_zone_type}" is not a zone type; use '
                          'public, private, or "" for both')
    key_text = _aes_key_text(args)
    if args.txt_encrypt_enabled and not key_text:
        raise ConfigError("--txt-encrypt-enabled needs --txt-encrypt-aes-key or "
                          "--txt-encrypt-aes-key-file (32 bytes, raw or base64)")
    if key_text and not args.txt_encrypt_enabled:
        raise ConfigError("an AES key is set (--txt-encrypt-aes-key or its file) but "
                          "--txt-encrypt-enabled is not; set both to encrypt TXT values, or "
                          "neither")
    if not 0 <= args.health_port <= 65535:
        raise ConfigError(f"--health-port {args.health_port} is not a port; use 1 to 65535, "
                          "or 0 for none")
    health_address, health_port = _health_address(args.metrics_address, args.health_port)
    if len(args.aws_profile) > 1:
        raise ConfigError(f"--aws-profile {', '.join(args.aws_profile)}: dnsgate writes to "
                          "one AWS account; give one profile")
    return Settings(
        leader_election=_leader_election(args),
        owners_index=shared.owners_index,
        migrate_from_txt_owner=_migrate_from(args, shared.owner_id),
        health_port=health_port,
        health_address=health_address,
        kubernetes=KubernetesSettings(kubeconfig=args.kubeconfig, server=args.server),
        aws=AWSSettings(region=args.aws_region or None,
                        profile=args.aws_profile[0] if args.aws_profile else None),
        source=SourceSettings(
            domains=shared.domains, namespace=shared.scope.namespace,
            label_filter=shared.scope.labels.text, publish_internal=shared.publish_internal,
            sources=shared.scope.sources, ingress=shared.ingress, gateway=shared.gateway,
            domain_policy=shared.domain_policy,
            aliases=AliasSettings(prefer_cname=args.aws_prefer_cname,
                                  evaluate_target_health=args.aws_evaluate_target_health)),
        registry=RegistrySettings(
            owner_id=shared.owner_id,
            prefix=shared.txt.prefix,
            suffix=shared.txt.suffix,
            wildcard_replacement=shared.txt.wildcard_replacement,
            aes_key=aes_key(key_text) if key_text else None,
            alias_txt_type=_alias_txt_type(args.rollback_release),
        ),
        route53=Route53Settings(
            domains=shared.domains,
            zone_type=args.aws_zone_type,
            zone_ids=tuple(z.rsplit("/", 1)[-1] for z in args.zone_id_filter),
            batch_changes=_limit("--aws-batch-change-size", args.aws_batch_change_size,
                                 batching.MAX_CHANGES, "changes"),
            batch_values=_limit("--aws-batch-change-size-values",
                                args.aws_batch_change_size_values, batching.MAX_VALUES,
                                "record values"),
            batch_chars=_limit("--aws-batch-change-size-bytes", args.aws_batch_change_size_bytes,
                               batching.MAX_VALUE_CHARS, "characters of record values"),
            batch_interval=duration_seconds("--aws-batch-change-interval",
                                            args.aws_batch_change_interval, allow_zero=True),
            api_retries=_retries(args.aws_api_retries),
        ),
        controller=ControllerSettings(
            policy=args.policy,
            interval=duration_seconds("--interval", args.interval),
            once=args.once,
            dry_run=args.dry_run,
            guard=deleteguard.from_args(args),
        ),
    )


def _migrate_from(args: argparse.Namespace, owner_id: str) -> str:
    old: str = args.migrate_from_txt_owner
    if old and not args.once:
        raise ConfigError(f'--migrate-from-txt-owner "{old}" takes records over once: run it '
                          "with --once, first with --dry-run to review the table; a standing "
                          "flag would take over again at every restart")
    if old and old == owner_id:
        raise ConfigError(f'--migrate-from-txt-owner "{old}" is this reconciler\'s own '
                          "--txt-owner-id; give the owner id the records carry now")
    return old


def _alias_txt_type(release: str) -> str:
    try:
        return alias.txt_type_for_release(release)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _leader_election(args: argparse.Namespace) -> LeaderElectionSettings | None:
    if not args.leader_election_namespace or args.once or args.dry_run:
        return None  # a one-shot or read-only run takes no part in the election
    identity = args.leader_election_id or f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"
    try:
        return LeaderElectionSettings(
            namespace=args.leader_election_namespace, identity=identity,
            lease_duration=args.lease_duration, renew_deadline=args.renew_deadline,
            retry_period=args.retry_period)
    except ValueError as exc:
        raise ConfigError(f"--lease-duration, --renew-deadline, --retry-period: {exc}") from exc


def _aes_key_text(args: argparse.Namespace) -> str:
    """The key from the flag (its environment variable filled from a Secret by
    `secretKeyRef`) or from a file (a mounted Secret); giving both is refused."""
    path = getattr(args, "txt_encrypt_aes_key_file", "")
    if not path:
        return str(args.txt_encrypt_aes_key)
    if args.txt_encrypt_aes_key:
        raise ConfigError("--txt-encrypt-aes-key and --txt-encrypt-aes-key-file are both set; "
                          "give the key once")
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError as exc:
        raise ConfigError(f'--txt-encrypt-aes-key-file "{path}" cannot be read '
                          f"({exc.strerror}); mount the Secret holding the key there") from exc


def aes_key(value: str) -> bytes:
    """ExternalDNS takes the key as 32 raw bytes or as base64 of 32 bytes."""
    if len(value.encode()) == 32:
        return value.encode()
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 32:
        raise ConfigError("--txt-encrypt-aes-key is neither 32 bytes nor base64 of 32 bytes "
                          f"(got {len(value)} characters); AES-256-GCM needs a 32-byte key")
    return decoded


def duration_seconds(flag: str, value: str, *, allow_zero: bool = False) -> float:
    """Seconds ("60") or a Go duration ("1m", "30s"), as ExternalDNS's duration flags."""
    text = str(value).strip()
    seconds = float(text) if text.replace(".", "", 1).isdigit() else (
        durations.go_seconds(text))
    if seconds is None or seconds < 0 or (seconds == 0 and not allow_zero):
        kind = "duration" if allow_zero else "positive duration"
        raise ConfigError(f'{flag} "{value}" is not a {kind}; use seconds ("60") or a Go '
                          'duration ("1m", "30s")')
    return seconds


def _check_supported_values(args: argparse.Namespace) -> None:
    """--provider and --registry: only the values dnsgate implements (the shared flags'
    values are `dnsgate.publication`'s to check)."""
    chosen = {"provider": (args.provider,), "registry": (args.registry,)}
    for name, values in chosen.items():
        message = externaldns.unsupported_value(name, values)
        if message:
            raise ConfigError(message)


def _health_address(metrics_address: str, health_port: int) -> tuple[str, int]:
    """ExternalDNS's --metrics-address ([HOST]:PORT) or dnsgate's --health-port."""
    if not metrics_address:
        return "0.0.0.0", health_port
    host, colon, port = metrics_address.rpartition(":")
    if not colon or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f'--metrics-address "{metrics_address}" is not [HOST]:PORT; use '
                          'e.g. ":7979" (every interface) or "127.0.0.1:7979"')
    if health_port and health_port != int(port):
        raise ConfigError(f'--metrics-address "{metrics_address}" and --health-port '
                          f"{health_port} name two ports for one server; give one of them")
    return host.strip("[]") or "0.0.0.0", int(port)


def _limit(flag: str, value: int, route53_limit: int, unit: str) -> int:
    if not 1 <= value <= route53_limit:
        raise ConfigError(f"{flag} {value}: Route53 takes 1 to {route53_limit} {unit} per "
                          "call (an update, sent as DELETE and CREATE, counts twice); use a "
                          "value in that range")
    return value


def _retries(value: int) -> int:
    if value < 0:
        raise ConfigError(f"--aws-api-retries {value} is negative; use 0 (no retry) or more")
    return value


def interval_seconds(value: str) -> float:
    """--interval in seconds (the benchmarks read intervals the way the flag does)."""
    return duration_seconds("--interval", value)
