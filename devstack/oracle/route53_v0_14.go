//go:build externaldns_v0_14

package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"strings"

	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/private/protocol/xml/xmlutil"
	"github.com/aws/aws-sdk-go/service/route53"
	"sigs.k8s.io/external-dns/endpoint"
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/provider"
	"sigs.k8s.io/external-dns/provider/aws"
)

// fakeRoute53 is v0.14's Route53API (aws-sdk-go v1) answering from the request's listings,
// read with the SDK's own REST-XML unmarshaller; each change batch is kept as the SDK's
// REST-XML marshaller writes it, the body the real client would send.
type fakeRoute53 struct {
	request Route53Request
	sent    *recorder
}

func (f *fakeRoute53) ListHostedZonesPagesWithContext(_ context.Context, _ *route53.ListHostedZonesInput,
	fn func(*route53.ListHostedZonesOutput, bool) bool, _ ...request.Option) error {
	out := &route53.ListHostedZonesOutput{}
	if err := xmlutil.UnmarshalXML(out, xml.NewDecoder(strings.NewReader(f.request.HostedZones)), ""); err != nil {
		return err
	}
	fn(out, true)
	return nil
}

func (f *fakeRoute53) ListResourceRecordSetsPagesWithContext(_ context.Context, input *route53.ListResourceRecordSetsInput,
	fn func(*route53.ListResourceRecordSetsOutput, bool) bool, _ ...request.Option) error {
	out := &route53.ListResourceRecordSetsOutput{}
	body := f.request.RecordSets[strings.TrimPrefix(*input.HostedZoneId, "/hostedzone/")]
	if err := xmlutil.UnmarshalXML(out, xml.NewDecoder(strings.NewReader(body)), ""); err != nil {
		return err
	}
	fn(out, true)
	return nil
}

func (f *fakeRoute53) ChangeResourceRecordSetsWithContext(_ context.Context, input *route53.ChangeResourceRecordSetsInput,
	_ ...request.Option) (*route53.ChangeResourceRecordSetsOutput, error) {
	var body bytes.Buffer
	if err := xmlutil.BuildXML(input, xml.NewEncoder(&body)); err != nil {
		return nil, err
	}
	f.sent.add(Batch{ZoneID: strings.TrimPrefix(*input.HostedZoneId, "/hostedzone/"), Body: body.String()})
	return &route53.ChangeResourceRecordSetsOutput{}, nil
}

func (f *fakeRoute53) CreateHostedZoneWithContext(context.Context, *route53.CreateHostedZoneInput,
	...request.Option) (*route53.CreateHostedZoneOutput, error) {
	return &route53.CreateHostedZoneOutput{}, nil
}

func (f *fakeRoute53) ListTagsForResourceWithContext(context.Context, *route53.ListTagsForResourceInput,
	...request.Option) (*route53.ListTagsForResourceOutput, error) {
	return &route53.ListTagsForResourceOutput{ResourceTagSet: &route53.ResourceTagSet{}}, nil
}

// awsProvider is v0.14's AWS provider over fakeRoute53, configured from the flags as
// v0.14's main.go configures it.
func awsProvider(request Route53Request, cfg *externaldns.Config, sent *recorder) (
	provider.Provider, func(), error) {
	prov, err := aws.NewAWSProvider(aws.AWSConfig{
		DomainFilter:          endpoint.NewDomainFilterWithExclusions(cfg.DomainFilter, cfg.ExcludeDomains),
		ZoneIDFilter:          provider.NewZoneIDFilter(cfg.ZoneIDFilter),
		ZoneTypeFilter:        provider.NewZoneTypeFilter(cfg.AWSZoneType),
		ZoneTagFilter:         provider.NewZoneTagFilter(cfg.AWSZoneTagFilter),
		BatchChangeSize:       cfg.AWSBatchChangeSize,
		BatchChangeSizeBytes:  cfg.AWSBatchChangeSizeBytes,
		BatchChangeSizeValues: cfg.AWSBatchChangeSizeValues,
		EvaluateTargetHealth:  cfg.AWSEvaluateTargetHealth,
		PreferCNAME:           cfg.AWSPreferCNAME,
	}, &fakeRoute53{request: request, sent: sent})
	if err != nil {
		return nil, nil, err
	}
	return prov, func() {}, nil
}
