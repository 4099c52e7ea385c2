//go:build externaldns_v0_14

package main

import (
	"context"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/external-dns/source"
)

// newIngressSource builds the Ingress source as v0.14's source factory does, with every
// other flag at its default (all namespaces, no annotation filter, no template).
func newIngressSource(ctx context.Context, client kubernetes.Interface, s IngressSettings) (source.Source, error) {
	var classes []string
	if len(s.Classes) > 0 {
		classes = s.Classes
	}
	return source.NewIngressSource(ctx, client, "", "", "", false, false,
		s.IgnoreTLSSpec, s.IgnoreRulesSpec, labels.Everything(), classes)
}
