//go:build !externaldns_v0_14

package main

import (
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/plan"
	"sigs.k8s.io/external-dns/provider"
	"sigs.k8s.io/external-dns/registry/txt"
)

// newRegistry builds the TXT registry as the release's registry factory does: txt.New.
func newRegistry(p provider.Provider, cfg *externaldns.Config) (txtRegistry, error) {
	return txt.New(cfg, p)
}

// withOldOwner sets the plan's OldOwnerID from --migrate-from-txt-owner, as the release's
// controller does (controller.go builds its Plan with OldOwnerID: cfg.TXTOwnerOld).
func withOldOwner(p *plan.Plan, cfg *externaldns.Config) *plan.Plan {
	p.OldOwnerID = cfg.TXTOwnerOld
	return p
}
