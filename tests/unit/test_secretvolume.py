"""The demo's Secret volume, written as the kubelet's atomic writer lays it out: each file a
link through `..data` to the current payload."""

from pathlib import Path

import pytest

from devstack.secretvolume import write


@pytest.mark.parametrize("before", ["nothing", "an older payload", "plain files"])
def test_the_payload_is_written_over_what_the_directory_held(tmp_path: Path,
                                                             before: str) -> None:
    """The demo's state directory outlives a checkout: an older layout's plain files, or
    an earlier payload, give way to the new one."""
    if before == "an older payload":
        write(tmp_path, {"tls.crt": b"old", "stale.key": b"gone"})
    elif before == "plain files":
        (tmp_path / "tls.crt").write_bytes(b"plain")
        (tmp_path / "ca.crt").write_bytes(b"plain")

    write(tmp_path, {"tls.crt": b"new", "ca.crt": b"ca"})

    assert {p.name for p in tmp_path.iterdir() if not p.name.startswith("..")} == {
        "tls.crt", "ca.crt"}
    assert (tmp_path / "tls.crt").is_symlink()
    assert (tmp_path / "tls.crt").read_bytes() == b"new"
    assert (tmp_path / "ca.crt").read_bytes() == b"ca"
