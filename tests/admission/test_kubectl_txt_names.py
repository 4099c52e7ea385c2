"""`kubectl apply` of a name whose ownership TXT names another Service's name shares, through
the webhook registered in the real apiserver (run with --txt-wildcard-replacement=wild):
`wild.goldentooth.net` while `*.goldentooth.net` is claimed, and the reverse
(docs/externaldns-txt-registry.md, "Names two records share")."""

import json
import time

import pytest

from devstack import metallb
from tests.admission.conftest import HOSTNAME

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registered")]

VALIDATE = 'admission webhook "validate.dnsgate.io" denied the request: '
STAR, WILD = "*.goldentooth.net", "wild.goldentooth.net"


def manifest(namespace: str, name: str, hostname: str) -> str:
    return json.dumps(metallb.service_manifest(namespace, name, {HOSTNAME: hostname}))


@pytest.mark.parametrize(("held", "asked"), [(STAR, WILD), (WILD, STAR)],
                         ids=["namesake-of-a-claimed-wildcard", "wildcard-of-a-claimed-namesake"])
def test_a_name_sharing_a_claimed_names_txt_is_refused_naming_both(
        kubectl, namespace: str, held: str, asked: str) -> None:
    kubectl("apply", "-f", "-", input=manifest(namespace, "holder", held))
    newcomer = manifest(namespace, "newcomer", asked)
    deadline = time.monotonic() + 30  # until the webhook's index has seen the holder
    while "denied the request" not in (result := kubectl(
            "apply", "--dry-run=server", "-f", "-", input=newcomer, check=False)).stderr:
        assert time.monotonic() < deadline, result.stderr
        time.sleep(0.2)

    result = kubectl("apply", "-f", "-", input=newcomer, check=False)

    assert result.returncode != 0
    assert (f'{VALIDATE}{HOSTNAME}: "{asked}" shares its ownership TXT records '
            f"(<type>-wild.goldentooth.net) with {held} under --txt-wildcard-replacement "
            f'"wild", which Service {namespace}/holder claims: the registry could not tell '
            "which record they own; choose another hostname") in result.stderr
    assert kubectl("-n", namespace, "get", "service", "newcomer", check=False).returncode != 0
