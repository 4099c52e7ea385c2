//go:build !externaldns_v0_14

package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"sigs.k8s.io/external-dns/endpoint"
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/provider"
	"sigs.k8s.io/external-dns/provider/aws"
)

// fakeRoute53 answers the REST calls the provider makes from the request's bodies and keeps
// every change batch; it changes nothing, so one request is one sync.
type fakeRoute53 struct {
	request Route53Request
	sent    *recorder
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
		f.sent.add(Batch{ZoneID: parts[1], Body: string(body)})
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+
			`<ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">`+
			`<ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status>`+
			`<SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt></ChangeInfo>`+
			`</ChangeResourceRecordSetsResponse>`)
	default:
		http.Error(w, "oracle: no such call "+r.Method+" "+r.URL.Path, http.StatusNotImplemented)
	}
}

// awsProvider is v0.23.0's AWS provider built by aws.New, as `external-dns --provider=aws`
// builds it, its SDK pointed at fakeRoute53 through AWS_ENDPOINT_URL_ROUTE_53.
func awsProvider(request Route53Request, cfg *externaldns.Config, sent *recorder) (
	provider.Provider, func(), error) {
	server := httptest.NewServer(&fakeRoute53{request: request, sent: sent})
	for key, value := range map[string]string{
		"AWS_ENDPOINT_URL_ROUTE_53": server.URL, "AWS_ACCESS_KEY_ID": "oracle",
		"AWS_SECRET_ACCESS_KEY": "oracle", "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(key, value)
	}
	domains := endpoint.NewDomainFilterWithExclusions(cfg.DomainFilter, cfg.DomainExclude)
	prov, err := aws.New(context.Background(), cfg, domains)
	if err != nil {
		server.Close()
		return nil, nil, err
	}
	return prov, server.Close, nil
}
