"""What the build hands pip: only bind mounts (a `RUN` step sees them, no layer keeps them),
never `--env` or `--build-arg`, which the image's configuration or history would record."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import imagebuild


def _pip_conf(options: tuple[str, ...]) -> str:
    sources = [value.split(":")[0] for flag, value in zip(options[::2], options[1::2],
                                                          strict=True)
               if flag == "--volume" and value.endswith(":/etc/pip.conf:ro")]
    return Path(sources[0]).read_text() if sources else ""


@pytest.mark.parametrize(("wheels", "expected"), [
    (None, ["cert = /etc/ssl/certs/ca-certificates.crt"]),
    (Path("/cache/wheels"), ["cert = /etc/ssl/certs/ca-certificates.crt",
                             f"find-links = {imagebuild.WHEELS_MOUNT}", "no-index = true"]),
])
def test_pip_settings_reach_the_build_as_bind_mounts_only(
    tmp_path: Path, wheels: Path | None, expected: list[str]
) -> None:
    options = imagebuild.build_time_mounts(tmp_path, wheels)
    assert set(options[::2]) == {"--volume"}
    assert all(value.endswith(":ro") for value in options[1::2])
    assert _pip_conf(options).splitlines() == ["[global]", *expected]
    if wheels is not None:
        assert f"{wheels}:{imagebuild.WHEELS_MOUNT}:ro" in options
