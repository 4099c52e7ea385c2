// Command oracle runs ExternalDNS's own TXT registry and plan on a zone given as JSON, so
// dnsgate's tests can compare their decisions with ExternalDNS's, release by release.
//
// It is built once per ExternalDNS release by devstack/oracle.py, against
// sigs.k8s.io/external-dns at that release (the build tag externaldns_v0_14 selects the
// v0.14 registry constructor; see registry_*.go). Subcommands:
//
//	oracle plan    reads JSON requests on stdin (one after another, e.g. one per line) and
//	               writes one JSON answer per line: the changes ExternalDNS's registry hands
//	               its provider (creates, updates old/new, deletes, ownership TXTs included)
//	oracle flags   writes the flags `external-dns --help` lists, one JSON object per line
//	oracle ingress reads JSON requests (Ingresses and the Ingress source's flags) and writes
//	               one JSON answer per line: the endpoints ExternalDNS's Ingress source makes
//	               of them (ingress.go)
//	oracle gateway reads JSON requests (Gateways, one kind's routes, Namespaces and the
//	               route sources' flags) and writes one JSON answer per line: the endpoints
//	               ExternalDNS's Gateway route source makes of them (gateway*.go)
//	oracle route53 reads JSON requests (Route53's listings as XML, desired records) and
//	               writes one JSON answer per line: the change batches ExternalDNS's own AWS
//	               provider sends, as on the wire (route53*.go)
//
// The provider is in memory (provider.go): Records returns the request's zone and
// ApplyChanges captures what it is given. Nothing here talks to a network.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"sigs.k8s.io/external-dns/endpoint"
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/plan"
)

// Record is one record set: a zone's, a desired one, or one in a change.
type Record struct {
	Name          string            `json:"name"`
	Type          string            `json:"type"`
	Targets       []string          `json:"targets"`
	TTL           int64             `json:"ttl,omitempty"`
	SetIdentifier string            `json:"set_identifier,omitempty"`
	Properties    map[string]string `json:"properties,omitempty"`
	// Resource is the desired record's owning object, e.g. "service/ns/name".
	Resource string `json:"resource,omitempty"`
	// Labels are the registry's labels (owner, resource, ...) on answers only.
	Labels map[string]string `json:"labels,omitempty"`
}

// RegistrySettings are the TXT registry's flags.
type RegistrySettings struct {
	OwnerID             string `json:"owner_id"`
	Prefix              string `json:"prefix,omitempty"`
	Suffix              string `json:"suffix,omitempty"`
	WildcardReplacement string `json:"wildcard_replacement,omitempty"`
	EncryptEnabled      bool   `json:"encrypt_enabled,omitempty"`
	// AESKey is passed as the --txt-encrypt-aes-key flag's string.
	AESKey string `json:"aes_key,omitempty"`
	// OldOwnerID is passed as --migrate-from-txt-owner (v0.20+; older releases refuse it).
	OldOwnerID string `json:"old_owner_id,omitempty"`
}

// Request is one question: a zone, what the sources want, and the settings.
type Request struct {
	Zone     []Record         `json:"zone"`
	Desired  []Record         `json:"desired"`
	Registry RegistrySettings `json:"registry"`
	Policy   string           `json:"policy"`
}

// Answer holds what the registry handed the provider, and the zone as the registry read it.
type Answer struct {
	Create    []Record `json:"create"`
	UpdateOld []Record `json:"update_old"`
	UpdateNew []Record `json:"update_new"`
	Delete    []Record `json:"delete"`
	// Current is the registry's Records(): the zone's records with ownership labels.
	Current []Record `json:"current"`
	Error   string   `json:"error,omitempty"`
}

// txtRegistry is what both releases' TXT registries offer that the oracle uses.
type txtRegistry interface {
	Records(ctx context.Context) ([]*endpoint.Endpoint, error)
	ApplyChanges(ctx context.Context, changes *plan.Changes) error
	AdjustEndpoints(endpoints []*endpoint.Endpoint) ([]*endpoint.Endpoint, error)
	OwnerID() string
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: oracle plan|flags|ingress|gateway|route53")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "plan":
		err = servePlans(os.Stdin, os.Stdout)
	case "flags":
		err = printFlags(os.Stdout)
	case "ingress":
		err = serveIngresses(os.Stdin, os.Stdout)
	case "gateway":
		err = serveGateways(os.Stdin, os.Stdout)
	case "route53":
		err = serveRoute53(os.Stdin, os.Stdout) // route53_*.go
	case helpTextCommand:
		printHelpText() // exits
	default:
		err = fmt.Errorf("unknown subcommand %q: use plan, flags, ingress, gateway or route53", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}
}

func servePlans(in io.Reader, out io.Writer) error {
	return serveLines(in, out, answerSafely)
}

// serveLines answers JSON requests, one per line, with one JSON line each, as they come:
// the caller may wait for an answer before writing more.
func serveLines[Req any, Ans any](in io.Reader, out io.Writer, answer func(Req) Ans) error {
	decoder := json.NewDecoder(bufio.NewReader(in))
	writer := bufio.NewWriter(out)
	for {
		var request Req
		if err := decoder.Decode(&request); errors.Is(err, io.EOF) {
			return writer.Flush()
		} else if err != nil {
			return fmt.Errorf("reading a request: %w", err)
		}
		line, err := json.Marshal(answer(request))
		if err != nil {
			return err
		}
		if _, err := writer.Write(append(line, '\n')); err != nil {
			return err
		}
		if err := writer.Flush(); err != nil {
			return err
		}
	}
}

func answerSafely(request Request) (answer Answer) {
	defer func() {
		if r := recover(); r != nil {
			answer = Answer{Error: fmt.Sprintf("panic: %v", r)}
		}
	}()
	answer, err := calculate(request)
	if err != nil {
		return Answer{Error: err.Error()}
	}
	return answer
}

// calculate is ExternalDNS's controller RunOnce, with the source replaced by the request.
func calculate(request Request) (Answer, error) {
	ctx := context.Background()
	cfg, err := config(request)
	if err != nil {
		return Answer{}, err
	}
	memory := &memoryProvider{zone: request.Zone}
	reg, err := newRegistry(memory, cfg)
	if err != nil {
		return Answer{}, fmt.Errorf("registry: %w", err)
	}
	policy, ok := plan.Policies[cfg.Policy]
	if !ok {
		return Answer{}, fmt.Errorf("unknown policy %q", cfg.Policy)
	}
	current, err := reg.Records(ctx)
	if err != nil {
		return Answer{}, fmt.Errorf("records: %w", err)
	}
	answer := Answer{Current: fromEndpoints(current)}
	desired := make([]*endpoint.Endpoint, 0, len(request.Desired))
	for _, record := range request.Desired {
		ep := toEndpoint(record)
		if ep == nil {
			continue // ExternalDNS drops a name with a label over 63 characters
		}
		if record.Resource != "" {
			ep.Labels[endpoint.ResourceLabelKey] = record.Resource
		}
		desired = append(desired, ep)
	}
	desired, err = reg.AdjustEndpoints(desired)
	if err != nil {
		return Answer{}, fmt.Errorf("adjust endpoints: %w", err)
	}
	calculated := withOldOwner(&plan.Plan{
		Policies:       []plan.Policy{policy},
		Current:        current,
		Desired:        desired,
		ManagedRecords: cfg.ManagedDNSRecordTypes,
		ExcludeRecords: cfg.ExcludeDNSRecordTypes,
		OwnerID:        reg.OwnerID(),
	}, cfg).Calculate()
	if calculated.Changes.HasChanges() {
		if err := reg.ApplyChanges(ctx, calculated.Changes); err != nil {
			return Answer{}, fmt.Errorf("apply: %w", err)
		}
	}
	if applied := memory.applied; applied != nil {
		answer.Create = fromEndpoints(applied.Create)
		answer.UpdateOld = fromEndpoints(applied.UpdateOld)
		answer.UpdateNew = fromEndpoints(applied.UpdateNew)
		answer.Delete = fromEndpoints(applied.Delete)
	}
	return answer, nil
}

// config is the Config `external-dns` would run with, given the request's settings as flags:
// parsed by the release's own flag definitions, so every other setting has its default.
func config(request Request, extra ...string) (*externaldns.Config, error) {
	s := request.Registry
	args := []string{
		"--source=service", "--provider=aws", "--registry=txt",
		"--txt-owner-id=" + s.OwnerID, "--txt-prefix=" + s.Prefix, "--txt-suffix=" + s.Suffix,
		"--txt-wildcard-replacement=" + s.WildcardReplacement,
		"--txt-encrypt-aes-key=" + s.AESKey, "--policy=" + request.Policy,
	}
	if s.EncryptEnabled {
		args = append(args, "--txt-encrypt-enabled")
	}
	if s.OldOwnerID != "" {
		args = append(args, "--migrate-from-txt-owner="+s.OldOwnerID)
	}
	args = append(args, extra...)
	cfg := externaldns.NewConfig()
	if err := cfg.ParseFlags(args); err != nil {
		return nil, fmt.Errorf("flags %v: %w", args, err)
	}
	return cfg, nil
}

func toEndpoint(record Record) *endpoint.Endpoint {
	ep := endpoint.NewEndpointWithTTL(record.Name, record.Type, endpoint.TTL(record.TTL), record.Targets...)
	if ep == nil {
		return nil
	}
	ep.SetIdentifier = record.SetIdentifier
	names := make([]string, 0, len(record.Properties))
	for name := range record.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ep.WithProviderSpecific(name, record.Properties[name])
	}
	return ep
}

func fromEndpoints(endpoints []*endpoint.Endpoint) []Record {
	records := make([]Record, 0, len(endpoints))
	for _, ep := range endpoints {
		record := Record{
			Name:          ep.DNSName,
			Type:          ep.RecordType,
			Targets:       append([]string{}, ep.Targets...),
			TTL:           int64(ep.RecordTTL),
			SetIdentifier: ep.SetIdentifier,
		}
		if len(ep.ProviderSpecific) > 0 {
			record.Properties = map[string]string{}
			for _, property := range ep.ProviderSpecific {
				record.Properties[property.Name] = property.Value
			}
		}
		if len(ep.Labels) > 0 {
			record.Labels = map[string]string{}
			for key, value := range ep.Labels {
				record.Labels[key] = value
			}
		}
		records = append(records, record)
	}
	sort.SliceStable(records, func(i, j int) bool {
		a, b := records[i], records[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.SetIdentifier < b.SetIdentifier
	})
	return records
}
