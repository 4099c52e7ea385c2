"""docs/flags.md says what dnsgate does with every ExternalDNS flag the code classifies, in
the state the code gives it (dnsgate/externaldns.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dnsgate import externaldns

DOC = (Path(__file__).resolve().parents[2] / "docs" / "flags.md").read_text()
ROWS = {match.group(1): match.group(2) for match in re.finditer(
    r"^\| `--([a-z0-9-]+\*?)`[^|]* \| (implemented|mapped|ignored|refused) \|", DOC, re.M)}


@pytest.mark.parametrize("flag", sorted(externaldns.FLAGS.values(), key=lambda f: f.name),
                         ids=lambda f: f.name)
def test_every_classified_flag_is_documented_in_its_state(flag: externaldns.Flag) -> None:
    assert ROWS.get(flag.name) == flag.state.value


@pytest.mark.parametrize("prefix", sorted(externaldns.FAMILIES))
def test_every_refused_family_is_documented(prefix: str) -> None:
    assert ROWS.get(prefix + "*") == "refused"


def test_the_doc_lists_nothing_the_code_does_not_classify() -> None:
    for name, state in ROWS.items():
        flag = externaldns.lookup(name.rstrip("*") + ("x" if name.endswith("*") else ""))
        assert flag is not None and flag.state.value == state, name
