"""Benchmarks of dnsgate against the real local stack, side by side with ExternalDNS.

`python -m bench` (or `make bench`) starts etcd, kube-apiserver and moto's Route53 server
(`devstack.stack.Stack`), puts the counting proxy (`devstack.r53proxy`) in
front of Route53, runs each scenario against dnsgate and every ExternalDNS release that
`bench/setup.sh` built, and prints one table per scenario. Nothing here is a timed test:
`tests/bench/` runs the smoke scale only to keep the scripts working.
"""
