"""The ExternalDNS oracle itself (devstack/oracle): built per release, it lists the
release's own flags and answers with what its registry and plan would change."""

from __future__ import annotations

import pytest

from devstack import oracle

TEAM_TXT = '"heritage=external-dns,external-dns/owner=me,external-dns/resource=service/ns/team"'
A_TEAM_ZONE = {
    "zone": [
        {"name": "a-team.goldentooth.net", "type": "A", "targets": ["203.0.113.7"], "ttl": 300},
        {"name": "team.goldentooth.net", "type": "A", "targets": ["10.4.11.1"], "ttl": 60},
        {"name": "a-team.goldentooth.net", "type": "TXT", "targets": [TEAM_TXT], "ttl": 300},
    ],
    "desired": [],
    "registry": {"owner_id": "me"},
    "policy": "sync",
}


@pytest.mark.parametrize("version", oracle.VERSIONS)
def test_flags_are_the_releases_own(version: str) -> None:
    listed = oracle.flags(version)

    assert listed["txt-owner-id"] is False
    assert listed["txt-encrypt-enabled"] is True
    assert listed["dry-run"] is True
    assert ("annotation-prefix" in listed) is (version != oracle.SEED)  # since v0.22


@pytest.mark.parametrize("version", oracle.VERSIONS)
def test_txt_at_a_team_belongs_to_team_for_external_dns_too(version: str) -> None:
    answer = oracle.plan(version, A_TEAM_ZONE)

    owners = {(r["name"], r["type"]): (r.get("labels") or {}).get("owner")
              for r in answer["current"]}
    deleted = {(r["name"], r["type"]) for r in answer["delete"]}
    assert owners == {("a-team.goldentooth.net", "A"): None, ("team.goldentooth.net", "A"): "me"}
    assert ("team.goldentooth.net", "A") in deleted
    assert ("a-team.goldentooth.net", "A") not in deleted


def test_many_requests_share_one_process() -> None:
    with oracle.Oracle(oracle.LATEST) as running:
        answers = running.ask_many([A_TEAM_ZONE] * 500)

    assert len(answers) == 500 and all(not a.get("error") for a in answers)


def test_a_release_without_an_oracle_is_named() -> None:
    with pytest.raises(oracle.OracleError, match=r"no oracle for ExternalDNS v0\.1\.0"):
        oracle.binary("v0.1.0")
