//go:build !externaldns_v0_14

package main

import (
	"context"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/source"
)

// newIngressSource builds the Ingress source as the release's source factory does: from
// the Config its flags parse into.
func newIngressSource(ctx context.Context, client kubernetes.Interface, s IngressSettings) (source.Source, error) {
	args := []string{"--source=ingress", "--provider=aws"}
	for _, class := range s.Classes {
		args = append(args, "--ingress-class="+class)
	}
	if s.IgnoreTLSSpec {
		args = append(args, "--ignore-ingress-tls-spec")
	}
	if s.IgnoreRulesSpec {
		args = append(args, "--ignore-ingress-rules-spec")
	}
	cfg := externaldns.NewConfig()
	if err := cfg.ParseFlags(args); err != nil {
		return nil, err
	}
	sourceConfig, err := source.NewSourceConfig(cfg)
	if err != nil {
		return nil, err
	}
	return source.NewIngressSource(ctx, client, sourceConfig)
}
