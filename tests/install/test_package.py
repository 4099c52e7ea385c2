"""What the wheel (and so the image, which installs it) ships: the product and nothing else.

The wheel is built from this tree, and the image the Dockerfile builds (`make image`,
devstack.imagebuild) is run as its user on a read-only root: every shipped module is
imported there. A module that needs a dev-only package (moto, pytest) or the dev stack fails the
import. The same pinned dependencies must install from wheels on both architectures the
image is built for.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from devstack import imagestore
from devstack.node.node import NodeImage

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("dnsgate", "webhook", "reconciler", "certs")
# The base image is Debian bookworm (glibc 2.36): manylinux wheels up to 2_36 install there.
GLIBC_MINOR = 36


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


def test_every_shipped_module_imports_with_runtime_dependencies_only(
    node_image: NodeImage,
) -> None:
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
    result = imagestore.podman_run(node_image.image_id, "-c", script,
                                   options=("--read-only", "--entrypoint", "python"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok"


def test_the_image_runs_its_command_as_its_user(node_image: NodeImage) -> None:
    """`docker run IMAGE`: the entry point with the image's CMD (--help)."""
    result = imagestore.podman_run(node_image.image_id, options=("--read-only",))
    assert result.returncode == 0, result.stdout + result.stderr
    listed = result.stdout.split("  COMMAND\n", 1)[1].split("\n\n")[0].splitlines()
    commands = {line.split()[0] for line in listed if line[4:5].strip()}
    assert {"certs", "reconcile", "webhook"} <= commands
    assert "dev" not in commands


@pytest.mark.parametrize("machine", ["aarch64", "x86_64"])
def test_every_runtime_dependency_installs_from_a_wheel_on(
    machine: str, wheel: Path, tmp_path: Path
) -> None:
    """linux/arm64 (the seed's Raspberry Pis) and linux/amd64: pip resolves the wheel with
    constraints.txt against PyPI for that platform, binary wheels only, so a pinned
    dependency with no wheel for it (which the image build would have to compile) fails."""
    platforms = [f"--platform=manylinux_2_{minor}_{machine}"
                 for minor in range(17, GLIBC_MINOR + 1)]
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--disable-pip-version-check", "--only-binary=:all:", *platforms,
         f"--platform=manylinux2014_{machine}", "--python-version=3.11", "--implementation=cp",
         f"--target={tmp_path / 'target'}", f"--report={report}",
         "-c", str(ROOT / "constraints.txt"), str(wheel)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    files = {item["metadata"]["name"]: item["download_info"]["url"].rsplit("/", 1)[-1]
             for item in json.loads(report.read_text())["install"]}
    assert {"cryptography", "cffi", "gunicorn", "kubernetes", "boto3"} <= set(files)
    assert {name: file for name, file in files.items()
            if not file.endswith("-none-any.whl") and machine not in file} == {}
