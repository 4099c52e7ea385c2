"""Every failure that stops a command is one line naming its cause and its fix."""

from __future__ import annotations

import json

import pytest
from botocore import exceptions as aws
from kubernetes.client.exceptions import ApiException
from urllib3 import HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, NewConnectionError

from dnsgate import failures


def _api(status: int, reason: str, message: str) -> ApiException:
    error = ApiException(status=status, reason=reason)
    error.body = json.dumps({"kind": "Status", "message": message})
    return error


def _unreachable() -> MaxRetryError:
    pool = HTTPSConnectionPool("127.0.0.1", 9)
    refused = NewConnectionError(pool, "Failed to establish a new connection: [Errno 111] "  # type: ignore[arg-type]
                                       "Connection refused")
    return MaxRetryError(pool, "/api/v1/services", refused)


def _chained(outer: Exception, inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception as exc:
            raise outer from exc
    except Exception as caught:
        return caught


@pytest.mark.parametrize(("error", "line"), [
    (_unreachable(),
     "cannot reach the Kubernetes API at 127.0.0.1:9 (Failed to establish a new connection: "
     "[Errno 111] Connection refused); fix: check KUBECONFIG or --kubeconfig/--server (in a "
     "pod: its ServiceAccount token), and that kube-apiserver is up"),
    (_api(403, "Forbidden", 'services is forbidden: User "system:serviceaccount:d:r" cannot '
                            'list resource "services"'),
     'the Kubernetes API forbids it (403 Forbidden: services is forbidden: User '
     '"system:serviceaccount:d:r" cannot list resource "services"); fix: grant the rule it '
     "names to this ServiceAccount (manifests/base/rbac-*.yaml; `dnsgate doctor` lists every "
     "right it needs)"),
    (_api(401, "Unauthorized", "Unauthorized"),
     "the Kubernetes API refused the credentials (401 Unauthorized); fix: check KUBECONFIG or "
     "--kubeconfig/--server (in a pod: its ServiceAccount token), and that kube-apiserver is "
     "up"),
    (aws.NoRegionError(),
     "no AWS region to sign Route53 calls for; fix: set AWS_REGION (or --aws-region), e.g. "
     "us-east-1"),
    (aws.ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}},
                     "ChangeResourceRecordSets"),
     "Route53 refused ChangeResourceRecordSets: AccessDenied: not allowed; fix: check the "
     "credentials and the IAM policy (`dnsgate iam-policy` prints it)"),
    # wrapped by dnsgate's own errors: the cause is found down the chain
    (_chained(RuntimeError("sync failed"), aws.NoRegionError()),
     "no AWS region to sign Route53 calls for; fix: set AWS_REGION (or --aws-region), e.g. "
     "us-east-1"),
    (ValueError("a\nmulti-line\n  message"),
     "unexpected ValueError: a multi-line message; run with --log-level=debug for the "
     "traceback, and report it if the cause is not yours"),
])
def test_a_failure_is_explained_in_one_line(error: BaseException, line: str) -> None:
    assert failures.explain(error) == line


def test_the_doctor_names_a_missing_region_not_the_credentials() -> None:
    from reconciler import remedies

    detail, fix = remedies.credentials(aws.NoRegionError(), "access key **** from env")

    assert detail == "access key **** from env: no AWS region to sign Route53 calls for"
    assert fix == "set AWS_REGION (or --aws-region), e.g. us-east-1"
