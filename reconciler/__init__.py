"""dnsgate's reconciler: keeps Route53 equal to what annotated LoadBalancer Services ask for.

The pipeline, one module per stage (ExternalDNS's shape), run once by `controller.sync`:
`source` (desired record sets from the Services that `dnsgate.watch` keeps) -> `registry`
(TXT ownership read from the zone) -> `plan` (pure diff under a policy) -> `registry.changes`
(their TXTs) -> `route53` (batched, bisected, rate-limited apply) -> `report` (per-Service
outcomes; `status` writes them onto the Services).
The loop around it: `zones` caches the zones and record sets between resyncs, `retry` holds
the names Route53 refused until their backoff is over, `agenda` says when the loop works next
and on what, `leader` decides which replica writes.
`endpoint` holds the value types, `settings` the flags, `errors` the exception tree,
`table` the --dry-run output, `cli` the command.
"""
