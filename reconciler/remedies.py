"""What the doctor tells the user when AWS refuses: the AWS error code, read through
dnsgate's own wrapping of botocore's errors, and for each code what it means and what to
fix. The codes are AWS's (docs/route53.md, "IAM"): an unknown key, a wrong secret, an
expired session and a missing right each have their own."""

from __future__ import annotations

IAM_POLICY_HINT = "`dnsgate iam-policy` prints the whole policy"
NO_CREDENTIALS = (
    "mount the Secret holding the credentials file and point AWS_SHARED_CREDENTIALS_FILE at "
    "it (the seed's /.aws/credentials: Secret key `credentials`, mounted at /.aws), or give "
    "the pod an IAM role (IRSA: the eks.amazonaws.com/role-arn annotation on its "
    "ServiceAccount)")
ROTATE = "the reconciler reads the updated file without a restart"
_CREDENTIAL_ERRORS = {
    "InvalidClientTokenId": (
        "AWS does not know this access key id (deleted, deactivated, or mistyped)",
        f"create an access key for the IAM user and put it in the Secret; {ROTATE}"),
    "UnrecognizedClientException": (
        "AWS does not know this access key id (deleted, deactivated, or mistyped)",
        f"create an access key for the IAM user and put it in the Secret; {ROTATE}"),
    "SignatureDoesNotMatch": (
        "the secret access key does not belong to this access key id",
        "put the key pair into the Secret exactly as IAM issued it (no quotes or spaces; "
        "base64 the whole file once, not each value)"),
    "ExpiredToken": ("the session token has expired",
                     "renew the temporary credentials, or use an IAM role that refreshes itself"),
}


def credentials(exc: Exception, source: str) -> tuple[str, str]:
    """(detail, fix) when ListHostedZones, the first call, fails with these credentials."""
    code, message = error_code(exc)
    if code in _CREDENTIAL_ERRORS:
        detail, remedy = _CREDENTIAL_ERRORS[code]
        return f"{source}: {detail} ({code})", remedy
    if code == "AccessDenied":
        return (f"{source}: IAM refuses ListHostedZones: {message}",
                f'allow route53:ListHostedZones on "*"; {IAM_POLICY_HINT}')
    if code == "NoRegionError":  # botocore signs with a region; a custom endpoint needs one
        return (f"{source}: no AWS region to sign Route53 calls for",
                "set AWS_REGION (or --aws-region), e.g. us-east-1")
    if code == "Unreachable":
        return (f"cannot reach Route53: {message}",
                "allow egress to route53.amazonaws.com:443 (or correct "
                "AWS_ENDPOINT_URL_ROUTE_53)")
    return (f"{source}: Route53 refused ListHostedZones: {code}: {message}",
            f"check the credentials and the IAM policy; {IAM_POLICY_HINT}")


def right(exc: Exception, action: str, arn: str) -> tuple[str, str]:
    """(detail, fix) when a zone's call fails once the credentials are known to work."""
    code, message = error_code(exc)
    if code == "AccessDenied":
        return (f"IAM refuses {action}: {message}",
                f'allow route53:{action} on "{arn}"; {IAM_POLICY_HINT}')
    return f"{action} failed: {code}: {message}", ""


def error_code(exc: BaseException) -> tuple[str, str]:
    """(AWS error code, message) of an error, looking through dnsgate's wrapping."""
    from botocore.exceptions import BotoCoreError, ClientError, ConnectionError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ClientError):
            error = seen.response.get("Error", {})
            return str(error.get("Code") or "Unknown"), str(error.get("Message") or seen)
        if isinstance(seen, ConnectionError):
            return "Unreachable", str(seen)
        if isinstance(seen, BotoCoreError):
            return type(seen).__name__, str(seen)
        seen = seen.__cause__
    return type(exc).__name__, str(exc)
