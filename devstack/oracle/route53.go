package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"sigs.k8s.io/external-dns/endpoint"
	"sigs.k8s.io/external-dns/plan"
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

// recorder keeps every change batch the provider sends.
type recorder struct {
	mu      sync.Mutex
	batches []Batch
}

func (r *recorder) add(batch Batch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, batch)
}

func (r *recorder) sent() []Batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Batch{}, r.batches...)
}

// syncRoute53 is ExternalDNS's controller RunOnce with the release's own AWS provider
// (awsProvider, route53_*.go), the source replaced by the request and Route53 by a fake
// answering from the request's listings.
func syncRoute53(request Route53Request) (Route53Answer, error) {
	ctx := context.Background()
	cfg, err := config(Request{Registry: request.Registry, Policy: request.Policy},
		request.Flags...)
	if err != nil {
		return Route53Answer{}, err
	}
	sent := &recorder{}
	prov, done, err := awsProvider(request, cfg, sent)
	if err != nil {
		return Route53Answer{}, fmt.Errorf("aws provider: %w", err)
	}
	defer done()
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
	answer.Batches = sent.sent()
	if err != nil {
		return answer, fmt.Errorf("apply: %w", err)
	}
	return answer, nil
}
