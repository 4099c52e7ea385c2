//go:build externaldns_v0_14

package main

import (
	"fmt"
	"io"
)

// serveRoute53 is for v0.23.0's AWS provider (aws-sdk-go-v2, reached through
// AWS_ENDPOINT_URL_ROUTE_53); v0.14's aws-sdk-go v1 provider is not driven here.
func serveRoute53(_ io.Reader, _ io.Writer) error {
	return fmt.Errorf("the route53 subcommand drives ExternalDNS v0.23.0's AWS provider only")
}
