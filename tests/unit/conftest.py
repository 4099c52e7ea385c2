"""Unit tests of the shared rules (annotations, claims): pure functions, no cluster.

`GOLDENTOOTH` is the seed deployment's domain filter, with one excluded subtree so the
exclusion rule has something to bite on.
"""

import pytest

from dnsgate.domains import DomainFilter

GOLDENTOOTH = DomainFilter.of(["goldentooth.net"], ["lab.goldentooth.net"])


@pytest.fixture
def domains() -> DomainFilter:
    return GOLDENTOOTH
