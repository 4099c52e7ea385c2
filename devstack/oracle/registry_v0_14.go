//go:build externaldns_v0_14

package main

import (
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/plan"
	"sigs.k8s.io/external-dns/provider"
	"sigs.k8s.io/external-dns/registry"
)

// newRegistry builds the TXT registry as v0.14's main.go does: the registry package's
// NewTXTRegistry, the key passed as the flag's raw bytes (v0.14 takes no base64 form).
func newRegistry(p provider.Provider, cfg *externaldns.Config) (txtRegistry, error) {
	return registry.NewTXTRegistry(p, cfg.TXTPrefix, cfg.TXTSuffix, cfg.TXTOwnerID,
		cfg.TXTCacheInterval, cfg.TXTWildcardReplacement, cfg.ManagedDNSRecordTypes,
		cfg.ExcludeDNSRecordTypes, cfg.TXTEncryptEnabled, []byte(cfg.TXTEncryptAESKey))
}

// withOldOwner: v0.14 has no owner migration (its Plan has no OldOwnerID, and it refuses
// the --migrate-from-txt-owner flag before this is reached).
func withOldOwner(p *plan.Plan, _ *externaldns.Config) *plan.Plan {
	return p
}
