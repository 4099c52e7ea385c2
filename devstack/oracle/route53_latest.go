//go:build !externaldns_v0_14

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"

	"sigs.k8s.io/external-dns/endpoint"
	"sigs.k8s.io/external-dns/plan"
	"sigs.k8s.io/external-dns/provider/aws"
)

// Route53Request is one sync of ExternalDNS's own AWS provider against a Route53 whose
// answers are given: the zones and record sets as Route53's REST API lists them (XML bodies),
// what the sources want, and the settings as flags.
type Route53Request struct {
	// HostedZones is the ListHostedZones response body.
	HostedZones string `json:"hosted_zones"`
	// RecordSets maps a bare zone id to its ListResourceRecordSets response body.
	RecordSets map[string]string `json:"record_sets"`
	Desired    []Record          `json:"desired"`
	Registry   RegistrySettings  `json:"registry"`
	Policy     string            `json:"policy"`
	// Flags are further external-dns flags, e.g. --aws-zone-type=private.
	Flags []string `json:"flags,omitempty"`
}

// Batch is one ChangeResourceRecordSets call as the provider sent it.
type Batch struct {
	ZoneID string `json:"zone_id"`
	Body   string `json:"body"`
}

// Route53Answer holds the zone as the registry read it through the provider (Records), and
// every change batch the provider sent, body as on the wire.
type Route53Answer struct {
	Current []Record `json:"current"`
	Batches []Batch  `json:"batches"`
	Error   string   `json:"error,omitempty"`
}

func serveRoute53(in io.Reader, out io.Writer) error {
	return serveLines(in, out, func(request Route53Request) (answer Route53Answer) {
		defer func() {
			if r := recover(); r != nil {
				answer = Route53Answer{Error: fmt.Sprintf("panic: %v", r)}
			}
		}()
		answer, err := syncRoute53(request)
		if err != nil {
			answer.Error = err.Error()
		}
		return answer
	})
}

// fakeRoute53 answers the REST calls the provider makes from the request's bodies and keeps
// every change batch; it changes nothing, so one request is one sync.
type fakeRoute53 struct {
	request Route53Request
	mu      sync.Mutex
	batches []Batch
}

func (f *fakeRoute53) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/2013-04-01/")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	w.Header().Set("Content-Type", "text/xml")
	switch {
	case r.Method == http.MethodGet && path == "hostedzone":
		io.WriteString(w, f.request.HostedZones)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[2] == "rrset":
		io.WriteString(w, f.request.RecordSets[parts[1]])
	case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "rrset":
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.batches = append(f.batches, Batch{ZoneID: parts[1], Body: string(body)})
		f.mu.Unlock()
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+
			`<ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">`+
			`<ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status>`+
			`<SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt></ChangeInfo>`+
			`</ChangeResourceRecordSetsResponse>`)
	default:
		http.Error(w, "oracle: no such call "+r.Method+" "+r.URL.Path, http.StatusNotImplemented)
	}
}

// syncRoute53 is ExternalDNS's controller RunOnce with its real AWS provider (built by
// aws.New, as `external-dns --provider=aws` builds it), the source replaced by the request
// and Route53 by fakeRoute53 (the SDK reaches it through AWS_ENDPOINT_URL_ROUTE_53).
func syncRoute53(request Route53Request) (Route53Answer, error) {
	ctx := context.Background()
	fake := &fakeRoute53{request: request}
	server := httptest.NewServer(fake)
	defer server.Close()
	for key, value := range map[string]string{
		"AWS_ENDPOINT_URL_ROUTE_53": server.URL, "AWS_ACCESS_KEY_ID": "oracle",
		"AWS_SECRET_ACCESS_KEY": "oracle", "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(key, value)
	}
	cfg, err := config(Request{Registry: request.Registry, Policy: request.Policy},
		request.Flags...)
	if err != nil {
		return Route53Answer{}, err
	}
	domains := endpoint.NewDomainFilterWithExclusions(cfg.DomainFilter, cfg.DomainExclude)
	prov, err := aws.New(ctx, cfg, domains)
	if err != nil {
		return Route53Answer{}, fmt.Errorf("aws provider: %w", err)
	}
	reg, err := newRegistry(prov, cfg)
	if err != nil {
		return Route53Answer{}, fmt.Errorf("registry: %w", err)
	}
	current, err := reg.Records(ctx)
	if err != nil {
		return Route53Answer{}, fmt.Errorf("records: %w", err)
	}
	answer := Route53Answer{Current: fromEndpoints(current)}
	desired := make([]*endpoint.Endpoint, 0, len(request.Desired))
	for _, record := range request.Desired {
		if ep := toEndpoint(record); ep != nil {
			if record.Resource != "" {
				ep.Labels[endpoint.ResourceLabelKey] = record.Resource
			}
			desired = append(desired, ep)
		}
	}
	if desired, err = reg.AdjustEndpoints(desired); err != nil {
		return answer, fmt.Errorf("adjust endpoints: %w", err)
	}
	calculated := (&plan.Plan{
		Policies:       []plan.Policy{plan.Policies[cfg.Policy]},
		Current:        current,
		Desired:        desired,
		ManagedRecords: cfg.ManagedDNSRecordTypes,
		ExcludeRecords: cfg.ExcludeDNSRecordTypes,
		OwnerID:        reg.OwnerID(),
	}).Calculate()
	if calculated.Changes.HasChanges() {
		err = reg.ApplyChanges(ctx, calculated.Changes)
	}
	fake.mu.Lock()
	answer.Batches = fake.batches
	fake.mu.Unlock()
	if err != nil {
		return answer, fmt.Errorf("apply: %w", err)
	}
	return answer, nil
}
