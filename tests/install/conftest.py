"""Fixtures for installing dnsgate's own manifests into the test apiserver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"


@pytest.fixture(scope="module")
def installed(kubectl) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """`kubectl apply -k manifests/` for real; the webhook configurations are removed at the
    end, because no webhook pod runs here and failurePolicy Fail would block other tests."""
    result = kubectl("apply", "-k", str(MANIFESTS))
    try:
        yield result.stdout + result.stderr
    finally:
        kubectl("delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration",
                "-l", "app.kubernetes.io/part-of=dnsgate", "--ignore-not-found", check=False)
