"""The bench rig: the real stack, the counting proxy in front of its Route53, and the
certificate that lets SDKs without a custom-endpoint setting reach that proxy.

Controllers never talk to moto directly: their Route53 endpoint is the proxy, so every call
they make is counted. The bench itself reads the zone straight from moto (`zone_client`),
so its own polling never shows up in a controller's counts.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from certs import pki
from devstack import route53
from devstack.processes import Supervisor
from devstack.r53proxy import Route53Proxy
from devstack.stack import Stack

Progress = Callable[[str], None]
ROUTE53_HOST = "route53.amazonaws.com"


@dataclass
class Rig:
    stack: Stack
    proxy: Route53Proxy
    intercept_ca: Path
    state_dir: Path
    supervisor: Supervisor
    progress: Progress
    zone_id: str = ""

    @property
    def moto_url(self) -> str:
        assert self.stack.route53 is not None
        return self.stack.route53.url

    def fresh_zone(self) -> str:
        """An empty goldentooth.net (moto reset) and zeroed proxy counters."""
        route53.reset(self.moto_url)
        self.zone_id = route53.create_zone(self.moto_url, route53.DEFAULT_ZONE)
        self.proxy.reset_counts()
        return self.zone_id

    def zone_client(self) -> Any:
        return route53.client(self.moto_url)

    def route53_env(self, proxy: Route53Proxy | None = None) -> dict[str, str]:
        """How a controller reaches Route53 through the proxy.

        aws-sdk-go-v2 and boto3 read AWS_ENDPOINT_URL_ROUTE_53. aws-sdk-go v1 (ExternalDNS
        v0.14) has no such setting, so it goes to https://route53.amazonaws.com through
        HTTPS_PROXY, which is this proxy: it answers CONNECT and presents a certificate for
        that name signed by the bench CA. That CA is given as SSL_CERT_FILE (Go's root store
        on Linux), not AWS_CA_BUNDLE: ExternalDNS wraps the SDK's transport for metrics and
        aws-sdk-go v1 then refuses any custom bundle ("HTTPClient's transport unsupported
        type"), so `controllers.start` also removes an inherited AWS_CA_BUNDLE. Go skips the
        proxy for loopback, so with both set every SDK ends up at the proxy and nothing
        leaves the machine.
        """
        assert self.stack.route53 is not None
        url = (proxy or self.proxy).url
        return {
            **self.stack.route53.env(),
            "AWS_ENDPOINT_URL_ROUTE_53": url,
            "AWS_REGION": route53.REGION,
            "HTTPS_PROXY": url,
            "NO_PROXY": "127.0.0.1,localhost",
            "SSL_CERT_FILE": str(self.intercept_ca),
            # No instance metadata lookups (169.254.169.254 is not loopback).
            "AWS_EC2_METADATA_DISABLED": "true",
        }


@dataclass
class Route53Lane:
    """A Route53 of one controller's own (moto + proxy), for scenarios that run several
    controllers side by side without their calls mixing."""

    proxy: Route53Proxy
    moto_url: str
    zone_id: str

    def zone_client(self) -> Any:
        return route53.client(self.moto_url)


@contextmanager
def lane(rig: Rig) -> Iterator[Route53Lane]:
    _, endpoint = route53.start(rig.supervisor)
    context, _ = _intercept_context(rig.state_dir / "intercept", reuse=True)
    with Route53Proxy(endpoint.url, intercept=context) as proxy:
        yield Route53Lane(proxy, endpoint.url, endpoint.zone_id)


def _intercept_context(directory: Path, reuse: bool = False) -> tuple[ssl.SSLContext, Path]:
    ca_file, cert_file = directory / "ca.pem", directory / "tls.crt"
    key_file = directory / "tls.key"
    if reuse and key_file.is_file():
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        return context, ca_file
    day = dt.timedelta(days=1)
    ca = pki.new_ca("dnsgate-bench-route53-ca", valid_for=day)
    leaf = pki.issue(ca, ROUTE53_HOST, valid_for=day, dns_names=(ROUTE53_HOST,))
    directory.mkdir(parents=True, exist_ok=True)
    pki.write_atomic(ca_file, ca.cert_pem, mode=0o644)
    pki.write_atomic(cert_file, leaf.cert_pem)
    pki.write_atomic(key_file, leaf.key_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file


@contextmanager
def running(state_dir: Path, progress: Progress = print) -> Iterator[Rig]:
    state_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(state_dir / "logs")
    with Stack(state_dir / "stack", progress=progress) as stack:
        context, ca_file = _intercept_context(state_dir / "intercept")
        with Route53Proxy(stack.env()["AWS_ENDPOINT_URL_ROUTE_53"], intercept=context) as proxy:
            rig = Rig(stack, proxy, ca_file, state_dir, supervisor, progress)
            try:
                yield rig
            finally:
                supervisor.stop_all()
