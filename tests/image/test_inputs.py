"""What decides that the image must be rebuilt: the Dockerfile and the files it copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import imagebuild

DOCKERFILE = """FROM base AS deps
COPY pyproject.toml constraints.txt ./
RUN pip install
FROM deps AS build
COPY --chown=1:1 pkg/ ./pkg
COPY --from=deps /opt /opt
"""


def _context(root: Path) -> Path:
    (root / "Dockerfile").write_text(DOCKERFILE)
    for name in ("pyproject.toml", "constraints.txt", "pkg/a.py", "pkg/sub/b.py", "tests/t.py",
                 "README.md", ".dockerignore"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    return root


def test_copied_paths_are_the_copy_sources_but_not_copies_from_stages() -> None:
    assert imagebuild.copied_paths(DOCKERFILE) == ("pyproject.toml", "constraints.txt", "pkg")


def test_the_real_dockerfile_copies_only_what_the_wheel_is_built_from() -> None:
    copied = set(imagebuild.copied_paths(imagebuild.DOCKERFILE.read_text()))
    assert copied == {"pyproject.toml", "constraints.txt", "README.md", "dnsgate", "webhook",
                      "reconciler", "certs"}


@pytest.mark.parametrize(("changed", "rebuilds"), [
    ("pkg/sub/b.py", True),
    ("constraints.txt", True),
    ("Dockerfile", True),
    (".dockerignore", True),  # what it leaves out of the context changes what COPY copies
    ("tests/t.py", False),
    ("README.md", False),  # not copied by this Dockerfile
])
def test_key_changes_exactly_when_a_copied_file_changes(
    tmp_path: Path, changed: str, rebuilds: bool
) -> None:
    root = _context(tmp_path)
    before = imagebuild.inputs_key("amd64", root)
    with open(root / changed, "a") as handle:
        handle.write("\n# changed\n")
    assert (imagebuild.inputs_key("amd64", root) != before) is rebuilds


def test_key_ignores_bytecode_caches(tmp_path: Path) -> None:
    root = _context(tmp_path)
    before = imagebuild.inputs_key("amd64", root)
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert imagebuild.inputs_key("amd64", root) == before


def test_each_architecture_has_its_own_key(tmp_path: Path) -> None:
    root = _context(tmp_path)
    assert imagebuild.inputs_key("amd64", root) != imagebuild.inputs_key("arm64", root)


def test_an_unknown_architecture_is_refused_naming_the_ones_built() -> None:
    with pytest.raises(imagebuild.ImageBuildError, match=r"'riscv64'.*amd64.*arm64"):
        imagebuild.ensure_image("riscv64")


def test_copied_tree_is_complete(tmp_path: Path) -> None:
    # The real source tree: every .py file under the copied packages is an input.
    files = {path.relative_to(imagebuild.ROOT) for path in imagebuild.context_files()}
    assert Path("dnsgate/cli.py") in files and Path("webhook/server.py") in files
    assert not any("__pycache__" in path.parts for path in files)


def _fake_storage(monkeypatch: pytest.MonkeyPatch, stored: set[str],
                  base_layer: list[str]) -> None:
    """Images are their ids; each is built on the base layer stored when it was built."""
    built_on: dict[str, str] = {}

    def layers(reference: str) -> tuple[str, ...] | None:
        if reference.startswith(imagebuild.imagebase.REPOSITORY):
            return (base_layer[0],)
        if reference not in stored:
            return None
        return (built_on.setdefault(reference, base_layer[0]), f"layer of {reference}")

    monkeypatch.setattr(imagebuild.imagestore, "image_id",
                        lambda reference: reference if reference in stored else None)
    monkeypatch.setattr(imagebuild.imagestore, "layers", layers)
    monkeypatch.setattr(imagebuild.imagestore, "run", lambda command, **_: "")
    monkeypatch.setattr(imagebuild, "_prepare", lambda arch, progress: None)


@pytest.mark.parametrize(("recorded", "in_storage", "builds"), [
    ("a" * 64, True, False),   # built from these inputs and still there
    ("a" * 64, False, True),   # built, then removed from the storage (or the storage wiped)
    (None, False, True),       # never built from these inputs
])
def test_image_is_built_unless_its_recorded_build_is_still_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded: str | None, in_storage: bool,
    builds: bool,
) -> None:
    monkeypatch.setenv("DNSGATE_CACHE", str(tmp_path))
    key = imagebuild.inputs_key("amd64")
    if recorded is not None:
        (tmp_path / "image").mkdir()
        (tmp_path / "image" / f"amd64-{key}.id").write_text(recorded + "\n")
    stored = {recorded} if in_storage else set()
    built: list[str] = []

    def build(arch: str, context: Path, progress: object) -> str:
        built.append(arch)
        stored.add("b" * 64)
        return "b" * 64

    _fake_storage(monkeypatch, stored, ["base"])
    monkeypatch.setattr(imagebuild, "_build", build)
    found = imagebuild.ensure_image("amd64", lambda line: None)
    assert (built == ["amd64"]) is builds
    assert found == ("b" * 64 if builds else recorded)
    assert (tmp_path / "image" / f"amd64-{key}.id").read_text().strip() == found


def test_a_file_saved_during_the_build_is_not_recorded_under_the_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The developer saves pkg/a.py while the build runs, then returns to the old content
    # (git stash): the image handed back must be the one built from the old content.
    (tmp_path / "tree").mkdir()
    root = _context(tmp_path / "tree")
    monkeypatch.setenv("DNSGATE_CACHE", str(tmp_path / "cache"))
    stored: set[str] = set()

    def build(arch: str, context: Path, progress: object) -> str:
        (root / "pkg" / "a.py").write_text("saved during the build")
        image = (context / "pkg" / "a.py").read_text()  # what COPY puts in the image
        stored.add(image)
        return image

    _fake_storage(monkeypatch, stored, ["base"])
    monkeypatch.setattr(imagebuild, "_build", build)
    assert imagebuild.ensure_image("amd64", lambda line: None, root) == "pkg/a.py"
    (root / "pkg" / "a.py").write_text("pkg/a.py")  # back to the old content
    assert imagebuild.ensure_image("amd64", lambda line: None, root) == "pkg/a.py"


def test_an_image_built_on_a_base_made_again_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The base's name is a hash of what it is made from; made again (its tar and image
    # removed) it holds Debian's newer packages under the same name and the same key.
    monkeypatch.setenv("DNSGATE_CACHE", str(tmp_path))
    stored: set[str] = set()
    base_layer = ["bookworm as of the first build"]
    built: list[str] = []

    def build(arch: str, context: Path, progress: object) -> str:
        image = f"image {len(built)}"
        built.append(image)
        stored.add(image)
        return image

    _fake_storage(monkeypatch, stored, base_layer)
    monkeypatch.setattr(imagebuild, "_build", build)
    first = imagebuild.ensure_image("amd64", lambda line: None)
    assert imagebuild.ensure_image("amd64", lambda line: None) == first
    base_layer[0] = "bookworm with a security update"
    assert imagebuild.ensure_image("amd64", lambda line: None) != first
    assert built == ["image 0", "image 1"]
