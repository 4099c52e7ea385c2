"""`dnsgate iam-policy`: the policy grants every Route53 call a running reconciler makes, on
the selected zones only; IAM's syntax accepts it; the zone ids come from Route53 as the
reconciler selects zones, from --zone-id-filter, or are placeholders offline."""

from __future__ import annotations

import json
import os

import pytest

from devstack.iam_route53 import IamRoute53
from devstack.r53proxy import Route53Proxy
from reconciler import iam
from tests.doctor.conftest import DOMAIN, clean_env, dnsgate
from tests.production.conftest import wait_for, zone


def permitted(document: dict[str, object], action: str, resource: str) -> bool:
    """moto's IAM policy evaluator: the one its enforcing mode uses for every request."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    evaluated = IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)
    return bool(evaluated == PermissionResult.PERMITTED)


@pytest.mark.parametrize(("action", "resource", "allowed"), [
    ("route53:ListHostedZones", "*", True),
    ("route53:ListResourceRecordSets", iam.zone_arn("ZSEED"), True),
    ("route53:ChangeResourceRecordSets", iam.zone_arn("ZSEED"), True),
    ("route53:ChangeResourceRecordSets", iam.zone_arn("ZOTHER"), False),
    ("route53:ListResourceRecordSets", iam.zone_arn("ZOTHER"), False),
    ("route53:DeleteHostedZone", iam.zone_arn("ZSEED"), False),
    ("route53:ListTagsForResource", iam.zone_arn("ZSEED"), False),
], ids=["find-zones", "list-own-zone", "change-own-zone", "change-other-zone",
        "list-other-zone", "delete-zone", "tags-not-needed"])
def test_the_policy_allows_dnsgates_calls_on_its_zones_and_nothing_else(
        action: str, resource: str, allowed: bool) -> None:
    assert permitted(iam.policy(["ZSEED"]), action, resource) is allowed


@pytest.mark.e2e
def test_iam_accepts_the_policy_document(iam_route53: IamRoute53) -> None:
    created = iam_route53.client("iam").create_policy(
        PolicyName="dnsgate-least-privilege", PolicyDocument=json.dumps(iam.policy(["ZSEED"])))
    assert created["Policy"]["PolicyName"] == "dnsgate-least-privilege"


@pytest.mark.e2e
def test_every_call_a_reconciler_makes_is_in_the_policy(
        stack, zone_id: str, start_reconciler, load_balancer, route53, namespace: str  # type: ignore[no-untyped-def]
) -> None:
    from kubernetes import client, config

    with Route53Proxy(stack.route53.url) as proxy:
        load_balancer("web", f"web.{DOMAIN}", "10.4.11.1")
        start_reconciler({**os.environ, "AWS_ENDPOINT_URL_ROUTE_53": proxy.url})
        wait_for(lambda: (f"web.{DOMAIN}", "A") in zone(route53, zone_id), 30, "web's A")
        client.CoreV1Api(config.new_client_from_config(str(stack.kubeconfig))
                         ).delete_namespaced_service("web", namespace)
        wait_for(lambda: (f"web.{DOMAIN}", "A") not in zone(route53, zone_id), 30, "deleted")
        called = set(proxy.counts())

    actions = {action for statement in iam.policy([zone_id])["Statement"]
               for action in statement["Action"]}
    assert called == {"ListHostedZones", "ListResourceRecordSets", "ChangeResourceRecordSets"}
    assert {f"route53:{op}" for op in called} == actions


@pytest.mark.e2e
def test_zone_ids_are_looked_up_as_the_reconciler_selects_zones(zone_id: str) -> None:
    result = dnsgate("iam-policy", f"--domain-filter={DOMAIN}", env=dict(os.environ))

    assert result.returncode == 0, result.stderr
    statements = json.loads(result.stdout)["Statement"]
    assert [s["Resource"] for s in statements] == [["*"], [iam.zone_arn(zone_id)]]

    private = dnsgate("iam-policy", f"--domain-filter={DOMAIN}", "--aws-zone-type=private",
                      env=dict(os.environ))
    assert private.returncode == 1 and "no hosted zone matches" in private.stderr


@pytest.mark.parametrize(("args", "resource"), [
    (("--zone-id-filter=/hostedzone/Z0736727S7ZH91VKK44A",),
     "arn:aws:route53:::hostedzone/Z0736727S7ZH91VKK44A"),
    (("--domain-filter=goldentooth.net", "--offline"),
     "arn:aws:route53:::hostedzone/ZONE_ID_OF_goldentooth.net"),
], ids=["zone-id-filter", "offline-placeholder"])
def test_no_route53_call_is_needed_when_the_zone_is_named_or_offline(
        args: tuple[str, ...], resource: str) -> None:
    env = clean_env(AWS_EC2_METADATA_DISABLED="true", KUBECONFIG="/nonexistent")

    result = dnsgate("iam-policy", *args, env=env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Statement"][1]["Resource"] == [resource]
    assert ("replace ZONE_ID_OF_goldentooth.net" in result.stderr) is ("--offline" in args)
