"""A real Kubernetes node on this machine: kube-apiserver, kube-controller-manager,
kube-scheduler, containerd and the kubelet, inside a network namespace of their own
(docs/kubelet.md, "The test node"). `devstack.node.cluster.Node` starts it and removes
everything it made when it stops.
"""
