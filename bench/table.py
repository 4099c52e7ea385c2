"""Result tables: what every scenario returns and how it is printed (Markdown pipes).

Every figure that has a comparison gets a ratio beside it, so tables carry numbers and
ratios as already-formatted strings; the raw numbers go to the JSON results file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    raw: dict[str, object] = field(default_factory=dict, compare=False)

    def render(self) -> str:
        widths = [
            max(len(column), *(len(row[i]) for row in self.rows)) if self.rows else len(column)
            for i, column in enumerate(self.columns)
        ]

        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

        parts = [f"### {self.title}", "", line(self.columns),
                 "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        parts += [line(row) for row in self.rows]
        parts += [""] + [f"- {note}" for note in self.notes] if self.notes else []
        return "\n".join(parts) + "\n"


def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.2f} ms"


def secs(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"


def ratio(value: float | None, reference: float | None) -> str:
    """`value / reference` as `x1.23`; what the reader compares is named in the column."""
    if value is None or reference is None:
        return "n/a"
    if reference == 0:
        return "x0" if value == 0 else "inf"
    return f"x{value / reference:.2f}"


def percentile(samples: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (no interpolation: every reported value was observed)."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]
