//go:build !externaldns_v0_14

package main

import (
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/provider"
	"sigs.k8s.io/external-dns/registry/txt"
)

// newRegistry builds the TXT registry as the release's registry factory does: txt.New.
func newRegistry(p provider.Provider, cfg *externaldns.Config) (txtRegistry, error) {
	return txt.New(cfg, p)
}
