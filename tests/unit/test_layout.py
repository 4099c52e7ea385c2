"""The shape of the code base: which top-level package may import which.

The shipped packages form a one-way graph: `dnsgate` holds the shared rules and imports no
deployable; `webhook`, `reconciler` and `certs` build on it; nothing shipped imports the dev
stack, the benchmarks or the tests. A cycle between top-level packages, or a shipped module
reaching into `devstack`, fails here with the importing file named.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("dnsgate", "webhook", "reconciler", "certs")
TOOLING = ("devstack", "bench", "tests")
PACKAGES = SHIPPED + TOOLING


def imported_packages(path: Path) -> set[str]:
    """Top-level packages of this repository that `path` imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in PACKAGES)
    return found


def package_graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> files that import it."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for target in imported_packages(path) - {package}:
                graph[package][target].append(str(path.relative_to(ROOT)))
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, {})):
            if state.get(target) == "open":
                return [*stack[stack.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for package in PACKAGES:
        if package not in state and (cycle := visit(package)):
            return cycle
    return None


def test_top_level_packages_import_each_other_without_cycles() -> None:
    graph = package_graph()
    cycle = find_cycle(graph) or []
    edges = [f"{a} -> {b} in {', '.join(graph[a][b])}" for a, b in itertools.pairwise(cycle)]
    assert not cycle, "import cycle " + " -> ".join(cycle) + ": " + "; ".join(edges)


@pytest.mark.parametrize("package", SHIPPED)
def test_shipped_package_imports_no_tooling(package: str) -> None:
    reached = package_graph()[package]
    assert not {t: reached[t] for t in TOOLING if t in reached}


def test_shared_rules_import_no_deployable() -> None:
    reached = package_graph()["dnsgate"]
    assert not {t: reached[t] for t in ("webhook", "reconciler", "certs") if t in reached}


def test_cycle_finder_names_a_cycle() -> None:
    graph = {"dnsgate": {"webhook": ["a.py"]}, "webhook": {"dnsgate": ["b.py"]}}
    assert find_cycle(graph) == ["dnsgate", "webhook", "dnsgate"]  # type: ignore[arg-type]
