"""A Route53 endpoint on loopback: moto's standalone server, reached exactly as AWS is (with
its CREATE check made Route53's, `devstack.motoserver`).

Clients find it through `AWS_ENDPOINT_URL_ROUTE_53` (boto3's per-service endpoint variable;
the service id is "Route 53", hence the underscore in ROUTE_53, and the spelling without it
is silently ignored) and dummy credentials. The seed's public zone `goldentooth.net` is
created once the server answers.
"""

from __future__ import annotations

import sys
import urllib.request
import uuid
from dataclasses import dataclass

from devstack.controlplane import free_port
from devstack.processes import Child, Supervisor, wait_until

DEFAULT_ZONE = "goldentooth.net"
REGION = "us-east-1"
# moto accepts any credentials; these make it obvious in logs that nothing real is used.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "dnsgate-dev", "AWS_SECRET_ACCESS_KEY": "dnsgate-dev"}


@dataclass(frozen=True)
class Route53Endpoint:
    url: str
    zone_id: str
    zone_name: str

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_ROUTE_53": self.url,
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
        }


def start(supervisor: Supervisor, zone: str = DEFAULT_ZONE) -> tuple[Child, Route53Endpoint]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    child = supervisor.start(
        "route53", [sys.executable, "-m", "devstack.motoserver", "-H", "127.0.0.1", "-p", str(port)]
    )

    def answering() -> bool:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:
            return bool(response.status == 200)

    wait_until(child, answering, timeout=60, what="answering HTTP")
    zone_id = create_zone(url, zone)
    return child, Route53Endpoint(url=url, zone_id=zone_id, zone_name=zone)


def client(url: str):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client(
        "route53",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def create_zone(url: str, name: str, *, private: bool = False) -> str:
    """Create a hosted zone and return its bare id (`Z...`, without `/hostedzone/`)."""
    kwargs: dict[str, object] = {"Name": f"{name}.", "CallerReference": str(uuid.uuid4())}
    if private:
        kwargs["HostedZoneConfig"] = {"PrivateZone": True, "Comment": "dnsgate private zone"}
        kwargs["VPC"] = {"VPCRegion": REGION, "VPCId": "vpc-dnsgate"}
    zone = client(url).create_hosted_zone(**kwargs)["HostedZone"]
    return str(zone["Id"]).rsplit("/", 1)[-1]


def reset(url: str) -> None:
    """Forget every zone and record (moto's own reset API), for test isolation."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
