"""The review refuses a name whose ownership TXT names another claim's name shares:
`wild.<zone>` while `*.<zone>` is claimed under --txt-wildcard-replacement `wild`, and the
reverse (docs/externaldns-txt-registry.md, "Names two records share")."""

from dataclasses import replace
from typing import Any

import pytest

from dnsgate import txtname
from dnsgate.claims import Claim
from tests.admission.conftest import HOSTNAME, SETTINGS, FakeLookup, admission_review
from webhook.app import create_app

STAR, WILD = "*.goldentooth.net", "wild.goldentooth.net"
WILD_TXT = replace(SETTINGS, txt=txtname.TXTNaming(wildcard_replacement="wild"))


def validate(annotations: dict[str, str], lookup: FakeLookup, **request: Any) -> Any:
    client = create_app(WILD_TXT, lookup).test_client()
    reply = client.post("/validate", json=admission_review(annotations, namespace="intruder",
                                                            **request))
    assert reply.status_code == 200, reply.json
    return reply.json["response"]


@pytest.mark.parametrize(("asked", "held", "txt_name"), [
    (WILD, STAR, "<type>-wild.goldentooth.net"),
    (STAR, WILD, "<type>-wild.goldentooth.net"),
], ids=["namesake-of-a-claimed-wildcard", "wildcard-of-a-claimed-namesake"])
def test_a_name_sharing_a_claimed_names_txt_is_refused_naming_both(
        asked: str, held: str, txt_name: str) -> None:
    lookup = FakeLookup((Claim("2024-01-01T00:00:00Z", "service/web/holder", held),))

    result = validate({HOSTNAME: asked}, lookup)

    assert result["allowed"] is False
    assert result["status"]["code"] == 403
    assert result["status"]["message"] == (
        f'{HOSTNAME}: "{asked}" shares its ownership TXT records ({txt_name}) with {held} '
        '''under --txt-wildcard-replacement "wild", which Service web/holder claims: the '''
        "registry could not tell which record they own; choose another hostname")


@pytest.mark.parametrize(("asked", "held_id", "allowed"), [
    ({HOSTNAME: WILD}, "blue", False),
    ({HOSTNAME: WILD, "external-dns.alpha.kubernetes.io/set-identifier": "green"}, "blue",
     True),
    ({HOSTNAME: "web.goldentooth.net"}, None, True),
], ids=["one-set-id-missing", "different-set-ids", "another-name"])
def test_namesakes_share_by_set_identifier_as_one_name_does(
        asked: dict[str, str], held_id: str | None, allowed: bool) -> None:
    lookup = FakeLookup((Claim("2024-01-01T00:00:00Z", "service/web/holder", STAR, held_id),))

    assert validate(asked, lookup)["allowed"] is allowed


def test_without_a_wildcard_replacement_the_names_share_nothing() -> None:
    lookup = FakeLookup((Claim("2024-01-01T00:00:00Z", "service/web/holder", STAR),))
    client = create_app(SETTINGS, lookup).test_client()

    reply = client.post("/validate", json=admission_review({HOSTNAME: WILD}))

    assert reply.json["response"]["allowed"] is True


def test_a_namesake_claimed_before_the_update_is_only_warned_about() -> None:
    lookup = FakeLookup((Claim("2024-01-01T00:00:00Z", "service/web/holder", STAR),))

    result = validate({HOSTNAME: WILD, "team": "x"}, lookup, operation="UPDATE",
                      old_annotations={HOSTNAME: WILD})

    assert result["allowed"] is True
    assert result["warnings"][0].startswith(f"{WILD} shares its ownership TXT records")
