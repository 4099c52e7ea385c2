"""What the wheel (and so the image, which installs it) ships: the product and nothing else.

The wheel is built from this tree, installed into a new virtualenv with the runtime
dependencies only (no dev extra, the versions constraints.txt pins, as the Dockerfile does),
and every shipped module is imported there. A module that needs a dev-only package
(moto, pytest) or the dev stack fails the import.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("dnsgate", "webhook", "reconciler", "certs")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, timeout=300)
    (built,) = out.glob("dnsgate-*.whl")
    return built


@pytest.fixture(scope="module")
def runtime_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    venv = tmp_path_factory.mktemp("runtime") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([venv / "bin/python", "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-c", str(ROOT / "constraints.txt"),
                    str(wheel)], check=True, timeout=600)
    yield venv


def test_wheel_holds_only_the_shipped_packages(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top - {"dnsgate-0.1.0.dist-info"} == set(SHIPPED)
    assert not [n for n in names if not n.endswith((".py", ".typed")) and ".dist-info/" not in n]


def test_wheel_declares_every_subcommand(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    points = archive.read("dnsgate-0.1.0.dist-info/entry_points.txt").decode()
    assert "[dnsgate.commands]" in points
    for line in ("webhook = webhook.cli", "reconcile = reconciler.cli", "certs = certs.cli"):
        assert line in points


def test_every_shipped_module_imports_with_runtime_dependencies_only(runtime_venv: Path) -> None:
    script = (
        "import importlib, pkgutil, sys\n"
        f"for top in {SHIPPED!r}:\n"
        "    package = importlib.import_module(top)\n"
        "    for info in pkgutil.walk_packages(package.__path__, top + '.'):\n"
        "        if not info.name.endswith('.__main__'):\n"
        "            importlib.import_module(info.name)\n"
        "for dev_only in ('moto', 'pytest', 'devstack', 'hypothesis', 'bench'):\n"
        "    assert importlib.util.find_spec(dev_only) is None, dev_only\n"
        "print('ok')\n"
    )
    result = subprocess.run([runtime_venv / "bin/python", "-c", script], cwd="/",
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_installed_cli_offers_the_deployables_and_no_dev_stack(runtime_venv: Path) -> None:
    result = subprocess.run([runtime_venv / "bin/dnsgate", "--help"], cwd="/",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("  COMMAND\n", 1)[1].split("\n\n")[0].splitlines()
    commands = {line.split()[0] for line in listed if line[4:5].strip()}
    assert {"certs", "reconcile", "webhook"} <= commands
    assert "dev" not in commands
