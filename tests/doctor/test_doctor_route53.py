"""`dnsgate doctor` against Route53 with IAM enforced: each way credentials or IAM rights can
be wrong is refused by the server as AWS refuses it, and the doctor names the failing check
and its fix, exits 1, and changes nothing in the zone."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.iam_route53 import IamRoute53, Keys
from tests.doctor.conftest import DOMAIN, clean_env, dnsgate, lines

pytestmark = pytest.mark.e2e

LIST_ZONES = "route53:ListHostedZones"
LIST_RECORDS = "route53:ListResourceRecordSets"
CHANGE = "route53:ChangeResourceRecordSets"
EVERY_RIGHT = [LIST_ZONES, LIST_RECORDS, CHANGE]


def doctor(iam: IamRoute53, namespace: str, credentials: Path, *args: str):  # type: ignore[no-untyped-def]
    env = clean_env(**iam.env(), AWS_SHARED_CREDENTIALS_FILE=str(credentials),
                    AWS_EC2_METADATA_DISABLED="true")
    return dnsgate("doctor", f"--domain-filter={DOMAIN}", f"--namespace={namespace}", *args,
                   env=env)


def write(path: Path, keys: Keys) -> Path:
    path.write_text(keys.credentials_file())
    return path


def zone_snapshot(iam: IamRoute53) -> list[dict[str, object]]:
    return list(iam.client("route53").list_resource_record_sets(
        HostedZoneId=iam.zone_id)["ResourceRecordSets"])


def test_every_right_passes_and_the_change_probe_changes_nothing(
        iam_route53: IamRoute53, namespace: str, tmp_path: Path) -> None:
    keys = iam_route53.user(f"every-right-{namespace}"[:64], EVERY_RIGHT)
    before = zone_snapshot(iam_route53)

    result = doctor(iam_route53, namespace, write(tmp_path / "credentials", keys))

    assert result.returncode == 0, result.stdout + result.stderr
    found = lines(result.stdout)
    assert "FAIL" not in result.stdout
    assert keys.access_key_id[-4:] in found["aws credentials"]
    assert found[f"zone for {DOMAIN}"].startswith("ok")
    change = found[f"change records in {DOMAIN} ({iam_route53.zone_id})"]
    assert change.startswith("ok") and "nothing changed" in change
    assert zone_snapshot(iam_route53) == before


# The record the probe used to DELETE (its name and value were fixed): if anything had written
# it, the doctor deleted it.
OLD_PROBE = {"Name": f"dnsgate-doctor-probe.{DOMAIN}.", "Type": "TXT", "TTL": 300,
             "ResourceRecords": [{"Value": '"dnsgate doctor: this record is never created"'}]}
POLICIES = ["sync", "upsert-only", "create-only"]


def change(iam: IamRoute53, action: str, record: dict[str, object]) -> None:
    iam.client("route53").change_resource_record_sets(
        HostedZoneId=iam.zone_id,
        ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record}]})


@pytest.mark.parametrize("policy", POLICIES)
def test_a_record_where_the_probe_once_wrote_survives_the_doctor(
        iam_route53: IamRoute53, namespace: str, tmp_path: Path, policy: str) -> None:
    keys = iam_route53.user(f"survives-{policy}-{namespace}"[:64], EVERY_RIGHT)
    change(iam_route53, "CREATE", OLD_PROBE)
    try:
        before = zone_snapshot(iam_route53)

        result = doctor(iam_route53, namespace, write(tmp_path / "credentials", keys),
                        f"--policy={policy}")

        assert result.returncode == 0, result.stdout + result.stderr
        assert zone_snapshot(iam_route53) == before
        line = lines(result.stdout)[f"change records in {DOMAIN} ({iam_route53.zone_id})"]
        action = "DELETE" if policy == "sync" else "CREATE"
        assert line.startswith("ok") and f"refused the probe's {action}" in line, line
    finally:
        change(iam_route53, "DELETE", OLD_PROBE)


@pytest.mark.parametrize("policy", POLICIES)
def test_a_missing_change_right_is_reported_under_every_policy(
        iam_route53: IamRoute53, namespace: str, tmp_path: Path, policy: str) -> None:
    keys = iam_route53.user(f"no-change-{policy}-{namespace}"[:64], [LIST_ZONES, LIST_RECORDS])
    before = zone_snapshot(iam_route53)

    result = doctor(iam_route53, namespace, write(tmp_path / "credentials", keys),
                    f"--policy={policy}")

    assert result.returncode == 1, result.stdout
    line = lines(result.stdout)[f"change records in {DOMAIN} ({iam_route53.zone_id})"]
    assert line.startswith("FAIL") and "IAM refuses ChangeResourceRecordSets" in line
    assert zone_snapshot(iam_route53) == before


@pytest.mark.parametrize(("actions", "check", "says"), [
    ([LIST_RECORDS, CHANGE], "aws credentials", "IAM refuses ListHostedZones"),
    ([LIST_ZONES, CHANGE], "list records in {zone}", "IAM refuses ListResourceRecordSets"),
    ([LIST_ZONES, LIST_RECORDS], "change records in {zone}",
     "IAM refuses ChangeResourceRecordSets"),
], ids=["no-list-hosted-zones", "no-list-records", "no-change-records"])
def test_a_missing_iam_right_fails_its_check_naming_the_action_to_allow(
        iam_route53: IamRoute53, namespace: str, tmp_path: Path, actions: list[str],
        check: str, says: str) -> None:
    keys = iam_route53.user(f"{check.split()[0]}-{namespace}"[:64], actions)

    result = doctor(iam_route53, namespace, write(tmp_path / "credentials", keys))

    assert result.returncode == 1, result.stdout
    zone = f"{DOMAIN} ({iam_route53.zone_id})"
    line = lines(result.stdout)[check.format(zone=zone)]
    assert line.startswith("FAIL") and says in line
    action = says.rsplit(" ", 1)[1]
    assert f"fix: allow route53:{action} on" in line
    assert sum(1 for text in result.stdout.splitlines() if text.startswith("FAIL")) == 1


def test_a_deleted_key_is_named_unknown_to_aws(
        iam_route53: IamRoute53, namespace: str, tmp_path: Path) -> None:
    user = f"deleted-{namespace}"[:64]
    keys = iam_route53.user(user, EVERY_RIGHT)
    iam_route53.delete_key(user, keys)

    result = doctor(iam_route53, namespace, write(tmp_path / "credentials", keys))

    assert result.returncode == 1
    line = lines(result.stdout)["aws credentials"]
    assert "AWS does not know this access key id" in line and "InvalidClientTokenId" in line
    assert "create an access key" in line
    assert lines(result.stdout)["hosted zones and IAM rights"].startswith("skip")


def test_a_wrong_secret_is_named_as_not_matching_the_key(
        iam_route53: IamRoute53, namespace: str, tmp_path: Path) -> None:
    keys = iam_route53.user(f"wrong-secret-{namespace}"[:64], EVERY_RIGHT)
    wrong = Keys(keys.access_key_id, keys.secret_access_key[::-1])

    result = doctor(iam_route53, namespace, write(tmp_path / "credentials", wrong))

    assert result.returncode == 1
    line = lines(result.stdout)["aws credentials"]
    assert "does not belong to this access key id" in line and "SignatureDoesNotMatch" in line


@pytest.mark.parametrize(("content", "says"), [
    (None, "does not exist: is the Secret mounted there?"),
    ("[default]\nregion = us-east-1\n", "has no aws_access_key_id and aws_secret_access_key"),
], ids=["file-not-mounted", "file-without-keys"])
def test_missing_credentials_name_the_file_and_how_to_mount_it(
        iam_route53: IamRoute53, namespace: str, tmp_path: Path, content: str | None,
        says: str) -> None:
    path = tmp_path / "credentials"
    if content is not None:
        path.write_text(content)

    result = doctor(iam_route53, namespace, path)

    assert result.returncode == 1
    line = lines(result.stdout)["aws credentials"]
    assert line.startswith("FAIL") and says in line and str(path) in line
    assert "AWS_SHARED_CREDENTIALS_FILE" in line and "IRSA" in line


@pytest.mark.parametrize(("args", "check", "says"), [
    (("--domain-filter=example.org",), "zone for example.org",
     "no hosted zone dnsgate may manage holds example.org"),
    (("--aws-zone-type=private",), f"zone for {DOMAIN}",
     "is left out by --aws-zone-type=private (it is public)"),
    (("--zone-id-filter=ZNOSUCHZONE",), "--zone-id-filter ZNOSUCHZONE",
     "no hosted zone with this id is visible"),
], ids=["domain-without-zone", "zone-of-the-other-type", "unknown-zone-id"])
def test_a_domain_filter_without_its_zone_fails_naming_the_zones_seen(
        iam_route53: IamRoute53, namespace: str, tmp_path: Path, args: tuple[str, ...],
        check: str, says: str) -> None:
    keys = iam_route53.user(f"zones-{check.split()[-1][:10]}-{namespace}"[:64], EVERY_RIGHT)

    result = doctor(iam_route53, namespace, write(tmp_path / "credentials", keys), *args)

    assert result.returncode == 1
    line = lines(result.stdout)[check]
    assert line.startswith("FAIL") and says in line and "fix:" in line
