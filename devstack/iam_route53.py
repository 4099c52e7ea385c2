"""moto's server with IAM enforced, as AWS enforces it: keys must exist and match, and
every Route53 call needs a policy that allows it. For the tests where a deleted key, a wrong
secret or a missing right must be refused (`dnsgate doctor`, credential rotation).

`python -m devstack.iam_route53 -p PORT` runs moto's server with two fidelity gaps of moto 5.2
closed (in that process only):
- With IAM enforced, moto signs a REST GET's canonical request over the parameters it parsed
  (for Route53, the request headers) instead of the empty body, so every GET
  (ListHostedZones, ListResourceRecordSets) fails with SignatureDoesNotMatch whatever the key.
  SigV4 hashes the raw body; so does this server.
- It answers an authentication or authorization refusal of a REST-XML service in the
  query-protocol shape (`<ErrorResponse><Errors><Error>`), where Route53 answers
  `<ErrorResponse><Error>`, so botocore could not read the error code.
What stays a gap: moto matches a statement's Resource against "*" for Route53 calls, not
against the zone's ARN, so a policy scoped to a zone is refused. Test policies here grant on
"*"; the zone-scoped policy of `dnsgate iam-policy` is checked with moto's policy evaluator.

`start()` brings the server up unenforced, creates the zone and an administrator, then
switches enforcement on (moto's /moto-api/reset-auth with 0 free requests); from then on the
`IamRoute53` helpers act as that administrator.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from dataclasses import dataclass
from typing import Any

from devstack import route53
from devstack.controlplane import free_port
from devstack.processes import Child, Supervisor, wait_until

ROUTE53_XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/"


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str

    def credentials_file(self, profile: str = "default") -> str:
        """The file the seed's Secret holds (key `credentials`)."""
        return (f"[{profile}]\naws_access_key_id = {self.access_key_id}\n"
                f"aws_secret_access_key = {self.secret_access_key}\n")


@dataclass(frozen=True)
class IamRoute53:
    url: str
    zone_id: str
    admin: Keys

    def client(self, service: str, keys: Keys | None = None) -> Any:
        import boto3

        keys = keys or self.admin
        return boto3.client(service, endpoint_url=self.url,  # type: ignore[call-overload]
                            region_name=route53.REGION,
                            aws_access_key_id=keys.access_key_id,
                            aws_secret_access_key=keys.secret_access_key)

    def user(self, name: str, actions: list[str], resource: str = "*") -> Keys:
        """An IAM user allowed exactly `actions` (none: no policy at all), with one key."""
        iam = self.client("iam")
        iam.create_user(UserName=name)
        if actions:
            iam.put_user_policy(UserName=name, PolicyName="dnsgate", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": actions, "Resource": resource}]}))
        return self.new_key(name)

    def new_key(self, user: str) -> Keys:
        key = self.client("iam").create_access_key(UserName=user)["AccessKey"]
        return Keys(key["AccessKeyId"], key["SecretAccessKey"])

    def delete_key(self, user: str, keys: Keys) -> None:
        self.client("iam").delete_access_key(UserName=user, AccessKeyId=keys.access_key_id)

    def env(self) -> dict[str, str]:
        """Where Route53 is; credentials are each test's to choose."""
        return {"AWS_ENDPOINT_URL_ROUTE_53": self.url, "AWS_DEFAULT_REGION": route53.REGION}


def start(supervisor: Supervisor, zone: str = route53.DEFAULT_ZONE) -> tuple[Child, IamRoute53]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    child = supervisor.start("route53-iam", [
        sys.executable, "-m", "devstack.iam_route53", "-H", "127.0.0.1", "-p", str(port)])

    def answering() -> bool:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:
            return bool(response.status == 200)

    wait_until(child, answering, timeout=60, what="answering HTTP")
    zone_id = route53.create_zone(url, zone)
    setup = IamRoute53(url, zone_id, Keys("setup", "setup"))
    admin = setup.user("dnsgate-test-admin", ["*"])
    request = urllib.request.Request(f"{url}/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10):
        pass
    return child, IamRoute53(url, zone_id, admin)


def _close_fidelity_gaps() -> None:
    import xmltodict
    from botocore.awsrequest import AWSRequest
    from moto.core.exceptions import _RESTError
    from moto.iam.access_control import IAMRequestBase
    from moto.route53.responses import Route53

    def create_aws_request(self: Any) -> AWSRequest:
        signed = self._get_string_between(
            "SignedHeaders=", ",", self._headers["Authorization"]).split(";")
        headers = self._create_headers_for_aws_request(signed, self._headers)
        # A form POST's raw body is consumed by the time moto checks it: moto re-encodes
        # the parsed form, as before. A GET or DELETE has no body at all.
        body = b"" if self._method in ("GET", "HEAD", "DELETE") else self._body or self._data
        request = AWSRequest(method=self._method, url=self._path, data=body, headers=headers)
        request.context["timestamp"] = headers["X-Amz-Date"]
        return request

    authorize = Route53._authenticate_and_authorize_normal_action

    def authorize_as_route53(self: Any, resource: str = "*") -> None:
        try:
            authorize(self, resource)
        except _RESTError as exc:
            exc.description = xmltodict.unparse({"ErrorResponse": {
                "@xmlns": ROUTE53_XMLNS,
                "Error": {"Type": "Sender", "Code": exc.error_type, "Message": exc.message},
                "RequestId": "dnsgate-iam-route53"}}, full_document=True)
            raise

    IAMRequestBase._create_aws_request = create_aws_request  # type: ignore[method-assign]
    Route53._authenticate_and_authorize_normal_action = (  # type: ignore[method-assign]
        authorize_as_route53)


if __name__ == "__main__":
    from moto import server

    _close_fidelity_gaps()
    server.main(sys.argv[1:])
