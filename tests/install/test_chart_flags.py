"""The chart checks extraArgs with a copy of dnsgate's flag rules (charts/dnsgate/files/
flags.yaml): the copy is the code's, so the render refuses exactly what the commands would
refuse at start, and accepts what they accept."""

from __future__ import annotations

from tests.install import chart_flags


def test_the_charts_flag_table_is_the_codes() -> None:
    assert chart_flags.FILE.read_text() == chart_flags.render(), (
        "regenerate: python -m tests.install.chart_flags")
