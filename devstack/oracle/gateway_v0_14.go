//go:build externaldns_v0_14

package main

// The route kinds v0.14 reads (gateway-api v1.1.0): HTTPRoute in
// gateway.networking.k8s.io/v1; GRPCRoute, TLSRoute, TCPRoute and UDPRoute in v1alpha2.
// The release has no --gateway-name flag: a request setting it is refused.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
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
		rt, err := decodeRoute(raw, &v1alpha2.GRPCRoute{})
		if err == nil {
			_, err = client.GatewayV1alpha2().GRPCRoutes(rt.Namespace).Create(ctx, rt, opts)
		}
		return createError(kind, rt, err)
	case "TLSRoute":
		rt, err := decodeRoute(raw, &v1alpha2.TLSRoute{})
		if err == nil {
			_, err = client.GatewayV1alpha2().TLSRoutes(rt.Namespace).Create(ctx, rt, opts)
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

// newRouteSource builds the kind's source as v0.14's source factory does, with every other
// flag at its default (no annotation filter, no template). v0.14 starts the informers with
// wait.NeverStop: each request leaves its informers running until the oracle exits.
func newRouteSource(_ context.Context, clients source.ClientGenerator, kind string, s GatewaySettings) (source.Source, error) {
	if s.GatewayName != "" {
		return nil, errors.New("ExternalDNS v0.14.2 has no --gateway-name flag")
	}
	labelFilter, err := labels.Parse(s.LabelFilter)
	if err != nil {
		return nil, err
	}
	config := &source.Config{
		Namespace:                s.Namespace,
		LabelFilter:              labelFilter,
		GatewayNamespace:         s.GatewayNamespace,
		GatewayLabelFilter:       s.GatewayLabelFilter,
		IgnoreHostnameAnnotation: s.IgnoreHostnameAnnotation,
	}
	switch kind {
	case "HTTPRoute":
		return source.NewGatewayHTTPRouteSource(clients, config)
	case "GRPCRoute":
		return source.NewGatewayGRPCRouteSource(clients, config)
	case "TLSRoute":
		return source.NewGatewayTLSRouteSource(clients, config)
	case "TCPRoute":
		return source.NewGatewayTCPRouteSource(clients, config)
	case "UDPRoute":
		return source.NewGatewayUDPRouteSource(clients, config)
	}
	return nil, fmt.Errorf("unknown route kind %q", kind)
}
