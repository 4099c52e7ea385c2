"""The rig floor's change calls are cut where Route53 cuts them: 1,000 changes or 32,000
characters of values, whichever comes first."""

from __future__ import annotations

import pytest

from bench import moto_floor


def _sets(count: int, value_chars: int) -> list[dict[str, object]]:
    return [{"Name": f"n{i}.goldentooth.net", "Type": "TXT", "TTL": 60,
             "ResourceRecords": [{"Value": "x" * value_chars}]} for i in range(count)]


@pytest.mark.parametrize(("count", "value_chars", "sizes"), [
    (1, 10, [1]),
    (1000, 10, [1000]),
    (1001, 10, [1000, 1]),
    (2500, 10, [1000, 1000, 500]),
    (100, 320, [100]),  # exactly 32,000 characters fit one call
    (101, 320, [100, 1]),
    (3, 20000, [1, 1, 1]),  # one set over half the limit: one per call
])
def test_batches_stop_at_a_thousand_changes_or_32000_characters(
    count: int, value_chars: int, sizes: list[int]
) -> None:
    batches = list(moto_floor.batches(iter(_sets(count, value_chars))))

    assert [len(b) for b in batches] == sizes
    assert all(c["Action"] == "CREATE" for b in batches for c in b)


def test_a_cold_start_is_an_a_record_and_its_ownership_txt_per_service() -> None:
    sets = list(moto_floor._record_sets(2))

    assert [(s["Type"], s["Name"]) for s in sets] == [
        ("A", "svc-0.floor.goldentooth.net"), ("TXT", "a-svc-0.floor.goldentooth.net"),
        ("A", "svc-1.floor.goldentooth.net"), ("TXT", "a-svc-1.floor.goldentooth.net")]
