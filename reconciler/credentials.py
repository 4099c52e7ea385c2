"""AWS credentials that follow their file: the Route53 client is rebuilt when the shared
credentials file (or config file) changes, so a rotated key needs no restart.

boto3 reads a credentials file once, when a session first resolves its credentials, and
keeps those keys for the life of the client. A Secret mounted as a volume is updated in place
when it changes (the kubelet swaps the files, without a restart of the pod), so without this
a rotated key would reach a running reconciler only when it restarts, and deleting the old
key would stop it. `FollowingClient` hashes the files boto3 reads before each call (a few
hundred bytes; calls are at most 5 a second) and builds a new session and client when their
content differs. Credentials that refresh themselves (IRSA's web identity token, instance
roles) are boto3's own business; following the files costs them nothing. The facts:
docs/install.md, "A rotated key".
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from reconciler.errors import ConfigError
from reconciler.route53 import Route53Client
from reconciler.settings import AWSSettings

log = logging.getLogger("dnsgate.reconcile")


def watched_files(environ: Mapping[str, str] = os.environ) -> tuple[Path, ...]:
    """The files boto3 takes credentials from, as it resolves their paths."""
    return (
        Path(environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")).expanduser(),
        Path(environ.get("AWS_CONFIG_FILE", "~/.aws/config")).expanduser(),
    )


def fingerprint(paths: tuple[Path, ...]) -> str:
    """A digest of the files' contents; a missing or unreadable file counts as absent."""
    digest = hashlib.sha256()
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError:
            content = b"\0absent"
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def region(aws: AWSSettings) -> str | None:
    """--aws-region, else `AWS_REGION`, else None for boto3's own chain (AWS_DEFAULT_REGION,
    the profile). botocore reads only AWS_DEFAULT_REGION, while the AWS SDK for Go that
    ExternalDNS uses reads AWS_REGION first (docs/route53.md, "Region"): an ExternalDNS
    Deployment's `AWS_REGION` must keep working when carried across."""
    return aws.region or os.environ.get("AWS_REGION") or None


def session(aws: AWSSettings | None = None) -> Any:
    """A boto3 session with --aws-profile and the region (`region`), the rest from boto3's
    chain."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    aws = aws or AWSSettings()
    try:
        return boto3.session.Session(profile_name=aws.profile, region_name=region(aws))
    except ProfileNotFound as exc:
        raise ConfigError(f'--aws-profile "{aws.profile}": {exc}; profiles come from '
                          "AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE") from exc


def route53_client(aws: AWSSettings | None = None) -> Route53Client:
    """A boto3 Route53 client from the usual chain. botocore's retries are off:
    `throttle.call` retries with our backoff and counts every call."""
    from botocore.config import Config

    client = session(aws).client("route53", config=Config(retries={"total_max_attempts": 1}))
    return cast(Route53Client, client)


class FollowingClient:
    """A `Route53Client` that rebuilds its boto3 client when the credentials files change."""

    def __init__(self, build: Callable[[], Route53Client] = route53_client,
                 files: tuple[Path, ...] | None = None) -> None:
        self._build = build
        self._files = watched_files() if files is None else files
        self._lock = threading.Lock()
        self._seen = fingerprint(self._files)
        self._client = build()
        self.rebuilds = 0

    def current(self) -> Route53Client:
        seen = fingerprint(self._files)
        with self._lock:
            if seen != self._seen:
                log.info("AWS credentials changed (%s); using them from now on",
                         ", ".join(str(p) for p in self._files))
                self._client, self._seen = self._build(), seen
                self.rebuilds += 1
            return self._client

    def list_hosted_zones(self, **kwargs: Any) -> Any:
        return self.current().list_hosted_zones(**kwargs)

    def list_resource_record_sets(self, **kwargs: Any) -> Any:
        return self.current().list_resource_record_sets(**kwargs)

    def change_resource_record_sets(self, **kwargs: Any) -> Any:
        return self.current().change_resource_record_sets(**kwargs)
