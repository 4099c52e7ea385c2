//go:build !externaldns_v0_14

package main

// The route kinds v0.23 reads (gateway-api v1.6.2): HTTPRoute, GRPCRoute and TLSRoute in
// gateway.networking.k8s.io/v1, TCPRoute and UDPRoute in v1alpha2.

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/source"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/apis/v1alpha2"
	gateway "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
)

func createRoute(ctx context.Context, client gateway.Interface, kind string, raw json.RawMessage) error {
	opts := metav1.CreateOptions{}
	switch kind {
	case "HTTPRoute":
		rt, err := decodeRoute(raw, &gatewayv1.HTTPRoute{})
		if err == nil {
			_, err = client.GatewayV1().HTTPRoutes(rt.Namespace).Create(ctx, rt, opts)
		}
		return createError(kind, rt, err)
	case "GRPCRoute":
		rt, err := decodeRoute(raw, &gatewayv1.GRPCRoute{})
		if err == nil {
			_, err = client.GatewayV1().GRPCRoutes(rt.Namespace).Create(ctx, rt, opts)
		}
		return createError(kind, rt, err)
	case "TLSRoute":
		rt, err := decodeRoute(raw, &gatewayv1.TLSRoute{})
		if err == nil {
			_, err = client.GatewayV1().TLSRoutes(rt.Namespace).Create(ctx, rt, opts)
		}
		return createError(kind, rt, err)
	case "TCPRoute":
		rt, err := decodeRoute(raw, &v1alpha2.TCPRoute{})
		if err == nil {
			_, err = client.GatewayV1alpha2().TCPRoutes(rt.Namespace).Create(ctx, rt, opts)
		}
		return createError(kind, rt, err)
	case "UDPRoute":
		rt, err := decodeRoute(raw, &v1alpha2.UDPRoute{})
		if err == nil {
			_, err = client.GatewayV1alpha2().UDPRoutes(rt.Namespace).Create(ctx, rt, opts)
		}
		return createError(kind, rt, err)
	}
	return fmt.Errorf("unknown route kind %q: use HTTPRoute, GRPCRoute, TLSRoute, TCPRoute or UDPRoute", kind)
}

// newRouteSource builds the kind's source as the release's source factory does: from the
// Config its flags parse into, every other flag at its default.
func newRouteSource(ctx context.Context, clients source.ClientGenerator, kind string, s GatewaySettings) (source.Source, error) {
	args := []string{
		"--source=gateway-" + kindLabel(kind), "--provider=aws",
		"--gateway-name=" + s.GatewayName, "--gateway-namespace=" + s.GatewayNamespace,
		"--gateway-label-filter=" + s.GatewayLabelFilter,
		"--namespace=" + s.Namespace, "--label-filter=" + s.LabelFilter,
	}
	if s.IgnoreHostnameAnnotation {
		args = append(args, "--ignore-hostname-annotation")
	}
	cfg := externaldns.NewConfig()
	if err := cfg.ParseFlags(args); err != nil {
		return nil, err
	}
	sourceConfig, err := source.NewSourceConfig(cfg)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "HTTPRoute":
		return source.NewGatewayHTTPRouteSource(ctx, clients, sourceConfig)
	case "GRPCRoute":
		return source.NewGatewayGRPCRouteSource(ctx, clients, sourceConfig)
	case "TLSRoute":
		return source.NewGatewayTLSRouteSource(ctx, clients, sourceConfig)
	case "TCPRoute":
		return source.NewGatewayTCPRouteSource(ctx, clients, sourceConfig)
	case "UDPRoute":
		return source.NewGatewayUDPRouteSource(ctx, clients, sourceConfig)
	}
	return nil, fmt.Errorf("unknown route kind %q", kind)
}
