"""A rotated credentials file reaches a running reconciler without a restart.

The file is written the way the kubelet updates a mounted Secret: the files live in a
timestamped directory that a `..data` symlink points at, and an update swaps that symlink
atomically. Route53 enforces IAM, so once the old key is deleted only the new key works: a
reconciler still holding the old one would be refused (InvalidClientTokenId) and stop."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devstack.iam_route53 import IamRoute53, Keys
from tests.doctor.conftest import DOMAIN, clean_env
from tests.production.conftest import wait_for

pytestmark = pytest.mark.e2e

EVERY_RIGHT = ["route53:ListHostedZones", "route53:ListResourceRecordSets",
               "route53:ChangeResourceRecordSets"]


class SecretVolume:
    """A directory as the kubelet lays out a Secret volume holding key `credentials`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        self.generation = 0
        (root / "credentials").symlink_to("..data/credentials")

    def write(self, keys: Keys) -> None:
        self.generation += 1
        fresh = self.root / f"..{self.generation}"
        fresh.mkdir()
        (fresh / "credentials").write_text(keys.credentials_file())
        link = self.root / "..data_tmp"
        link.symlink_to(fresh.name)
        os.replace(link, self.root / "..data")  # the atomic swap the kubelet makes

    @property
    def path(self) -> Path:
        return self.root / "credentials"


def a_record(iam: IamRoute53, name: str) -> bool:
    records = iam.client("route53").list_resource_record_sets(
        HostedZoneId=iam.zone_id)["ResourceRecordSets"]
    return any(r["Name"] == f"{name}." and r["Type"] == "A" for r in records)


def test_a_rotated_key_is_used_without_a_restart_after_the_old_one_is_deleted(
        iam_route53: IamRoute53, start_reconciler, load_balancer, namespace: str,  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    user = f"rotating-{namespace}"[:64]
    old = iam_route53.user(user, EVERY_RIGHT)
    volume = SecretVolume(tmp_path / "aws")
    volume.write(old)
    env = clean_env(**iam_route53.env(), AWS_SHARED_CREDENTIALS_FILE=str(volume.path))
    reconciler = start_reconciler(env, "--interval=1m")
    load_balancer("before", f"before-{namespace[:20]}.{DOMAIN}", "10.4.11.1")
    wait_for(lambda: a_record(iam_route53, f"before-{namespace[:20]}.{DOMAIN}"), 30,
             "a record written with the first key")

    new = iam_route53.new_key(user)
    volume.write(new)
    iam_route53.delete_key(user, old)
    load_balancer("after", f"after-{namespace[:20]}.{DOMAIN}", "10.4.11.2")

    wait_for(lambda: a_record(iam_route53, f"after-{namespace[:20]}.{DOMAIN}")
             or not reconciler.child.alive(), 30, "a record written with the rotated key")
    assert reconciler.child.alive(), reconciler.log()
    assert a_record(iam_route53, f"after-{namespace[:20]}.{DOMAIN}")
    assert "AWS credentials changed" in reconciler.log()
    assert reconciler.sample("dnsgate_route53_requests_total", outcome="error") == 0
