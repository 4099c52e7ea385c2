"""containerd for the node, with its CRI plugin set for this host (docs/kubelet.md,
"The test node"):
- `restrict_oom_score_adj = true`: without CAP_SYS_RESOURCE runc may not lower a process's
  OOM score, and every sandbox would fail ("can't get final child's PID from pipe");
- `sandbox_image` is the locally built pause image: no registry is reachable;
- runc with `SystemdCgroup = false`, as the kubelet's cgroupfs driver expects;
- every network namespace and mount it makes lives under its state directory
  (`netns_mounts_under_state_dir`), so the node's cleanup finds them.

Its root (images, snapshots) is kept in the cache between runs, so an image is imported
(`ctr -n k8s.io images import`, about 25 s for the dnsgate image) only when its id changed.
One node at a time uses that root; a lock beside it makes another wait.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

from devstack import build
from devstack.processes import Child, Supervisor, wait_until

CNI_BIN = Path("/usr/lib/cni")
NAMESPACE = "k8s.io"
PAUSE_IMAGE = "localhost/dnsgate/pause:node"


def root() -> Path:
    return build.cache_root() / "containerd"


def config_text(state: Path, cni_conf: Path) -> str:
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""version = 2
root = "{root() / 'root'}"
state = "{state}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{socket(state)}"
[ttrpc]
  address = "{socket(state)}.ttrpc"
[{cri}]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
[{cri}.cni]
  bin_dir = "{CNI_BIN}"
  conf_dir = "{cni_conf}"
"""


def socket(state: Path) -> Path:
    return state / "containerd.sock"


def start(supervisor: Supervisor, enter: list[str], state: Path,
          cni: dict[str, object]) -> Child:
    cni_conf = state / "cni"
    cni_conf.mkdir(parents=True, exist_ok=True)
    (cni_conf / "10-dnsgate.conflist").write_text(json.dumps(cni, indent=2))
    config = state / "config.toml"
    config.write_text(config_text(state, cni_conf))
    child = supervisor.start("containerd", [*enter, "containerd", f"--config={config}"])
    wait_until(child, lambda: ctr(state, "version").returncode == 0, timeout=60,
               what="answering")
    return child


def ctr(state: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ctr", f"--address={socket(state)}", "-n", NAMESPACE, *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


def import_once(state: Path, image_id: str, names: tuple[str, ...],
                save: Callable[[Path], object]) -> bool:
    """Make `names` refer to the image `image_id` in containerd, importing it (`save` writes
    its docker-archive) unless the last import was of this id; whether it imported."""
    stamp = root() / "imported" / hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    listed = set(ctr(state, "images", "ls", "-q").stdout.split())
    if stamp.is_file() and stamp.read_text() == image_id and set(names) <= listed:
        return False
    archive = state / "import.tar"
    save(archive)
    with tarfile.open(archive) as tar:
        manifest = tar.extractfile("manifest.json")
        assert manifest is not None
        (source,) = json.load(manifest)[0]["RepoTags"]
    result = ctr(state, "images", "import", str(archive))
    archive.unlink()
    if result.returncode != 0:
        raise RuntimeError(f"ctr images import of {source} failed: {result.stderr.strip()}")
    for name in names:
        if name != _qualified(source):
            ctr(state, "images", "tag", "--force", _qualified(source), name)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(image_id)
    return True


def _qualified(name: str) -> str:
    """How containerd names an image from an archive: docker.io/library/ for a bare name."""
    first = name.split("/", 1)[0]
    if "/" not in name:
        return f"docker.io/library/{name}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{name}"
    return name


def remove_leftovers(state: Path) -> None:
    """Kill and delete every container still known to containerd (a run that did not stop
    its pods), so their shims exit."""
    for task in ctr(state, "tasks", "ls", "-q").stdout.split():
        ctr(state, "tasks", "kill", "-s", "SIGKILL", task, timeout=30)
        ctr(state, "tasks", "delete", "-f", task, timeout=30)
    for container in ctr(state, "containers", "ls", "-q").stdout.split():
        ctr(state, "containers", "delete", container, timeout=30)
