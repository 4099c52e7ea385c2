"""A real ExternalDNS release run against the test apiserver and moto, for the round trips.

The binary is the release's own (`devstack.externaldns`). v0.23.0's aws-sdk-go-v2 reads
AWS_ENDPOINT_URL_ROUTE_53; v0.14.2's aws-sdk-go v1 (v1.53.3) reads no endpoint setting and no
ExternalDNS flag of that release sets one, so it goes to https://route53.amazonaws.com through
HTTPS_PROXY: the Route53 proxy answers CONNECT with a certificate for that name from a CA of
the test's own, given as SSL_CERT_FILE (as bench/rig.py does). NO_PROXY keeps the apiserver
direct, and nothing leaves the machine.

`run` returns what the release logged as JSON lines (`--log-format=json`); `planned` picks the
changes its AWS provider logs (`Desired change: <ACTION> <name> <type>`, in dry-run and real
runs alike) and `warnings` its warnings.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from certs import pki
from devstack import externaldns
from devstack.controlplane import free_port
from devstack.r53proxy import Route53Proxy

ROUTE53_HOST = "route53.amazonaws.com"
DOMAIN = "goldentooth.net"
SOURCES = ("service", "ingress")
LATEST_ANNOTATIONS = (0, 22)
"""v0.22+ reads one annotation prefix, `external-dns.kubernetes.io/` unless told; the tests'
objects use the alpha prefix, as the seed's do."""


@dataclass(frozen=True)
class Route53Access:
    """How a release reaches the test's Route53: the proxy's URL and the CA it presents."""

    proxy: Route53Proxy
    ca_file: Path

    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL_ROUTE_53": self.proxy.url, "HTTPS_PROXY": self.proxy.url,
                "NO_PROXY": "127.0.0.1,localhost", "SSL_CERT_FILE": str(self.ca_file),
                "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


@contextmanager
def route53_access(upstream: str, directory: Path) -> Iterator[Route53Access]:
    """A strict Route53 proxy in front of `upstream` (moto) that also intercepts HTTPS to
    route53.amazonaws.com, refusing a CREATE of an existing set or a DELETE that does not
    match, as Route53 does."""
    day = dt.timedelta(days=1)
    ca = pki.new_ca("dnsgate-test-route53-ca", valid_for=day)
    leaf = pki.issue(ca, ROUTE53_HOST, valid_for=day, dns_names=(ROUTE53_HOST,))
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "tls.crt", "tls.key"))
    pki.write_atomic(ca_file, ca.cert_pem, mode=0o644)
    pki.write_atomic(cert_file, leaf.cert_pem)
    pki.write_atomic(key_file, leaf.key_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    with Route53Proxy(upstream, intercept=context, strict=True) as proxy:
        yield Route53Access(proxy, ca_file)


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


def argv(version: str, kubeconfig: Path, namespace: str, owner: str, *,
         dry_run: bool, sources: tuple[str, ...] = SOURCES) -> list[str]:
    args = [str(externaldns.binary(version)), *(f"--source={s}" for s in sources),
            "--provider=aws", "--registry=txt", "--policy=sync", f"--txt-owner-id={owner}",
            f"--domain-filter={DOMAIN}", f"--namespace={namespace}",
            f"--kubeconfig={kubeconfig}", "--once", "--log-format=json", "--log-level=debug",
            # Its default, :7979, would listen on every interface.
            f"--metrics-address=127.0.0.1:{free_port()}"]
    if dry_run:
        args.append("--dry-run")
    if version_tuple(version) >= LATEST_ANNOTATIONS:
        args.append("--annotation-prefix=external-dns.alpha.kubernetes.io/")
    return args


def run(version: str, access: Route53Access, kubeconfig: Path, namespace: str, owner: str,
        *, dry_run: bool, sources: tuple[str, ...] = SOURCES) -> list[dict[str, Any]]:
    """One `--once` sync by the release of `sources`; its log lines. Fails unless it exits
    0."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EXTERNAL_DNS_") and k != "AWS_CA_BUNDLE"}
    # A machine-wide AWS_CA_BUNDLE makes aws-sdk-go v1 refuse ExternalDNS's instrumented
    # transport at start; the proxy's CA comes through SSL_CERT_FILE instead.
    result = subprocess.run(argv(version, kubeconfig, namespace, owner, dry_run=dry_run,
                                 sources=sources),
                            capture_output=True, text=True, timeout=240,
                            env={**env, **access.env()}, check=False)
    lines = [_parsed(line) for line in result.stderr.splitlines() + result.stdout.splitlines()]
    if result.returncode != 0:
        raise AssertionError(f"external-dns {version} exited {result.returncode}:\n"
                             + "\n".join(str(line) for line in lines[-30:]))
    return lines


def planned(lines: list[dict[str, Any]]) -> list[str]:
    """Each change the release's AWS provider would send: "<ACTION> <name> <type>"."""
    return [str(line["msg"]).removeprefix("Desired change: ").split(" [Id:")[0]
            for line in lines if str(line.get("msg", "")).startswith("Desired change: ")]


def warnings(lines: list[dict[str, Any]]) -> list[str]:
    return [str(line.get("msg")) for line in lines if line.get("level") in ("warning", "error")]


def synced(lines: list[dict[str, Any]]) -> bool:
    """Whether the release planned and found nothing to do."""
    return any(line.get("msg") == "All records are already up to date" for line in lines)


def _parsed(line: str) -> dict[str, Any]:
    try:
        found = json.loads(line)
    except json.JSONDecodeError:
        return {"msg": line, "level": "unparsed"}
    return found if isinstance(found, dict) else {"msg": line, "level": "unparsed"}
