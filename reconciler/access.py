"""The doctor's two real seams: the apiserver's answers about our own identity, and the
AWS credentials boto3 finds, described so a user can tell which key or role is in use."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler import credentials
from reconciler.doctor import AWS
from reconciler.errors import ConfigError
from reconciler.rights import Right
from reconciler.settings import AWSSettings, KubernetesSettings

TIMEOUT = 10.0  # seconds per review: a black-holed apiserver must not hold the start up


class KubernetesAccess:
    """`doctor.Access` over the kubernetes client's default configuration."""

    def __init__(self, api_client: Any = None) -> None:
        from kubernetes import client

        self._authn = client.AuthenticationV1Api(api_client)
        self._authz = client.AuthorizationV1Api(api_client)

    def whoami(self) -> str:
        """Who the apiserver says we are (SelfSubjectReview, Kubernetes 1.28+). An apiserver
        that cannot say (older, or the review forbidden) still answered: not a failure."""
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        try:
            review = self._authn.create_self_subject_review(
                client.V1SelfSubjectReview(), _request_timeout=TIMEOUT)
        except ApiException as exc:
            if exc.status in (403, 404):
                return "(an identity this apiserver does not report)"
            raise
        user = review.status.user_info if review.status is not None else None
        return str(user.username) if user is not None and user.username else "(unknown user)"

    def allowed(self, right: Right, namespace: str) -> tuple[bool, str]:
        from kubernetes import client

        resource, _, subresource = right.resource.partition("/")
        review = self._authz.create_self_subject_access_review(client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(
                    group=right.group, resource=resource, subresource=subresource or None,
                    verb=right.verb, namespace=namespace or None))),
            _request_timeout=TIMEOUT)
        status = review.status
        if status is None:
            return False, "the apiserver answered the review without a status"
        return bool(status.allowed), str(status.reason or status.evaluation_error or "")


def connect(kubernetes: KubernetesSettings | None = None) -> KubernetesAccess:
    """The same API the reconciler reaches: --kubeconfig, else the in-cluster account, else
    KUBECONFIG; --server replacing the API server's URL."""
    from dnsgate import kube

    kubernetes = kubernetes or KubernetesSettings()
    kube.load_config(kubernetes.kubeconfig, kubernetes.server)
    return KubernetesAccess()


def aws(settings: AWSSettings | None = None, environ: Mapping[str, str] = os.environ) -> AWS:
    """A Route53 client from boto3's chain (with --aws-profile and --aws-region), and which
    credentials it found, or why none."""
    from botocore.exceptions import BotoCoreError

    try:
        session = credentials.session(settings)
    except ConfigError as exc:
        return AWS(None, str(exc))
    try:
        found = session.get_credentials()
        key = found.access_key if found is not None else ""
    except BotoCoreError as exc:
        return AWS(None, f"cannot read the AWS credentials: {exc}")
    if found is None:
        return AWS(None, f"no AWS credentials found ({_nothing_found(environ)})")
    source = f"access key {mask(key)} from {found.method}"
    if found.method == "shared-credentials-file":
        source += f" {credentials.watched_files(environ)[0]}"
    return AWS(credentials.route53_client(settings), source)


def mask(key: str) -> str:
    """Enough of an access key id to tell keys apart, as the IAM console shows them."""
    return f"{key[:4]}...{key[-4:]}" if len(key) > 8 else "****"


def _nothing_found(environ: Mapping[str, str]) -> str:
    path = environ.get("AWS_SHARED_CREDENTIALS_FILE")
    if path is None:
        return ("no AWS_ACCESS_KEY_ID, no AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials "
                "holds none, and no IAM role answered")
    if not Path(path).is_file():
        return f"AWS_SHARED_CREDENTIALS_FILE={path} does not exist: is the Secret mounted there?"
    profile = environ.get("AWS_PROFILE", "default")
    return (f"AWS_SHARED_CREDENTIALS_FILE={path} has no aws_access_key_id and "
            f"aws_secret_access_key under [{profile}]")
