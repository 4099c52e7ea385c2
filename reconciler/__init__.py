"""dnsgate's reconciler: keeps Route53 equal to what annotated LoadBalancer Services ask for.

The pipeline, one module per stage (ExternalDNS's shape):
`watch` (Services by list + watch) -> `source` (desired record sets) -> `registry` (TXT
ownership read from the zone) -> `plan` (pure diff under a policy) -> `registry.changes`
(their TXTs) -> `route53` (batched, bisected, rate-limited apply), driven by `controller`.
`endpoint` holds the value types, `settings` the flags, `errors` the exception tree,
`report` the per-Service outcome seams, `table` the --dry-run output, `cli` the command.
"""
