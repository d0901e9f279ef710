package lbcontroller

import (
	"cmp"
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/helmchart"
	"eks-advanced-networking/internal/settings"
)

// Settings are the controller's own stack-file keys, as internal/config decodes them and
// LoadBalancerController takes them. (Whether it is installed at all, loadBalancerController, is
// the composition's switch.)
type Settings struct {
	// Version is the chart's, e.g. 3.5.0.
	Version string
	// ChartRepository is where the chart comes from; empty means Repository.
	ChartRepository string
	// RoleArn is an IRSA role made outside the program (an existing cluster's); empty: the component
	// makes one.
	RoleArn string
}

// DemoSettings are the demo load balancer's keys: who may reach it and its front end.
type DemoSettings struct {
	// SourceRanges may reach the internet-facing load balancer.
	SourceRanges []string
	// IpAddressType is Ipv4 or DualStack; empty leaves it to the cluster's family.
	IpAddressType string
}

// The keys' names, which are also the field paths of the errors.
const (
	KeyVersion         = "loadBalancerControllerVersion"
	KeyChartRepository = "loadBalancerControllerChartRepository"
	KeyRoleArn         = "loadBalancerControllerRoleArn"
	KeySourceRanges    = "loadBalancerSourceRanges"
	KeyIpAddressType   = "loadBalancerIpAddressType"
)

// Keys are the controller's keys, in the order the docs list them.
var Keys = []settings.Key[Settings]{
	{Name: KeyVersion, Type: "string", Default: DefaultVersion,
		Description: "aws-load-balancer-controller chart version, e.g. 3.5.0.",
		Decode:      func(s *Settings, raw string) error { s.Version = raw; return nil }},
	{Name: KeyChartRepository, Type: "string", Default: Repository,
		Description: "Where the controller's chart comes from: AWS's repository (https://aws.github.io/eks-charts), a mirror, an oci:// registry, or an absolute local directory holding aws-load-balancer-controller/.",
		Decode:      func(s *Settings, raw string) error { s.ChartRepository = raw; return nil }},
	{Name: KeyRoleArn, Type: "string", Default: "",
		Description: "With clusterMode existing: the controller's IRSA role (with the controller's IAM policy), which this program then does not create.",
		Decode:      func(s *Settings, raw string) error { s.RoleArn = raw; return nil }},
}

// DemoKeys are the demo load balancer's keys, in the order the docs list them.
var DemoKeys = []settings.Key[DemoSettings]{
	{Name: KeySourceRanges, Type: "array", Default: []any{},
		Description: "Who may reach the demo load balancer (demoApps), which is internet-facing only for these: CIDR blocks, IPv4 and, for a dual-stack load balancer, IPv6 (curl -6 needs one). Empty means endpointPublicAccessCidrs, the deployer's addresses; with neither it is internal.",
		Decode: func(s *DemoSettings, raw string) (err error) {
			s.SourceRanges, err = settings.ParseStrings(raw)
			return
		}},
	{Name: KeyIpAddressType, Type: "string", Default: "",
		Description: "The demo load balancer's front end: dualstack or ipv4. Empty means dualstack on IPv6 clusters, ipv4 on IPv4 ones.",
		Decode:      func(s *DemoSettings, raw string) error { s.IpAddressType = raw; return nil }},
}

// Validate checks the chart's version, then where that version comes from, and a role given.
func (s Settings) Validate() field.ErrorList {
	var errs field.ErrorList
	if err := ValidateVersion(s.Version); err != nil {
		errs = append(errs, field.Invalid(field.NewPath(KeyVersion), s.Version, err.Error()))
	} else if _, err := s.ChartSource(); err != nil {
		errs = append(errs, field.Invalid(field.NewPath(KeyChartRepository), s.ChartRepository, err.Error()))
	}
	if s.RoleArn != "" {
		if p, err := clusterspec.ParseIamPrincipal(s.RoleArn); err != nil || p.Kind != "role" {
			errs = append(errs, field.Invalid(field.NewPath(KeyRoleArn), s.RoleArn, "not an IAM role ARN; ARNs look like arn:aws:iam::123456789012:role/aws-load-balancer-controller"))
		}
	}
	return errs
}

// ChartSource is where the chart of Version comes from.
func (s Settings) ChartSource() (helmchart.Source, error) {
	return ParseChartSource(cmp.Or(s.ChartRepository, Repository), s.Version)
}

// Validate checks the front end and that each source range is a CIDR block.
func (s DemoSettings) Validate() field.ErrorList {
	var errs field.ErrorList
	if s.IpAddressType != "" && s.IpAddressType != Ipv4 && s.IpAddressType != DualStack {
		errs = append(errs, field.Invalid(field.NewPath(KeyIpAddressType), s.IpAddressType, "use dualstack or ipv4, or leave it empty"))
	}
	for _, r := range s.SourceRanges {
		p, err := netip.ParsePrefix(r)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(field.NewPath(KeySourceRanges), r, "not a CIDR block such as 203.0.113.7/32 or 2001:db8:1234::/64"))
		case p.Masked() != p:
			errs = append(errs, field.Invalid(field.NewPath(KeySourceRanges), r, fmt.Sprintf("host bits are set; did you mean %s?", p.Masked())))
		}
	}
	return errs
}
