"""A Pod's spec, as the apiserver stored it, read into what the pod runner acts on: its
one container (`devstack.pods.container`), its volumes, its ServiceAccount and pod-level
security context.

Every field is either acted on, or read with the reason it is not emulated here (scheduling,
image pulls, cgroup limits, seccomp); anything else raises `strict.Unsupported` naming its
path. The result is plain frozen values: no I/O, so it is checked by unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devstack.pods import container as containers
from devstack.pods.container import NO_PULL, NO_SECCOMP, Container
from devstack.pods.strict import Fields, Unsupported

SCHEDULING = "scheduling: the runner is the only node"
NO_DNS = "no cluster DNS: pods reach the API through KUBERNETES_SERVICE_HOST"


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
    container_fields = fields.items("containers")
    if len(container_fields) != 1:
        raise Unsupported(f"{where}.containers: the runner runs pods of one container")
    spec = PodSpec(
        container=containers.read(container_fields[0]),
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
