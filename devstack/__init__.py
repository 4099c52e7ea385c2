"""The local development stack: what the tests, the demo and the benchmarks run on.

Not part of the shipped package. It builds etcd and kube-apiserver from the Go module proxy
(`build`), starts them on loopback with a Route53 server (`stack`), sets LoadBalancer IPs as
MetalLB does (`metallb`), counts and perturbs Route53 calls (`r53proxy`), tells the seed
user's story (`demo`), and asks ExternalDNS's own registry and plan for their answer
(`oracle`). `image` builds what the Dockerfile would, and `pods` runs the manifests'
workloads from it as a kubelet would. `python -m devstack --state-dir DIR` runs the stack
for a person.
"""
