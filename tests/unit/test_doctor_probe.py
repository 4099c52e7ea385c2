"""The doctor's ChangeResourceRecordSets probe: a change Route53 must refuse, at a name made up
for the run, and only with an action the --policy lets dnsgate use."""

from __future__ import annotations

import pytest

from dnsgate.domains import DomainFilter, within
from reconciler import doctor
from reconciler.route53 import Zone

ZONE = Zone("ZSEED", "goldentooth.net", private=False)
DOMAINS = DomainFilter.of(["apps.goldentooth.net"])
OLD_FIXED_NAME = "dnsgate-doctor-probe.apps.goldentooth.net"  # what the probe once deleted


@pytest.mark.parametrize(("policy", "action", "in_zone"), [
    ("sync", "DELETE", True),
    ("upsert-only", "CREATE", False),
    ("create-only", "CREATE", False),
])
def test_the_probe_uses_only_an_action_the_policy_allows(
        policy: str, action: str, in_zone: bool) -> None:
    probe = doctor.probe(ZONE, DOMAINS, policy)  # type: ignore[arg-type]

    changes = probe.batch()["Changes"]
    assert [change["Action"] for change in changes] == [action]
    assert within(probe.name, ZONE.name) is in_zone
    if in_zone:  # inside the domain filter, where the reconciler writes
        assert within(probe.name, "apps.goldentooth.net")


@pytest.mark.parametrize("policy", ["sync", "upsert-only", "create-only"])
def test_every_run_probes_a_name_of_its_own(policy: str) -> None:
    names = {doctor.probe(ZONE, DOMAINS, policy).name  # type: ignore[arg-type]
             for _ in range(20)}

    assert len(names) == 20
    assert OLD_FIXED_NAME not in names
