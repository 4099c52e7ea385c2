"""The summary: every figure of the latest run of each scenario at each scale, with the time
it was measured, read back from the per-scenario result files (`results-<scenario>-<scale>
.json`, which each run replaces). Nothing older can slip in: a figure is in the summary only
while its run is the latest of its scenario.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def latest(out: Path) -> list[dict[str, Any]]:
    """Every per-scenario result file in `out`, ordered by scenario and scale."""
    found = []
    for path in sorted(out.glob("results-*.json")):
        saved = json.loads(path.read_text())
        if "scenario" in saved and "scale" in saved:
            found.append(saved)
    return sorted(found, key=lambda r: (r["scenario"], r["scale"]))


def render(out: Path) -> str:
    lines = ["| scenario | scale | measured | table | row | figures |",
             "|---|---|---|---|---|---|"]
    for result in latest(out):
        for table in result["tables"]:
            columns = table["columns"]
            for row in table["rows"]:
                figures = "; ".join(f"{column} {value}" for column, value in
                                    zip(columns[1:], row[1:], strict=True)
                                    if value and not column.startswith("vs"))
                lines.append(f"| {result['scenario']} | {result['scale']} | "
                             f"{result['measured']} | {table['title']} | {row[0]} | "
                             f"{figures} |")
    return "\n".join(lines) + "\n"
