package main

// oracle gateway: ExternalDNS's own Gateway API route sources (gateway-httproute,
// gateway-grpcroute, gateway-tlsroute, gateway-tcproute, gateway-udproute) run over
// Gateways, routes and Namespaces given as JSON, through fake clientsets (gateway-api's and
// client-go's in-memory fakes), so dnsgate's tests can compare the endpoints it would
// publish with ExternalDNS's, release by release. Which route kinds and API versions a
// release reads, and how its source is built, is in gateway_*.go.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/external-dns/source"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gateway "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gatewayfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"
)

// GatewaySettings are the route sources' flags.
type GatewaySettings struct {
	GatewayName        string `json:"gateway_name,omitempty"`
	GatewayNamespace   string `json:"gateway_namespace,omitempty"`
	GatewayLabelFilter string `json:"gateway_label_filter,omitempty"`
	Namespace          string `json:"namespace,omitempty"`
	LabelFilter        string `json:"label_filter,omitempty"`
	// IgnoreHostnameAnnotation is --ignore-hostname-annotation.
	IgnoreHostnameAnnotation bool `json:"ignore_hostname_annotation,omitempty"`
}

// GatewayRequest is one question: one route kind's routes, the Gateways and Namespaces they
// resolve against, and the source's flags.
type GatewayRequest struct {
	Kind       string              `json:"kind"`
	Gateways   []gatewayv1.Gateway `json:"gateways"`
	Routes     []json.RawMessage   `json:"routes"`
	Namespaces []corev1.Namespace  `json:"namespaces"`
	Settings   GatewaySettings     `json:"settings"`
}

// GatewayAnswer is what the source's Endpoints returned, labels included.
type GatewayAnswer struct {
	Endpoints []Record `json:"endpoints"`
	Error     string   `json:"error,omitempty"`
}

// fakeClients hands the source the two fake clientsets. The embedded generator is nil: the
// route sources ask for nothing else, and a call to any other method would panic, which
// the answer reports.
type fakeClients struct {
	source.ClientGenerator
	kube    kubernetes.Interface
	gateway gateway.Interface
}

func (c fakeClients) KubeClient() (kubernetes.Interface, error) { return c.kube, nil }
func (c fakeClients) GatewayClient() (gateway.Interface, error) { return c.gateway, nil }

func serveGateways(in io.Reader, out io.Writer) error {
	return serveLines(in, out, gatewayEndpoints)
}

func gatewayEndpoints(request GatewayRequest) (answer GatewayAnswer) {
	defer func() {
		if r := recover(); r != nil {
			answer = GatewayAnswer{Error: fmt.Sprintf("panic: %v", r)}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops the source's informers where the release lets it (gateway_*.go)
	clients := fakeClients{kube: kubefake.NewSimpleClientset(), gateway: gatewayfake.NewSimpleClientset()}
	for i := range request.Namespaces {
		ns := &request.Namespaces[i]
		if _, err := clients.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			return GatewayAnswer{Error: fmt.Sprintf("creating namespace %s: %v", ns.Name, err)}
		}
	}
	for i := range request.Gateways {
		gw := &request.Gateways[i]
		if _, err := clients.gateway.GatewayV1().Gateways(gw.Namespace).Create(ctx, gw, metav1.CreateOptions{}); err != nil {
			return GatewayAnswer{Error: fmt.Sprintf("creating gateway %s/%s: %v", gw.Namespace, gw.Name, err)}
		}
	}
	for _, raw := range request.Routes {
		if err := createRoute(ctx, clients.gateway, request.Kind, raw); err != nil {
			return GatewayAnswer{Error: err.Error()}
		}
	}
	src, err := newRouteSource(ctx, clients, request.Kind, request.Settings)
	if err != nil {
		return GatewayAnswer{Error: fmt.Sprintf("%s source: %v", request.Kind, err)}
	}
	endpoints, err := src.Endpoints(ctx)
	if err != nil {
		return GatewayAnswer{Error: fmt.Sprintf("endpoints: %v", err)}
	}
	return GatewayAnswer{Endpoints: fromEndpoints(endpoints)}
}

// decodeRoute reads one route of the request into the release's type for its kind.
func decodeRoute[T metav1.Object](raw json.RawMessage, route T) (T, error) {
	if err := json.Unmarshal(raw, route); err != nil {
		return route, fmt.Errorf("decoding a route: %w", err)
	}
	return route, nil
}

func createError(kind string, route metav1.Object, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("creating %s %s/%s: %w", kind, route.GetNamespace(), route.GetName(), err)
}

// kindLabel is the kind as ExternalDNS writes it in source names and resource labels.
func kindLabel(kind string) string { return strings.ToLower(kind) }
