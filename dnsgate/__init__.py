"""dnsgate: stable Route53 names for Kubernetes Services, guarded by an admission webhook.

Shared code lives here: the annotation rules that webhook and reconciler both apply
(`dnsgate.annotations`), domain filters, flag helpers, the command line, and the local
development stack (`devstack`) that the tests, the demo and the benchmarks run on.
"""

__version__ = "0.1.0"
