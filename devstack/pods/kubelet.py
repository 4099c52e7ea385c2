"""The kubelet's part for one stored Pod: from its spec to a running, probed process.

In the kubelet's order (docs/kubelet.md): read the spec (strictly), give the pod its network,
fetch what its volumes and environment name (waiting, as ContainerCreating does, while a
Secret or ConfigMap is missing), request its ServiceAccount token bound to the pod
(TokenRequest), write the volumes, build the environment and the command line, and start the
container in a sandbox as its user. Relays let it reach the `kubernetes` Service and the
addresses outside the cluster it was given. While it runs, `sync_volumes` does what the
kubelet's periodic sync does: a Secret or ConfigMap that changed is written into the volumes
made from it, so the container sees the new files without a restart.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.image import Image
from devstack.pods import env as podenv
from devstack.pods import network, probes, rootfs, sandbox, volumes
from devstack.pods import spec as podspec
from devstack.pods.api import Api, namespaced
from devstack.pods.container import Probe
from devstack.pods.strict import Unsupported

Address = tuple[str, int]
QUANTITY = re.compile(r"^(\d+)(Ki|Mi|Gi|K|M|G|)$")
UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
HOSTS = ("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
         "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
         "fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n")


class PodStartError(RuntimeError):
    """The pod could not be started; the message says why, as `kubectl describe` would."""


def _bytes(quantity: str) -> int:
    match = QUANTITY.match(quantity)
    if match is None:
        raise Unsupported(f"sizeLimit {quantity!r}: implemented forms are like 16Mi or 100M")
    return int(match.group(1)) * UNITS[match.group(2)]


@dataclass
class RunningPod:
    name: str
    namespace: str
    uid: str
    kind: str  # the workload's kind: Deployment or Job
    spec: podspec.PodSpec
    labels: Mapping[str, str]
    link: network.PodLink
    sandboxed: sandbox.Sandboxed
    relays: list[network.Relay]
    log: Path
    startup: probes.Tracker | None
    readiness: probes.Tracker | None
    liveness: probes.Tracker | None
    identity: podenv.PodIdentity
    # What each Secret, ConfigMap or projected volume holds now, by volume name.
    payloads: dict[str, tuple[volumes.File, ...]]
    fs_user: int | None
    started: float = field(default_factory=time.monotonic)
    started_up: bool = False  # the startup probe has succeeded (or there is none)
    ready: bool = False
    failure: str | None = None

    @property
    def pod_ip(self) -> str:
        return self.link.pod_ip

    def port(self, port: int | str) -> int:
        return self.spec.container.port(port)

    def tail(self, lines: int = 25) -> str:
        return sandbox.tail(self.log, lines)

    def describe(self) -> str:
        return f"pod {self.namespace}/{self.name} ({self.kind})"


def _tracker(probe: Probe | None) -> probes.Tracker | None:
    return None if probe is None else probes.Tracker(probe)


def _objects(api: Api, namespace: str) -> podenv.Objects:
    config_maps = {}
    for item in api.items(namespaced(namespace, "configmaps")):
        data: dict[str, Any] = dict(item.get("data") or {})
        data.update(volumes.decode_secret(item.get("binaryData")))
        config_maps[item["metadata"]["name"]] = data
    secrets = {item["metadata"]["name"]: volumes.decode_secret(item.get("data"))
               for item in api.items(namespaced(namespace, "secrets"))}
    services = api.items(namespaced(namespace, "services"))
    if namespace != "default":
        services.append(api.get(namespaced("default", "services", "kubernetes")))
    return podenv.Objects(namespace, config_maps, secrets, services)


def _fs_user(spec: podspec.PodSpec) -> int | None:
    return next((v for v in (spec.container.run_as_user, spec.run_as_user) if v is not None),
                None)


def _no_token(source: podspec.Source) -> str:
    raise AssertionError("volumes with a token are not synced")


def _token(api: Api, pod: Mapping[str, Any], account: str, source: podspec.Source) -> str:
    metadata = pod["metadata"]
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {
        "audiences": [source.audience] if source.audience else [],
        "expirationSeconds": source.expiration_seconds,
        "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": metadata["name"],
                           "uid": metadata["uid"]}}}
    path = namespaced(metadata["namespace"], "serviceaccounts", account) + "/token"
    token: str = api.create(path, request)["status"]["token"]
    return token


@dataclass(frozen=True)
class Kubelet:
    api: Api
    images: Mapping[str, Image]
    state_dir: Path
    outside: Mapping[Address, Address]  # address a pod dials -> where it really listens
    volume_timeout: float = 60.0

    def _image(self, reference: str) -> Image:
        if reference not in self.images:
            raise Unsupported(f"image {reference!r} is not mapped to a locally built image "
                              f"(mapped: {', '.join(self.images)})")
        return self.images[reference]

    def _user(self, spec: podspec.PodSpec, image: Image) -> tuple[int, int]:
        container = spec.container
        image_uid, image_gid = image.user()
        uid = next(v for v in (container.run_as_user, spec.run_as_user, image_uid)
                   if v is not None)
        gid = next(v for v in (container.run_as_group, spec.run_as_group, image_gid)
                   if v is not None)
        non_root = next((v for v in (container.run_as_non_root, spec.run_as_non_root)
                         if v is not None), False)
        if non_root and uid == 0:
            raise podenv.ContainerConfigError("container has runAsNonRoot and image will run "
                                              "as root")
        return uid, gid

    def _volumes(self, pod: Mapping[str, Any], spec: podspec.PodSpec,
                 identity: podenv.PodIdentity, directory: Path
                 ) -> tuple[podenv.Objects, tuple[rootfs.Mount, ...],
                            dict[str, tuple[volumes.File, ...]]]:
        """Wait until every volume's source exists (ContainerCreating), then write them."""
        fs_user = _fs_user(spec)
        deadline = time.monotonic() + self.volume_timeout
        while True:
            objects = _objects(self.api, identity.namespace)
            try:
                payloads = {volume.name: volumes.payload(
                    volume, identity, objects,
                    lambda source: _token(self.api, pod, spec.service_account, source), fs_user)
                    for volume in spec.volumes if volume.kind == "files"}
                break
            except volumes.NotReady as exc:
                if time.monotonic() > deadline:
                    raise PodStartError(f"stuck in ContainerCreating for "
                                        f"{self.volume_timeout:.0f}s: {exc}") from exc
                time.sleep(0.5)
        mounts = []
        for mount in spec.container.mounts:
            volume = spec.volume(mount.volume)
            if volume.kind == "files":
                source = directory / "volumes" / volume.name
                if not source.exists():
                    volumes.write(source, payloads[volume.name])
                mounts.append(rootfs.Mount(mount.path, str(source), mount.read_only))
            elif volume.memory:
                size = _bytes(volume.size_limit) if volume.size_limit else None
                mounts.append(rootfs.Mount(mount.path, size_bytes=size))
            else:  # an emptyDir on the node's disk, writable by every user
                source = directory / "empty" / volume.name
                source.mkdir(parents=True, exist_ok=True)
                source.chmod(0o777)
                mounts.append(rootfs.Mount(mount.path, str(source), mount.read_only))
        return objects, tuple(mounts), payloads

    def sync_volumes(self, pod: RunningPod) -> list[str]:
        """The kubelet's periodic sync of a running pod's Secret and ConfigMap volumes: each
        whose source changed is rewritten (atomically, as at start); the names of those.
        A source that went missing leaves the files as they were, as the kubelet does.
        Volumes with a ServiceAccount token are left alone: the kubelet renews the token at
        80% of its life (an hour here), longer than any run of the runner."""
        objects = _objects(self.api, pod.namespace)
        synced = []
        for volume in pod.spec.volumes:
            if volume.kind != "files" or volume.name not in pod.payloads or any(
                    source.kind == "serviceAccountToken" for source in volume.sources):
                continue
            try:
                files = volumes.payload(volume, pod.identity, objects, _no_token, pod.fs_user)
            except (volumes.NotReady, podenv.ContainerConfigError):
                continue
            if files != pod.payloads[volume.name]:
                volumes.write(self.state_dir / pod.namespace / pod.name / "volumes" / volume.name,
                              files)
                pod.payloads[volume.name] = files
                synced.append(volume.name)
        return synced

    def start(self, pod: Mapping[str, Any], kind: str) -> RunningPod:
        metadata = pod["metadata"]
        name, namespace = metadata["name"], metadata["namespace"]
        spec = podspec.read(dict(pod))
        container = spec.container
        image = self._image(container.image)
        directory = self.state_dir / namespace / name
        shutil.rmtree(directory, ignore_errors=True)
        (directory / "root").mkdir(parents=True)
        log = directory / "log"
        sandboxed = sandbox.spawn(log)
        relays: list[network.Relay] = []
        try:
            link = network.connect(sandboxed.helper.pid)
            identity = podenv.PodIdentity(
                name, namespace, metadata["uid"], spec.service_account, link.pod_ip,
                metadata.get("labels") or {}, metadata.get("annotations") or {})
            objects, mounts, payloads = self._volumes(pod, spec, identity, directory)
            uid, gid = self._user(spec, image)
            environment = podenv.environment(
                container, identity, objects, dict(image.config.env),
                enable_service_links=spec.enable_service_links)
            argv = podenv.command_line(container, image.config.entrypoint, image.config.cmd,
                                       environment)
            (directory / "hosts").write_text(HOSTS + f"{link.pod_ip}\t{name}\n")
            (directory / "hostname").write_text(name + "\n")
            kubernetes = next(s["spec"] for s in objects.services
                              if s["metadata"]["namespace"] == "default"
                              and s["metadata"]["name"] == "kubernetes")
            routes: dict[Address, Address] = {
                (kubernetes["clusterIP"], kubernetes["ports"][0]["port"]): self.api.server(),
                **self.outside}
            sandboxed.configure(sandbox.Spec(
                root=str(directory / "root"), scratch=str(directory / "overlay"),
                argv=argv, env=tuple(environment.items()),
                cwd=container.working_dir or image.config.working_dir,
                uid=uid, gid=gid, groups=(gid,), hostname=name,
                read_only_root=container.read_only_root,
                no_new_privileges=container.no_new_privileges,
                drop_all_capabilities=container.drop_all_capabilities,
                image_mounts=image.mounts(),
                mounts=(*mounts, rootfs.Mount("/etc/hosts", str(directory / "hosts"), False),
                        rootfs.Mount("/etc/hostname", str(directory / "hostname"), False)),
                network=sandbox.Network(link.peer_interface, link.pod_cidr, link.host_ip,
                                        tuple(sorted({ip for ip, _ in routes})))))
            relays.extend(network.Relay(sandboxed.netns, listen, target)
                          for listen, target in routes.items())
            sandboxed.start()
        except BaseException as exc:
            for relay in relays:
                relay.close()
            sandboxed.kill()
            if isinstance(exc, podenv.ContainerConfigError):
                raise PodStartError(f"CreateContainerConfigError: {exc}") from exc
            raise
        return RunningPod(
            name, namespace, metadata["uid"], kind, spec, metadata.get("labels") or {}, link,
            sandboxed, relays, log,
            startup=_tracker(container.startup), readiness=_tracker(container.readiness),
            liveness=_tracker(container.liveness), identity=identity, payloads=payloads,
            fs_user=_fs_user(spec))
