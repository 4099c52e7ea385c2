package main

// oracle ingress: ExternalDNS's own Ingress source run over Ingresses given as JSON, through
// a fake clientset (client-go's in-memory fake), so dnsgate's tests can compare the
// endpoints it would publish (names, targets, TTL, set identifier, provider-specific
// properties, resource label) with ExternalDNS's, release by release.

import (
	"context"
	"fmt"
	"io"

	networkv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// IngressSettings are the Ingress source's flags.
type IngressSettings struct {
	Classes         []string `json:"classes,omitempty"`
	IgnoreTLSSpec   bool     `json:"ignore_tls_spec,omitempty"`
	IgnoreRulesSpec bool     `json:"ignore_rules_spec,omitempty"`
}

// IngressRequest is one question: the cluster's Ingresses and the source's flags.
type IngressRequest struct {
	Ingresses []networkv1.Ingress `json:"ingresses"`
	Settings  IngressSettings     `json:"settings"`
}

// IngressAnswer is what the source's Endpoints returned, labels included.
type IngressAnswer struct {
	Endpoints []Record `json:"endpoints"`
	Error     string   `json:"error,omitempty"`
}

func serveIngresses(in io.Reader, out io.Writer) error {
	return serveLines(in, out, ingressEndpoints)
}

func ingressEndpoints(request IngressRequest) (answer IngressAnswer) {
	defer func() {
		if r := recover(); r != nil {
			answer = IngressAnswer{Error: fmt.Sprintf("panic: %v", r)}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops the source's informers
	client := fake.NewSimpleClientset()
	for i := range request.Ingresses {
		ingress := &request.Ingresses[i]
		_, err := client.NetworkingV1().Ingresses(ingress.Namespace).Create(ctx, ingress, metav1.CreateOptions{})
		if err != nil {
			return IngressAnswer{Error: fmt.Sprintf("creating ingress %s/%s: %v", ingress.Namespace, ingress.Name, err)}
		}
	}
	source, err := newIngressSource(ctx, client, request.Settings)
	if err != nil {
		return IngressAnswer{Error: fmt.Sprintf("ingress source: %v", err)}
	}
	endpoints, err := source.Endpoints(ctx)
	if err != nil {
		return IngressAnswer{Error: fmt.Sprintf("endpoints: %v", err)}
	}
	return IngressAnswer{Endpoints: fromEndpoints(endpoints)}
}
