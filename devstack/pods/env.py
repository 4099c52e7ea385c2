"""A container's environment and command line, built the way the kubelet and the container
runtime build them (docs/kubelet.md): image ENV, then Service links, `envFrom`, `env` with
`$(VAR)` expansion and `valueFrom`, then HOSTNAME and HOME; `$(VAR)` in command and args.

Pure functions over values fetched beforehand, so a missing ConfigMap key fails with the
kubelet's reason (CreateContainerConfigError) before any process starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from devstack.pods.container import Container, EnvVar


class ContainerConfigError(RuntimeError):
    """What the kubelet reports as CreateContainerConfigError: the container cannot start."""


@dataclass(frozen=True)
class PodIdentity:
    """The Pod fields a fieldRef can name, and the IP the runner gave the pod."""

    name: str
    namespace: str
    uid: str
    service_account: str
    pod_ip: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    def field(self, path: str) -> str:
        simple = {"metadata.name": self.name, "metadata.namespace": self.namespace,
                  "metadata.uid": self.uid, "spec.serviceAccountName": self.service_account,
                  "status.podIP": self.pod_ip, "status.podIPs": self.pod_ip}
        if path in simple:
            return simple[path]
        for prefix, values in (("metadata.labels", self.labels),
                               ("metadata.annotations", self.annotations)):
            if path.startswith(prefix + "['") and path.endswith("']"):
                return values.get(path[len(prefix) + 2:-2], "")
        raise ContainerConfigError(
            f"fieldRef {path!r} is not implemented by the pod runner (implemented: "
            f"{', '.join(simple)}, metadata.labels['...'], metadata.annotations['...'])")


@dataclass(frozen=True)
class Objects:
    """What the kubelet reads from the API for one pod: its namespace's ConfigMaps and
    Secrets (by name), and the Services whose links it injects."""

    namespace: str
    config_maps: Mapping[str, Mapping[str, str]]
    secrets: Mapping[str, Mapping[str, bytes]]
    services: Sequence[Mapping[str, Any]]


def _name(service: str) -> str:
    return service.upper().replace("-", "_")


def service_links(objects: Objects, enable: bool) -> dict[str, str]:
    """{NAME}_SERVICE_HOST and friends: for `kubernetes` in `default` always, and for every
    Service of the pod's namespace with a cluster IP when enableServiceLinks is on."""
    result: dict[str, str] = {}
    for service in objects.services:
        metadata, spec = service["metadata"], service["spec"]
        master = metadata["namespace"] == "default" and metadata["name"] == "kubernetes"
        if not (master or (enable and metadata["namespace"] == objects.namespace)):
            continue
        ip = spec.get("clusterIP", "")
        if ip in ("", "None"):
            continue
        prefix = _name(metadata["name"])
        ports = spec["ports"]
        result[f"{prefix}_SERVICE_HOST"] = ip
        result[f"{prefix}_SERVICE_PORT"] = str(ports[0]["port"])
        for port in ports:
            if port.get("name"):
                result[f"{prefix}_SERVICE_PORT_{_name(port['name'])}"] = str(port["port"])
        for index, port in enumerate(ports):
            protocol = port.get("protocol", "TCP")
            url = f"{protocol.lower()}://{ip}:{port['port']}"
            if index == 0:
                result[f"{prefix}_PORT"] = url
            each = f"{prefix}_PORT_{port['port']}_{protocol.upper()}"
            result.update({each: url, f"{each}_PROTO": protocol.lower(),
                           f"{each}_PORT": str(port["port"]), f"{each}_ADDR": ip})
    return result


def expand(text: str, lookup: Callable[[str], str | None]) -> str:
    """Kubernetes' `$(VAR)`: replaced when defined, left as written when not; `$$` is `$`."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char != "$" or index + 1 == len(text):
            out.append(char)
            index += 1
            continue
        following = text[index + 1]
        if following == "$":
            out.append("$")
            index += 2
        elif following == "(":
            close = text.find(")", index + 2)
            if close < 0:
                out.append("$(")
                index += 2
                continue
            name = text[index + 2:close]
            value = lookup(name)
            out.append(f"$({name})" if value is None else value)
            index = close + 1
        else:
            out.append("$" + following)
            index += 2
    return "".join(out)


def _value_from(var: EnvVar, pod: PodIdentity, objects: Objects) -> str | None:
    source = var.value_from
    assert source is not None
    if source.kind == "fieldRef":
        return pod.field(source.name)
    kind = "ConfigMap" if source.kind == "configMapKeyRef" else "Secret"
    store: Mapping[str, Mapping[str, Any]] = (
        objects.config_maps if kind == "ConfigMap" else objects.secrets)
    if source.name not in store:
        if source.optional:
            return None
        raise ContainerConfigError(f"env {var.name}: {kind.lower()} {source.name!r} not found")
    data = store[source.name]
    if source.key not in data:
        if source.optional:
            return None
        raise ContainerConfigError(f"env {var.name}: couldn't find key {source.key} in {kind} "
                                   f"{objects.namespace}/{source.name}")
    value = data[source.key]
    return value.decode() if isinstance(value, bytes) else str(value)


def environment(container: Container, pod: PodIdentity, objects: Objects,
                image_env: Mapping[str, str], *, enable_service_links: bool,
                home: str = "/") -> dict[str, str]:
    services = service_links(objects, enable_service_links)
    declared: dict[str, str] = {}
    for source in container.env_from:
        store: Mapping[str, Mapping[str, Any]] = (
            objects.config_maps if source.kind == "configMap" else objects.secrets)
        if source.name not in store:
            if source.optional:
                continue
            raise ContainerConfigError(f"envFrom: {source.kind.lower()} {source.name!r} not found")
        for key, value in store[source.name].items():
            declared[source.prefix + key] = value.decode() if isinstance(value, bytes) else value
    for var in container.env:
        if var.value_from is None:
            declared[var.name] = expand(var.value, lambda n: declared.get(n, services.get(n)))
        elif (value := _value_from(var, pod, objects)) is not None:
            declared[var.name] = value
    # The runtime starts from the image's ENV; the kubelet's variables replace same names.
    result = {**image_env, **declared}
    for name, value in services.items():
        result.setdefault(name, value)
    result.setdefault("HOSTNAME", pod.name)
    result.setdefault("HOME", home)
    return result


def command_line(container: Container, entrypoint: Sequence[str], cmd: Sequence[str],
                 env: Mapping[str, str]) -> tuple[str, ...]:
    """command replaces the image's ENTRYPOINT (and drops its CMD); args replace its CMD."""
    command = list(entrypoint if container.command is None else container.command)
    args = list(cmd if container.command is None and container.args is None
                else container.args or ())
    argv = tuple(expand(word, env.get) for word in [*command, *args])
    if not argv:
        raise ContainerConfigError("no command: the image has no ENTRYPOINT and the container "
                                   "sets no command")
    return argv
