"""A Pod's spec, as the apiserver stored it, read into what the pod runner acts on.

Every field is either acted on, or read with the reason it is not emulated here (scheduling,
image pulls, cgroup limits, seccomp); anything else raises `strict.Unsupported` naming its
path. The result is plain frozen values: no I/O, so it is checked by unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devstack.pods.strict import Fields, Unsupported

SCHEDULING = "scheduling: the runner is the only node"
NO_PULL = "no registry: images are mapped to locally built ones"
NO_CGROUPS = "resources are not enforced (no cgroup limits here)"
NO_SECCOMP = "seccomp profiles are not applied"
TERMINATION_LOG = "termination messages are not collected"
NO_DNS = "no cluster DNS: pods reach the API through KUBERNETES_SERVICE_HOST"


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


@dataclass(frozen=True)
class KeyToPath:
    key: str
    path: str
    mode: int | None = None


@dataclass(frozen=True)
class Source:
    """A volume's content: a Secret, a ConfigMap, downward API fields or a token."""

    kind: str  # secret, configMap, downwardAPI, serviceAccountToken
    name: str = ""
    items: tuple[KeyToPath, ...] = ()  # for downwardAPI: key is the field path
    optional: bool = False
    audience: str = ""
    expiration_seconds: int = 3600


@dataclass(frozen=True)
class Volume:
    name: str
    kind: str  # emptyDir, or files (secret, configMap, projected)
    sources: tuple[Source, ...] = ()
    default_mode: int = 0o644
    memory: bool = False
    size_limit: str | None = None


@dataclass(frozen=True)
class PodSpec:
    container: Container
    volumes: tuple[Volume, ...]
    service_account: str
    restart_policy: str
    grace_seconds: int
    enable_service_links: bool
    run_as_user: int | None
    run_as_group: int | None
    run_as_non_root: bool | None

    def volume(self, name: str) -> Volume:
        for volume in self.volumes:
            if volume.name == name:
                return volume
        raise Unsupported(f"volumeMount of {name!r}: no such volume")


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


def _container(fields: Fields) -> Container:
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
    for other in ("lifecycle", "startupProbe", "stdin", "tty", "restartPolicy", "resizePolicy"):
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
        run_as_user=user, run_as_group=group, run_as_non_root=non_root,
        read_only_root=read_only, no_new_privileges=escalation is False,
        drop_all_capabilities=drop_all)


def _items(fields: Fields) -> tuple[KeyToPath, ...]:
    return tuple(KeyToPath(item.value("key"), item.value("path"), item.value("mode"))
                 for item in fields.items("items"))


def _source(fields: Fields, kind: str) -> Source:
    if kind == "serviceAccountToken":
        return Source(kind, audience=fields.value("audience", ""), items=(
            KeyToPath("token", fields.value("path")),),
            expiration_seconds=fields.value("expirationSeconds", 3600))
    if kind == "downwardAPI":
        items = []
        for item in fields.items("items"):
            item.refuse("resourceFieldRef", "resource limits are not enforced here")
            ref = item.sub("fieldRef")
            if ref is None:
                raise Unsupported(f"{item.path}: only fieldRef items are implemented")
            ref.one_of("apiVersion", ("v1",), "v1")
            items.append(KeyToPath(ref.value("fieldPath"), item.value("path"), item.value("mode")))
        return Source(kind, items=tuple(items))
    name = fields.value("secretName" if kind == "secret" else "name")
    return Source(kind, name, _items(fields), bool(fields.value("optional", False)))


def _volume(fields: Fields) -> Volume:
    name = fields.value("name")
    if (empty := fields.sub("emptyDir")) is not None:
        memory = empty.one_of("medium", ("", "Memory"), "") == "Memory"
        return Volume(name, "emptyDir", memory=memory, size_limit=empty.value("sizeLimit"))
    for kind in ("secret", "configMap"):
        if (files := fields.sub(kind)) is not None:
            return Volume(name, "files", (_source(files, kind),),
                          default_mode=files.value("defaultMode", 0o644))
    if (projected := fields.sub("projected")) is not None:
        sources = []
        for source in projected.items("sources"):
            kinds = [k for k in ("secret", "configMap", "downwardAPI", "serviceAccountToken")
                     if k in source.data]
            if len(kinds) != 1 or len(source.data) != 1:
                raise Unsupported(f"{source.path}: {sorted(source.data)}: implemented sources "
                                  f"are secret, configMap, downwardAPI, serviceAccountToken")
            inner = source.sub(kinds[0])
            assert inner is not None
            sources.append(_source(inner, kinds[0]))
        return Volume(name, "files", tuple(sources),
                      default_mode=projected.value("defaultMode", 0o644))
    raise Unsupported(f"{fields.path}: volume {name!r}: implemented volume types are emptyDir, "
                      f"secret, configMap and projected; got {sorted(set(fields.data) - {'name'})}")


def read(pod: dict[str, Any]) -> PodSpec:
    """The spec of a stored Pod (`pod` as the apiserver returns it, JSON-decoded)."""
    where = f"Pod {pod['metadata'].get('namespace')}/{pod['metadata'].get('name')}: spec"
    fields = Fields(pod["spec"], where)
    for other in ("initContainers", "ephemeralContainers", "hostNetwork", "hostPID", "hostIPC",
                  "shareProcessNamespace", "hostAliases", "hostUsers", "runtimeClassName",
                  "overhead", "os", "readinessGates", "resourceClaims", "setHostnameAsFQDN",
                  "hostname", "subdomain", "dnsConfig", "activeDeadlineSeconds", "resources"):
        fields.refuse(other, "not implemented by the pod runner")
    fields.not_emulated("nodeSelector", "affinity", "tolerations", "topologySpreadConstraints",
                        "schedulerName", "priority", "priorityClassName", "preemptionPolicy",
                        "nodeName", why=SCHEDULING)
    fields.not_emulated("dnsPolicy", why=NO_DNS)
    fields.not_emulated("imagePullSecrets", why=NO_PULL)
    # The apiserver's ServiceAccount admission acts on these: it adds (or not) the token volume.
    fields.not_emulated("automountServiceAccountToken", "serviceAccount",
                        why="acted on by the apiserver's ServiceAccount admission")
    context = fields.sub("securityContext")
    user = group = non_root = None
    if context is not None:
        user, group = context.value("runAsUser"), context.value("runAsGroup")
        non_root = context.value("runAsNonRoot")
        context.not_emulated("seccompProfile", why=NO_SECCOMP)
        for other in ("fsGroup", "supplementalGroups", "sysctls", "seLinuxOptions",
                      "fsGroupChangePolicy", "appArmorProfile", "supplementalGroupsPolicy"):
            context.refuse(other, "not implemented by the pod runner")
    containers = fields.items("containers")
    if len(containers) != 1:
        raise Unsupported(f"{where}.containers: the runner runs pods of one container")
    spec = PodSpec(
        container=_container(containers[0]),
        volumes=tuple(_volume(volume) for volume in fields.items("volumes")),
        service_account=fields.value("serviceAccountName", "default"),
        restart_policy=fields.one_of("restartPolicy", ("Always", "OnFailure", "Never"), "Always"),
        grace_seconds=fields.value("terminationGracePeriodSeconds", 30),
        enable_service_links=fields.value("enableServiceLinks", True),
        run_as_user=user, run_as_group=group, run_as_non_root=non_root)
    for mount in spec.container.mounts:
        spec.volume(mount.volume)
    fields.finish()
    return spec
