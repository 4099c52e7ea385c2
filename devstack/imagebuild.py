"""dnsgate's image built from the real Dockerfile by buildah, per architecture, cached.

`ensure_image(arch)` builds `localhost/dnsgate:dev-<arch>` in the private storage
(`devstack.imagestore`) from the base `devstack.imagebase` makes, unless a build from the
same inputs is still there: the Dockerfile, the files its `COPY` lines name, and the base.
It returns the image id. `save_docker_archive` writes one architecture's image as a
docker-archive named `localhost/dnsgate:dev`, which `ctr images import` and `podman load`
take. `ensure_manifest` puts both architectures under `localhost/dnsgate:dev`, a manifest
list, as `docker buildx build --platform linux/amd64,linux/arm64` would.

`RUN` steps install the dependencies from wheels pip downloaded on the host
(`devstack.imagewheels`), or else from PyPI through the host's CA bundle; a pip.conf saying
which, the bundle and the wheels are bind-mounted for the build only, so none of them is
committed into the image (docs/container-image.md, "Building here"). arm64 steps run under
QEMU.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from devstack import imagebase, imagehost, imagestore, imagewheels

Progress = imagestore.Progress

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
ARCHES = ("amd64", "arm64")
REPOSITORY = "localhost/dnsgate"
MANIFEST = f"{REPOSITORY}:dev"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
WHEELS_MOUNT = "/tmp/dnsgate-wheels"


class ImageBuildError(RuntimeError):
    """The image cannot be built as asked; the message names the architecture or input."""


def reference(arch: str) -> str:
    return f"{REPOSITORY}:dev-{arch}"


def copied_paths(dockerfile: str) -> tuple[str, ...]:
    """The build-context paths the Dockerfile's `COPY` lines name (not `COPY --from`)."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    paths: list[str] = []
    for line in joined.splitlines():
        words = line.split()
        if not words or words[0].upper() != "COPY":
            continue
        arguments = words[1:]
        if any(word.startswith("--from") for word in arguments):
            continue
        sources = [word for word in arguments if not word.startswith("--")][:-1]
        paths.extend(source.rstrip("/") for source in sources)
    return tuple(paths)


def context_files(root: Path = ROOT) -> tuple[Path, ...]:
    """Every file the build reads from the context, in a stable order."""
    found: list[Path] = []
    for name in copied_paths((root / "Dockerfile").read_text()):
        path = root / name
        if path.is_dir():
            found.extend(sorted(
                file for file in path.rglob("*")
                if file.is_file() and "__pycache__" not in file.parts
            ))
        else:
            found.append(path)
    return tuple(found)


def inputs_key(arch: str, root: Path = ROOT) -> str:
    """A hash of everything an image for `arch` is built from: the base, the Dockerfile, what
    .dockerignore leaves out of the context, and the files the Dockerfile copies."""
    digest = hashlib.sha256()
    digest.update(f"{arch}\0{imagebase.reference(arch)}\0".encode())
    ignore = root / ".dockerignore"
    for path in (root / "Dockerfile", *([ignore] if ignore.is_file() else []),
                 *context_files(root)):
        digest.update(f"{path.relative_to(root)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def stage_context(root: Path, dest: Path) -> Path:
    """A copy of the build's inputs in `root` (the Dockerfile, .dockerignore and the files it
    copies) at `dest`, which becomes the build context."""
    shutil.rmtree(dest, ignore_errors=True)
    ignore = root / ".dockerignore"
    for path in (root / "Dockerfile", *([ignore] if ignore.is_file() else []),
                 *context_files(root)):
        target = dest / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return dest


def ensure_image(arch: str = "amd64", progress: Progress = print, root: Path = ROOT) -> str:
    """The id of dnsgate's image for `arch` as the current source builds it; built if needed.

    The build reads a copy of the inputs taken under the lock, and its image is recorded
    under that copy's key: a file saved in `root` while the build waits or runs (minutes
    under QEMU) must not put the new content under the old content's key, where a later
    return to the old content (`git stash`) would find it. A recorded image counts only if it
    was built on the base now stored: a base made again from Debian's newer packages keeps
    its name, so the key alone would not tell.
    """
    if arch not in ARCHES:
        raise ImageBuildError(f"architecture {arch!r} is not built here; choose one of {ARCHES}")
    found = _recorded(_record(arch, inputs_key(arch, root)), arch)
    if found is None:
        with imagestore.locked(f"image-{arch}", progress):
            context = stage_context(
                root, imagestore.cache_dir() / "image" / f"build-{arch}" / "context")
            record = _record(arch, inputs_key(arch, context))
            _prepare(arch, progress)
            found = _recorded(record, arch)  # another process built it while we waited
            if found is None:
                found = _build(arch, context, progress)
                record.write_text(found + "\n")
    imagestore.run(["podman", "tag", found, reference(arch)])
    return found


def _record(arch: str, key: str) -> Path:
    return imagestore.cache_dir() / "image" / f"{arch}-{key}.id"


def save_docker_archive(arch: str, dest: Path) -> str:
    """Write the `arch` image to `dest` as a docker-archive named MANIFEST; its image id."""
    found = ensure_image(arch)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    imagestore.run(
        ["skopeo", "copy", "--quiet", f"containers-storage:{found}",
         f"docker-archive:{partial}:{MANIFEST}"],
    )
    partial.replace(dest)
    return found


def ensure_manifest(progress: Progress = print) -> dict[str, str]:
    """Both architectures' images under MANIFEST, a manifest list; arch -> image id."""
    ids = {arch: ensure_image(arch, progress) for arch in ARCHES}
    with imagestore.locked("manifest", progress):
        if _manifest_exists():
            imagestore.run(["buildah", "manifest", "rm", MANIFEST])
        imagestore.run(["buildah", "manifest", "create", MANIFEST])
        for found in ids.values():
            # `podman manifest add` does not take containers-storage references here.
            imagestore.run(["buildah", "manifest", "add", MANIFEST,
                            f"containers-storage:{found}"])
    return ids


def _manifest_exists() -> bool:
    try:
        imagestore.run(["buildah", "manifest", "inspect", MANIFEST])
    except imagestore.ImageToolError:
        return False
    return True


def _recorded(record: Path, arch: str) -> str | None:
    """The image `record` names, if it is still stored and its first layers are the stored
    base's own (a layer's id is the digest of its content)."""
    if not record.is_file():
        return None
    found = record.read_text().strip()
    if imagestore.image_id(found) != found:
        return None
    base = imagestore.layers(imagebase.reference(arch))
    built = imagestore.layers(found) or ()
    return found if base is not None and built[:len(base)] == base else None


def _prepare(arch: str, progress: Progress) -> None:
    imagehost.ensure_packages(imagehost.BUILD_PACKAGES, progress)
    if arch != "amd64":
        imagehost.ensure_arm64_emulation(progress)
    imagebase.ensure_base(arch, progress)


def _build(arch: str, context: Path, progress: Progress) -> str:
    base = imagebase.ensure_base(arch, progress)
    wheels = imagewheels.ensure_wheels(arch, progress)
    progress(f"building {reference(arch)} from {context / 'Dockerfile'} on {base}"
             + (" (under QEMU: minutes)" if arch != "amd64" else ""))
    return build(arch, base=base, context=context, tag=reference(arch), progress=progress,
                 wheels=wheels)


def build(arch: str, *, base: str, context: Path, tag: str, progress: Progress,
          wheels: Path | None = None) -> str:
    """`buildah bud` of `context`'s Dockerfile for `arch` on `base`, reusing cached layers;
    the new image's id. With `wheels`, pip installs from that directory alone."""
    work = imagestore.cache_dir() / "image" / f"build-{arch}"
    work.mkdir(parents=True, exist_ok=True)
    iidfile = work / f"iid-{os.getpid()}"
    iidfile.unlink(missing_ok=True)
    imagestore.run_long(
        ["buildah", "bud", "--layers", "--pull=never", "--runtime", imagestore.RUNTIME,
         "--platform", f"linux/{arch}", "--build-arg", f"BASE={base}",
         *build_time_mounts(work, wheels), "--iidfile", str(iidfile),
         "-f", str(context / "Dockerfile"), "-t", tag, str(context)],
        name=f"image {arch}", progress=progress,
    )
    found = iidfile.read_text().strip().removeprefix("sha256:")
    iidfile.unlink()
    (work / f"pip-{os.getpid()}.conf").unlink(missing_ok=True)
    return found


def build_time_mounts(work: Path, wheels: Path | None) -> tuple[str, ...]:
    """Bind mounts for `RUN` steps only (never committed): a pip.conf, the host's CA bundle
    it names, and the host-downloaded wheels it installs from."""
    settings = []
    mounts = []
    if HOST_CA_BUNDLE.is_file():
        settings.append(f"cert = {HOST_CA_BUNDLE}")
        mounts.append(f"{HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro")
    if wheels is not None:
        settings += [f"find-links = {WHEELS_MOUNT}", "no-index = true"]
        mounts.append(f"{wheels}:{WHEELS_MOUNT}:ro")
    if not settings:
        return ()
    pip_conf = work / f"pip-{os.getpid()}.conf"
    pip_conf.write_text("[global]\n" + "\n".join(settings) + "\n")
    mounts.append(f"{pip_conf}:/etc/pip.conf:ro")
    return tuple(option for mount in mounts for option in ("--volume", mount))


def start_in_background(arches: tuple[str, ...] = ("arm64", "amd64")) -> Path:
    """Start building `arches` in a detached process, logging to imagestore.background_log().

    `make test` starts this before the Go builds, so the emulated arm64 build, the longest
    step, overlaps them; the foreground `make image` then waits on the same locks and finds
    the images built.
    """
    log = imagestore.background_log()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as output:
        subprocess.Popen(
            [sys.executable, "-m", "devstack.imagebuild", *arches], cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return log


def main(arguments: list[str]) -> None:
    def progress(line: str) -> None:
        print(line, flush=True)

    if arguments[:1] == ["--background"]:
        log = start_in_background()
        progress(f"building the images in the background; log: {log}")
        return
    arches = tuple(arguments) or ARCHES
    started = time.monotonic()
    for arch in arches:  # in the order asked: the background build starts with arm64
        progress(f"{reference(arch)}: {ensure_image(arch, progress)[:12]}")
    if set(arches) == set(ARCHES):
        ensure_manifest(progress)
        progress(f"{MANIFEST}: manifest list of {', '.join(ARCHES)}")
    progress(f"images ready in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":  # `python -m devstack.imagebuild [--background] [ARCH...]`
    try:
        main(sys.argv[1:])
    except (ImageBuildError, imagestore.ImageToolError, imagehost.HostSetupError) as error:
        print(f"dnsgate: {error}", file=sys.stderr)
        sys.exit(1)
