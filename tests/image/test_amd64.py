"""The amd64 image as a pod runs it: as uid 65532 on a read-only root, with nothing from the
build machine committed into it."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import imagebase, imagestore
from tests.image import layers

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

READ_ONLY = ("--read-only",)


def test_version_runs_as_nonroot_on_a_read_only_root(amd64_image: str) -> None:
    result = imagestore.podman_run(amd64_image, "--version", options=READ_ONLY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("dnsgate 0.1.0"), result.stdout
    identity = imagestore.podman_run(
        amd64_image, "-c", "import os; print(os.getuid(), os.getgid())",
        options=(*READ_ONLY, "--entrypoint", "python"),
    )
    assert identity.stdout.split() == ["65532", "65532"], identity.stderr


def test_configuration_is_the_dockerfiles(amd64_image: str) -> None:
    config = imagestore.inspect(amd64_image)["Config"]
    assert isinstance(config, dict)
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["dnsgate"] and config["Cmd"] == ["--help"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["PATH"].startswith("/opt/dnsgate/bin:/usr/local/sbin:")
    assert env["LANG"] == "C.UTF-8"


def test_host_ca_bundle_and_pip_conf_are_build_time_only(
    amd64_image: str, tmp_path: Path
) -> None:
    """The build binds the host's CA bundle and a pip.conf naming it into `RUN` steps: neither
    may reach a layer the Dockerfile adds, nor the configuration."""
    config = imagestore.inspect(amd64_image)["Config"]
    assert isinstance(config, dict)
    assert not [item for item in config["Env"] if item.startswith(("PIP_", "SSL_", "REQUESTS_"))]
    base_layers = len(layers.layer_ids(imagebase.reference("amd64")))
    added = layers.layer_members(amd64_image, tmp_path)[base_layers:]
    assert added, "the Dockerfile adds no layer"
    leaked = {path for members in added for path in members
              if path.startswith(("etc/ssl", "etc/pip.conf", "etc/xdg/pip"))}
    assert leaked == set()
