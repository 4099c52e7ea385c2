"""Failures while a command runs, told in one line: the cause and the fix, never a traceback.

A configuration problem is a `ConfigError` (dnsgate/errors.py, exit 2). Anything else that
stops a command (the Kubernetes API unreachable or refusing, Route53 refusing, no AWS
region) ends it here with exit 1 and one line:

    dnsgate <command>: error: <what failed>: <why>; fix: <what to do>

The traceback is still there for whoever asks for it: it is logged at debug level.
`explain` is pure (an exception in, a line out) so each cause has a table test.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

EXIT_CODE = 1

_KUBERNETES_FIX = ("check KUBECONFIG or --kubeconfig/--server (in a pod: its ServiceAccount "
                   "token), and that kube-apiserver is up")


def explain(error: BaseException) -> str:
    """One line for `error`: its cause as a user can act on it."""
    for cause in _chain(error):
        line = _kubernetes(cause) or _aws(cause)
        if line:
            return line
    return (f"unexpected {type(error).__name__}: {_one_line(str(error))}; run with "
            "--log-level=debug for the traceback, and report it if the cause is not yours")


def report(error: BaseException, prog: str, stream: TextIO | None = None) -> int:
    logging.getLogger("dnsgate").debug("%s failed", prog, exc_info=error)
    print(f"{prog}: error: {explain(error)}", file=stream or sys.stderr)
    return EXIT_CODE


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kubernetes(error: BaseException) -> str | None:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError, MaxRetryError

    if isinstance(error, ApiException):
        where = _one_line(f"{error.status} {error.reason}")
        if error.status == 401:
            return (f"the Kubernetes API refused the credentials ({where}); fix: "
                    f"{_KUBERNETES_FIX}")
        if error.status == 403:
            return (f"the Kubernetes API forbids it ({where}: {_api_message(error)}); fix: "
                    "grant the rule it names to this ServiceAccount (manifests/base/rbac-*.yaml;"
                    " `dnsgate doctor` lists every right it needs)")
        return (f"the Kubernetes API answered {where}: {_api_message(error)}; fix: "
                f"{_KUBERNETES_FIX}")
    if isinstance(error, MaxRetryError):
        reason = error.reason if error.reason is not None else error
        return (f"cannot reach the Kubernetes API at {error.pool.host}:{error.pool.port} "
                f"({_one_line(_reason(reason))}); fix: {_KUBERNETES_FIX}")
    if isinstance(error, HTTPError):
        return f"the Kubernetes API connection failed ({_one_line(str(error))}); fix: " \
               f"{_KUBERNETES_FIX}"
    return None


def _api_message(error: BaseException) -> str:
    import json

    body = getattr(error, "body", None)
    try:
        message = json.loads(body).get("message") if body else None
    except (ValueError, AttributeError):
        message = None
    return _one_line(str(message or body or ""), 200)


def _reason(reason: BaseException) -> str:
    text = str(reason)
    # urllib3 repeats the pool in its text: keep what the socket said.
    return text.split("): ", 1)[-1].rstrip(")") if "): " in text else text


def _aws(error: BaseException) -> str | None:
    from botocore import exceptions as aws

    if isinstance(error, aws.NoRegionError):
        return ("no AWS region to sign Route53 calls for; fix: set AWS_REGION (or "
                "--aws-region), e.g. us-east-1")
    if isinstance(error, aws.NoCredentialsError):
        return ("no AWS credentials found; fix: mount the credentials file "
                "(AWS_SHARED_CREDENTIALS_FILE) or give the pod a role (IRSA, Pod Identity)")
    if isinstance(error, aws.EndpointConnectionError):
        return (f"cannot reach Route53 ({_one_line(str(error))}); fix: check the network, "
                "and AWS_ENDPOINT_URL_ROUTE_53 if set")
    if isinstance(error, aws.ClientError):
        details = error.response.get("Error", {})
        code, message = details.get("Code", "?"), _one_line(details.get("Message", ""), 200)
        return (f"Route53 refused {error.operation_name}: {code}: {message}; fix: check the "
                "credentials and the IAM policy (`dnsgate iam-policy` prints it)")
    return None
