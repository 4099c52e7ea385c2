package main

import (
	"context"

	"sigs.k8s.io/external-dns/endpoint"
	"sigs.k8s.io/external-dns/plan"
	"sigs.k8s.io/external-dns/provider"
)

// memoryProvider is a provider whose zone is the request's: Records returns fresh endpoints
// for it (the registry writes labels into them), ApplyChanges keeps what it is handed.
// BaseProvider supplies AdjustEndpoints (unchanged) and GetDomainFilter (match all) with
// whatever signature the release declares.
type memoryProvider struct {
	provider.BaseProvider
	zone    []Record
	applied *plan.Changes
}

func (m *memoryProvider) Records(_ context.Context) ([]*endpoint.Endpoint, error) {
	endpoints := make([]*endpoint.Endpoint, 0, len(m.zone))
	for _, record := range m.zone {
		if ep := toEndpoint(record); ep != nil {
			endpoints = append(endpoints, ep)
		}
	}
	return endpoints, nil
}

func (m *memoryProvider) ApplyChanges(_ context.Context, changes *plan.Changes) error {
	m.applied = changes
	return nil
}
