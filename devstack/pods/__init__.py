"""A kubelet for tests: run a namespace's workloads as local processes, exactly as their
manifests say, against the local apiserver (`runner.PodRunner`).

- `spec`, `controllers`: read stored Pods and workloads strictly (`strict`), pure;
- `env`, `volumes`, `probes`: the kubelet's rules for environment, volume files and
  probes (docs/kubelet.md), pure where they can be;
- `sandbox`, `network`, `linux`: the container: namespaces, root filesystem, veth pairs and
  relays, the system calls behind them;
- `kubelet`, `runner`: one pod from spec to running process; the controllers' loop.

Needs root (namespaces, mounts, network interfaces) and `ip` (iproute2).
"""
