"""A container of a stored Pod, read into what the pod runner acts on: its command, its
environment's sources, ports, volume mounts, httpGet probes and security context.

Read strictly (`devstack.pods.strict`): a field is acted on, or read with the reason it is
not emulated here, or refused by path. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from devstack.pods.strict import Fields, Unsupported

NO_PULL = "no registry: images are mapped to locally built ones"
NO_CGROUPS = "resources are not enforced (no cgroup limits here)"
NO_SECCOMP = "seccomp profiles are not applied"
TERMINATION_LOG = "termination messages are not collected"


@dataclass(frozen=True)
class HttpGet:
    path: str
    port: int | str
    scheme: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Probe:
    http: HttpGet
    initial_delay: int = 0
    period: int = 10
    timeout: int = 1
    success_threshold: int = 1
    failure_threshold: int = 3


@dataclass(frozen=True)
class ValueFrom:
    kind: str  # fieldRef, configMapKeyRef, secretKeyRef
    name: str  # the field path, or the ConfigMap's or Secret's name
    key: str = ""
    optional: bool = False


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str = ""
    value_from: ValueFrom | None = None


@dataclass(frozen=True)
class EnvFrom:
    kind: str  # configMap or secret
    name: str
    prefix: str = ""
    optional: bool = False


@dataclass(frozen=True)
class VolumeMount:
    volume: str
    path: str
    read_only: bool


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    command: tuple[str, ...] | None
    args: tuple[str, ...] | None
    working_dir: str | None
    env: tuple[EnvVar, ...]
    env_from: tuple[EnvFrom, ...]
    ports: tuple[tuple[str, int], ...]
    mounts: tuple[VolumeMount, ...]
    readiness: Probe | None
    liveness: Probe | None
    startup: Probe | None
    run_as_user: int | None
    run_as_group: int | None
    run_as_non_root: bool | None
    read_only_root: bool
    no_new_privileges: bool
    drop_all_capabilities: bool

    def port(self, port: int | str) -> int:
        """A probe's or Service's port: a number, or the name of one of the ports."""
        if isinstance(port, int):
            return port
        for name, number in self.ports:
            if name == port:
                return number
        raise Unsupported(f"container {self.name}: no port named {port!r} "
                          f"(ports: {dict(self.ports)})")


def _probe(fields: Fields | None) -> Probe | None:
    if fields is None:
        return None
    for other in ("exec", "tcpSocket", "grpc"):
        fields.refuse(other, "only httpGet probes are implemented")
    http = fields.sub("httpGet")
    if http is None:
        raise Unsupported(f"{fields.path}: a probe without httpGet")
    http.refuse("host", "probes go to the pod's IP")
    headers = tuple((h.value("name"), h.value("value")) for h in http.items("httpHeaders"))
    probe = Probe(
        HttpGet(http.value("path", "/"), http.value("port"),
                http.one_of("scheme", ("HTTP", "HTTPS"), "HTTP"), headers),
        initial_delay=fields.value("initialDelaySeconds", 0),
        period=fields.value("periodSeconds", 10),
        timeout=fields.value("timeoutSeconds", 1),
        success_threshold=fields.value("successThreshold", 1),
        failure_threshold=fields.value("failureThreshold", 3))
    fields.refuse("terminationGracePeriodSeconds", "not implemented for probes")
    return probe


def _env(fields: Fields) -> EnvVar:
    name = fields.value("name")
    source = fields.sub("valueFrom")
    if source is None:
        return EnvVar(name, fields.value("value", ""))
    fields.value("value")
    source.refuse("resourceFieldRef", "resource limits are not enforced here")
    source.refuse("fileKeyRef", "not implemented")
    if (ref := source.sub("fieldRef")) is not None:
        ref.one_of("apiVersion", ("v1",), "v1")
        return EnvVar(name, value_from=ValueFrom("fieldRef", ref.value("fieldPath")))
    for kind in ("configMapKeyRef", "secretKeyRef"):
        if (ref := source.sub(kind)) is not None:
            return EnvVar(name, value_from=ValueFrom(kind, ref.value("name"), ref.value("key"),
                                                     bool(ref.value("optional", False))))
    raise Unsupported(f"{source.path}: no source given")


def _env_from(fields: Fields) -> EnvFrom:
    prefix = fields.value("prefix", "")
    for kind, key in (("configMap", "configMapRef"), ("secret", "secretRef")):
        if (ref := fields.sub(key)) is not None:
            return EnvFrom(kind, ref.value("name"), prefix, bool(ref.value("optional", False)))
    raise Unsupported(f"{fields.path}: neither configMapRef nor secretRef")


def read(fields: Fields) -> Container:
    context = fields.sub("securityContext")
    drop_all, escalation, read_only = False, None, False
    user = group = non_root = None
    if context is not None:
        capabilities = context.sub("capabilities")
        if capabilities is not None:
            capabilities.refuse("add", "adding capabilities is not implemented")
            drop = capabilities.value("drop", [])
            if drop not in ([], ["ALL"]):
                raise Unsupported(f"{capabilities.path}.drop: {drop}: only [ALL] is implemented")
            drop_all = drop == ["ALL"]
        escalation = context.value("allowPrivilegeEscalation")
        read_only = bool(context.value("readOnlyRootFilesystem", False))
        user, group = context.value("runAsUser"), context.value("runAsGroup")
        non_root = context.value("runAsNonRoot")
        context.refuse("privileged", "privileged containers are not implemented")
        context.not_emulated("seccompProfile", why=NO_SECCOMP)
        context.refuse("procMount", "not implemented")
    for other in ("lifecycle", "stdin", "tty", "restartPolicy", "resizePolicy"):
        fields.refuse(other, "not implemented by the pod runner")
    fields.not_emulated("resources", why=NO_CGROUPS)
    fields.not_emulated("imagePullPolicy", why=NO_PULL)
    fields.not_emulated("terminationMessagePath", "terminationMessagePolicy", why=TERMINATION_LOG)
    ports = []
    for port in fields.items("ports"):
        port.one_of("protocol", ("TCP",), "TCP")
        port.refuse("hostPort", "host ports are not implemented")
        ports.append((port.value("name", ""), port.value("containerPort")))
    mounts = []
    for mount in fields.items("volumeMounts"):
        for other in ("subPath", "subPathExpr", "mountPropagation", "recursiveReadOnly"):
            mount.refuse(other, "not implemented by the pod runner")
        mounts.append(VolumeMount(mount.value("name"), mount.value("mountPath"),
                                  bool(mount.value("readOnly", False))))
    command, args = fields.value("command"), fields.value("args")
    return Container(
        name=fields.value("name"), image=fields.value("image"),
        command=None if command is None else tuple(command),
        args=None if args is None else tuple(args),
        working_dir=fields.value("workingDir"),
        env=tuple(_env(env) for env in fields.items("env")),
        env_from=tuple(_env_from(env) for env in fields.items("envFrom")),
        ports=tuple(ports), mounts=tuple(mounts),
        readiness=_probe(fields.sub("readinessProbe")),
        liveness=_probe(fields.sub("livenessProbe")),
        startup=_probe(fields.sub("startupProbe")),
        run_as_user=user, run_as_group=group, run_as_non_root=non_root,
        read_only_root=read_only, no_new_privileges=escalation is False,
        drop_all_capabilities=drop_all)
