"""The webhook's index against the real apiserver: a Service in a namespace called `ingress`
(or `service`) is a Service, and keeps its claims whatever the Ingress watch does. The
webhook's own watchers (`webhook.watch.ServiceWatcher`, one per kind, over one index) run
here in-process, so that the Ingress list can be taken again at a known moment: the re-list
a watch makes after 410 Gone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from devstack import kubectl as kubectl_cli
from devstack import metallb
from dnsgate.ingress import IngressSettings
from tests.admission.conftest import DOMAIN, HOSTNAME, SETTINGS, admission_review
from tests.reconcile.conftest import wait_for
from webhook import review
from webhook.index import ClaimIndex
from webhook.watch import ServiceWatcher

pytestmark = pytest.mark.e2e

ON = replace(SETTINGS, ingresses=IngressSettings())


@pytest.fixture(params=["ingress", "service"])
def named_like_a_kind(request: pytest.FixtureRequest, kubeconfig: Path) -> Iterator[str]:
    metallb.ensure_namespace(kubeconfig, request.param)
    yield request.param
    kubectl_cli.run(kubeconfig, "-n", request.param, "delete", "services", "shop",
                    "--wait=true", check=False)


@pytest.fixture
def watched(stack) -> Iterator[tuple[ClaimIndex, ServiceWatcher]]:  # type: ignore[no-untyped-def]
    """The webhook's index fed by its two watchers; the Ingress watcher is returned."""
    index = ClaimIndex(SETTINGS.domains, ingresses=IngressSettings())
    watchers = [ServiceWatcher(index), ServiceWatcher(index, ingresses=True)]
    for watcher in watchers:
        threading.Thread(target=watcher.run, daemon=True).start()
    assert index.wait_synced(30)
    yield index, watchers[1]
    for watcher in watchers:
        watcher.stop()


def test_a_service_in_a_namespace_named_like_a_kind_keeps_its_claims_across_ingress_relists(  # type: ignore[no-untyped-def]
        kubeconfig: Path, named_like_a_kind: str, namespace: str,
        watched: tuple[ClaimIndex, ServiceWatcher]) -> None:
    index, ingresses = watched
    name = f"shop-{named_like_a_kind}.{DOMAIN}"
    metallb.create_service(kubeconfig, named_like_a_kind, "shop", {HOSTNAME: name})
    claimed = [c.service for c in wait_for(lambda: index.claims_on(name), timeout=20)]

    assert ingresses.store is not None
    ingresses.store.relist()  # what the Ingress watch does after 410 Gone
    kept = [c.service for c in index.claims_on(name)]
    thief = review.validate(admission_review({HOSTNAME: name}, namespace=namespace)["request"],
                            ON, index)

    assert kept == claimed
    assert not thief.allowed and thief.rules == (review.CLAIMED,)
    assert kept == [f"service/{named_like_a_kind}/shop"]

