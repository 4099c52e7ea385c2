"""Fixtures for the benchmark tooling: a moto Route53 server of its own behind the proxy.

The proxy tests need a Route53 whose state they own (faults, poison, counts), so they start
moto's threaded server here rather than sharing the session stack's; the smoke test of the
bench scripts starts its own stack through `python -m bench`, as a user would.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from certs import pki
from devstack import route53
from devstack.r53proxy import Route53Proxy


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def zone(moto_url: str) -> str:
    route53.reset(moto_url)
    return route53.create_zone(moto_url, route53.DEFAULT_ZONE)


@pytest.fixture
def intercept(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A certificate for route53.amazonaws.com and the CA file a client must trust."""
    day = dt.timedelta(days=1)
    ca = pki.new_ca("test-ca", valid_for=day)
    leaf = pki.issue(ca, "route53.amazonaws.com", valid_for=day,
                     dns_names=("route53.amazonaws.com",))
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    (tmp_path / "tls.crt").write_bytes(leaf.cert_pem)
    (tmp_path / "tls.key").write_bytes(leaf.key_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "tls.crt", tmp_path / "tls.key")
    return context, tmp_path / "ca.pem"


@pytest.fixture
def proxy(moto_url: str, intercept: tuple[ssl.SSLContext, Path]) -> Iterator[Route53Proxy]:
    with Route53Proxy(moto_url, intercept=intercept[0]) as running:
        yield running


def no_retry_client(url: str) -> Any:
    """boto3 with retries off, so each call is exactly one request the proxy sees."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "route53", endpoint_url=url, region_name=route53.REGION,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
