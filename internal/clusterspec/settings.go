package clusterspec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/settings"
)

// Settings are the EKS cluster's own settings: its name and Kubernetes version, control-plane
// logging, who reaches its API endpoint, its admins and service block, the cluster's node group, and
// the managed add-ons with the VPC CNI's prefix settings. Keys declares them for the stack file.
type Settings struct {
	// Name is the EKS cluster's name; empty means eks-<stack> (EksName).
	Name              string
	KubernetesVersion string
	// LogTypes go to CloudWatch Logs; empty turns control-plane logging off.
	LogTypes []string
	// LogRetentionDays is how long the control-plane log group keeps logs (0: for ever).
	LogRetentionDays int
	// EndpointPublicAccessCidrs may reach the public API endpoint; empty turns it off.
	EndpointPublicAccessCidrs []string
	// EndpointPrivateAccessCidrs are networks inside or connected to the VPC that may reach the
	// private endpoint on 443 (a CI runner's, a VPN's).
	EndpointPrivateAccessCidrs []string
	// AdminArns get cluster admin through access entries.
	AdminArns []string
	// ServiceIpv4Cidr is an IPv4 cluster's service block; empty lets EKS choose.
	ServiceIpv4Cidr  string
	NodeInstanceType string
	Nodes            NodeGroupSize
	// The managed add-ons' versions: a version such as v1.22.1-eksbuild.2, or Latest.
	VpcCniVersion, CorednsVersion, KubeProxyVersion string
	// WarmPrefixTarget is the VPC CNI's WARM_PREFIX_TARGET.
	WarmPrefixTarget int
	// PrefixDelegation turns the VPC CNI's prefix mode on for an IPv4 cluster.
	PrefixDelegation bool
}

// The stack file's keys of the cluster's settings, which are also the field paths of Validate's
// errors (the node group's sizes are NodeGroupSize's).
const (
	KeyName                       = "clusterName"
	KeyKubernetesVersion          = "kubernetesVersion"
	KeyLogTypes                   = "clusterLogTypes"
	KeyLogRetentionDays           = "clusterLogRetentionDays"
	KeyEndpointPublicAccessCidrs  = "endpointPublicAccessCidrs"
	KeyEndpointPrivateAccessCidrs = "endpointPrivateAccessCidrs"
	KeyAdminArns                  = "clusterAdminArns"
	KeyServiceIpv4Cidr            = "serviceIpv4Cidr"
	KeyNodeInstanceType           = "nodeInstanceType"
	KeyVpcCniVersion              = "vpcCniVersion"
	KeyCorednsVersion             = "corednsVersion"
	KeyKubeProxyVersion           = "kubeProxyVersion"
	KeyWarmPrefixTarget           = "warmPrefixTarget"
	KeyPrefixDelegation           = "prefixDelegation"
)

// Keys are the cluster's keys, in the order the docs list them.
var Keys = []settings.Key[Settings]{
	{Name: KeyName, Type: "string", Default: "",
		Description: "EKS cluster name. Empty means eks-<stack>.",
		Decode:      func(s *Settings, raw string) error { s.Name = raw; return nil }},
	{Name: KeyKubernetesVersion, Type: "string", Default: DefaultKubernetesVersion,
		Description: "Kubernetes version of the cluster. Versions EKS can no longer create are refused; versions in paid extended support are warned about.",
		Decode:      func(s *Settings, raw string) error { s.KubernetesVersion = raw; return nil }},
	{Name: KeyLogTypes, Type: "array", Default: []any{"api", "audit", "authenticator"},
		Description: "Control-plane log types sent to CloudWatch Logs: any of api, audit, authenticator, controllerManager, scheduler. Empty turns logging off.",
		Decode:      func(s *Settings, raw string) (err error) { s.LogTypes, err = settings.ParseStrings(raw); return }},
	{Name: KeyLogRetentionDays, Type: "integer", Default: 90,
		Description: "Days CloudWatch Logs keeps the control-plane logs: one of CloudWatch's retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 180, 365, ...), or 0 to keep them for ever. The program creates the log group /aws/eks/<cluster>/cluster before the cluster, so destroy removes it.",
		Decode:      func(s *Settings, raw string) (err error) { s.LogRetentionDays, err = settings.ParseInt(raw); return }},
	{Name: KeyEndpointPublicAccessCidrs, Type: "array", Default: []any{},
		Description: "Public addresses that may reach the cluster's public API endpoint, e.g. [203.0.113.7/32] for the machine that runs pulumi and kubectl (IPv6 blocks too on the ipv6 scenario, whose endpoint is dual-stack). Empty turns the public endpoint off. A stack with a Kubernetes layer (Calico, demoApps, Multus) needs this or endpointPrivateAccessCidrs.",
		Decode: func(s *Settings, raw string) (err error) {
			s.EndpointPublicAccessCidrs, err = settings.ParseStrings(raw)
			return
		}},
	{Name: KeyEndpointPrivateAccessCidrs, Type: "array", Default: []any{},
		Description: "Networks inside or connected to the VPC (a CI runner in the VPC, a VPN, peering) that may reach the private API endpoint on port 443, e.g. [10.20.0.0/16]. Set it when pulumi runs there and the endpoint stays private.",
		Decode: func(s *Settings, raw string) (err error) {
			s.EndpointPrivateAccessCidrs, err = settings.ParseStrings(raw)
			return
		}},
	{Name: KeyAdminArns, Type: "array", Default: []any{},
		Description: "IAM role or user ARNs that get cluster admin (an access entry with AmazonEKSClusterAdminPolicy, cluster scope), e.g. [arn:aws:iam::123456789012:role/platform-admins]. The identity that creates the cluster is admin already; do not list it.",
		Decode:      func(s *Settings, raw string) (err error) { s.AdminArns, err = settings.ParseStrings(raw); return }},
	{Name: KeyServiceIpv4Cidr, Type: "string", Default: "",
		Description: "IPv4 block for Kubernetes services of an IPv4 cluster (EKS picks one when empty). IPv6 clusters take their service block from EKS and must leave it empty.",
		Decode:      func(s *Settings, raw string) error { s.ServiceIpv4Cidr = raw; return nil }},
	{Name: KeyNodeInstanceType, Type: "string", Default: "t3.medium",
		Description: "EC2 instance type of the managed node group. Graviton types (m7g.large) get the ARM64 AL2023 AMI.",
		Decode:      func(s *Settings, raw string) error { s.NodeInstanceType = raw; return nil }},
	{Name: KeyNodeMinSize, Type: "integer", Default: 2,
		Description: "Minimum number of nodes (0 lets the group scale to zero).",
		Decode:      func(s *Settings, raw string) (err error) { s.Nodes.MinSize, err = settings.ParseInt(raw); return }},
	{Name: KeyNodeDesiredSize, Type: "integer", Default: 2,
		Description: "Desired number of nodes, between nodeMinSize and nodeMaxSize.",
		Decode:      func(s *Settings, raw string) (err error) { s.Nodes.DesiredSize, err = settings.ParseInt(raw); return }},
	{Name: KeyNodeMaxSize, Type: "integer", Default: 2,
		Description: "Maximum number of nodes.",
		Decode:      func(s *Settings, raw string) (err error) { s.Nodes.MaxSize, err = settings.ParseInt(raw); return }},
	{Name: KeyVpcCniVersion, Type: "string", Default: Latest,
		Description: "vpc-cni add-on version, e.g. v1.22.1-eksbuild.2, or latest: the most recent version EKS offers for kubernetesVersion.",
		Decode:      func(s *Settings, raw string) error { s.VpcCniVersion = raw; return nil }},
	{Name: KeyCorednsVersion, Type: "string", Default: Latest,
		Description: "coredns add-on version, or latest.",
		Decode:      func(s *Settings, raw string) error { s.CorednsVersion = raw; return nil }},
	{Name: KeyKubeProxyVersion, Type: "string", Default: Latest,
		Description: "kube-proxy add-on version, or latest.",
		Decode:      func(s *Settings, raw string) error { s.KubeProxyVersion = raw; return nil }},
	{Name: KeyWarmPrefixTarget, Type: "integer", Default: 1,
		Description: "VPC CNI WARM_PREFIX_TARGET: how many spare address prefixes each node keeps (1 to 8). IPv6 nodes get a /80 per prefix; IPv4 nodes a /28, with prefixDelegation.",
		Decode:      func(s *Settings, raw string) (err error) { s.WarmPrefixTarget, err = settings.ParseInt(raw); return }},
	{Name: KeyPrefixDelegation, Type: "boolean", Default: false,
		Description: "IPv4 clusters: the VPC CNI hands pods addresses from /28 prefixes on the node's ENIs (ENABLE_PREFIX_DELEGATION), so a node holds up to 110 pods (250 from 30 vCPUs) instead of a few per ENI. Nitro instances only. IPv6 clusters always use prefixes.",
		Decode:      func(s *Settings, raw string) (err error) { s.PrefixDelegation, err = settings.ParseBool(raw); return }},
}

// LogTypes are the control-plane log types EKS accepts.
var LogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// addonVersions are the add-ons' version settings, each with its key, in the keys' order.
func (s Settings) addonVersions() []struct{ key, addon, version string } {
	return []struct{ key, addon, version string }{
		{KeyVpcCniVersion, "vpc-cni", s.VpcCniVersion},
		{KeyCorednsVersion, "coredns", s.CorednsVersion},
		{KeyKubeProxyVersion, "kube-proxy", s.KubeProxyVersion},
	}
}

// yamlFloat catches a version like 1.30 that YAML turned into the number 1.3.
var yamlFloat = regexp.MustCompile(`^1\.[0-9]$`)

var namePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)

// ValidationContext is what the cluster's rules read besides its settings.
type ValidationContext struct {
	// Today decides which Kubernetes versions EKS creates.
	Today  time.Time
	Family IpFamily
	// Ipvlan: Multus's networks need the VPC CNI's ipvlan plugin.
	Ipvlan bool
}

func (vc ValidationContext) vpcCniNeeds() VpcCniNeeds {
	return VpcCniNeeds{Ipv6: vc.Family == Ipv6, Ipvlan: vc.Ipvlan}
}

// Validate checks the cluster's rules. The rules that span it and other features' settings (the
// subnets' room for prefixes, a Kubernetes layer's need of an endpoint, the admins' partition and the
// region) are the stack's.
func (s Settings) Validate(vc ValidationContext) field.ErrorList {
	today, family := vc.Today, vc.Family
	var errs field.ErrorList
	add := func(key string, value any, reason string) {
		errs = append(errs, field.Invalid(field.NewPath(key), value, reason))
	}
	if s.Name != "" && !namePattern.MatchString(s.Name) {
		add(KeyName, s.Name, "EKS names are 1 to 100 letters, digits, - and _, starting with a letter or digit")
	}
	if _, err := SupportOn(s.KubernetesVersion, today); err != nil {
		reason := err.Error()
		if yamlFloat.MatchString(s.KubernetesVersion) {
			reason += fmt.Sprintf(" (YAML reads 1.%s0 as the number %s: quote the version)", strings.TrimPrefix(s.KubernetesVersion, "1."), s.KubernetesVersion)
		}
		add(KeyKubernetesVersion, s.KubernetesVersion, reason)
	}
	if err := CheckLogRetention(s.LogRetentionDays); err != nil {
		add(KeyLogRetentionDays, strconv.Itoa(s.LogRetentionDays), err.Error())
	}
	for _, t := range s.LogTypes {
		if !slices.Contains(LogTypes, t) {
			add(KeyLogTypes, t, "unknown log type; use any of "+strings.Join(LogTypes, ", "))
		}
	}
	errs = append(errs, s.validateEndpointAccess(family)...)
	seen := map[string]bool{}
	for _, arn := range s.AdminArns {
		if _, err := ParseIamPrincipal(arn); err != nil {
			add(KeyAdminArns, arn, err.Error())
		} else if seen[arn] {
			add(KeyAdminArns, arn, "listed twice; EKS takes one access entry per principal")
		}
		seen[arn] = true
	}
	if s.ServiceIpv4Cidr != "" {
		if family == Ipv6 {
			add(KeyServiceIpv4Cidr, s.ServiceIpv4Cidr, "an IPv6 cluster takes its service block from EKS (an IPv6 /108); leave it empty")
		} else if err := ValidateServiceIpv4Cidr(s.ServiceIpv4Cidr); err != nil {
			add(KeyServiceIpv4Cidr, s.ServiceIpv4Cidr, err.Error())
		}
	}
	node, nodeErr := s.NodeFacts()
	if nodeErr != nil {
		add(KeyNodeInstanceType, s.NodeInstanceType, nodeErr.Error())
	}
	sizeErrors := s.Nodes.Validate()
	errs = append(errs, sizeErrors...)
	// These fail only once AWS has worked for 20 minutes or more; refuse them now.
	if len(sizeErrors) == 0 && s.Nodes.DesiredSize == 0 {
		add(KeyNodeDesiredSize, "0", "the cluster's node group is where CoreDNS runs: with no nodes the coredns add-on stays DEGRADED and its create fails after its waiter; use at least 1 (nodeMinSize 0 is fine)")
	}
	for _, a := range s.addonVersions() {
		version := a.version
		if version == Latest {
			continue
		}
		v, err := ParseAddonVersion(version)
		if err != nil {
			add(a.key, version, err.Error())
			continue
		}
		if err := CheckAddonForKubernetes(a.addon, v, s.KubernetesVersion); err != nil {
			add(a.key, version, err.Error())
		}
		if a.key == KeyVpcCniVersion {
			for _, err := range vc.vpcCniNeeds().Check(v) {
				add(a.key, version, err.Error())
			}
		}
	}
	if s.WarmPrefixTarget < 1 || s.WarmPrefixTarget > 8 {
		add(KeyWarmPrefixTarget, strconv.Itoa(s.WarmPrefixTarget), "use 1 to 8")
	}
	switch {
	case family == Ipv6 && s.PrefixDelegation:
		add(KeyPrefixDelegation, "true", "an IPv6 cluster always hands out prefixes (a /80 per node ENI); leave it off")
	case family == Ipv4 && !s.PrefixDelegation && s.WarmPrefixTarget != 1:
		add(KeyWarmPrefixTarget, strconv.Itoa(s.WarmPrefixTarget), "it sizes the spare /28 prefixes of prefix mode, which is off on this IPv4 cluster; set prefixDelegation to true, or leave it at 1")
	case family == Ipv4 && s.PrefixDelegation:
		if nodeErr == nil && node.EniErr == nil && !node.Eni.Nitro {
			add(KeyPrefixDelegation, "true", fmt.Sprintf("%s is not a Nitro instance type, and ENI prefixes need Nitro; pick a Nitro type for nodeInstanceType", s.NodeInstanceType))
		}
	}
	return errs
}

// CheckResolvedVpcCni checks the vpc-cni version EKS answered for latest at deploy time, as a pin
// is checked. (Its offered range is not: EKS's answer is the authority.)
func (s Settings) CheckResolvedVpcCni(version string, vc ValidationContext) field.ErrorList {
	if s.VpcCniVersion != Latest {
		return nil
	}
	var errs field.ErrorList
	bad := func(reason string) {
		errs = append(errs, field.Invalid(field.NewPath(KeyVpcCniVersion), Latest,
			fmt.Sprintf("EKS offers %s as the latest vpc-cni for Kubernetes %s, and %s; pin a version", version, s.KubernetesVersion, reason)))
	}
	v, err := ParseAddonVersion(version)
	if err != nil {
		bad(err.Error())
		return errs
	}
	for _, err := range vc.vpcCniNeeds().Check(v) {
		bad(err.Error())
	}
	return errs
}

// validateEndpointAccess checks the blocks that may reach the API endpoint.
func (s Settings) validateEndpointAccess(family IpFamily) field.ErrorList {
	var errs field.ErrorList
	if n := len(s.EndpointPublicAccessCidrs); n > MaxPublicAccessCidrs {
		errs = append(errs, field.Invalid(field.NewPath(KeyEndpointPublicAccessCidrs), strconv.Itoa(n)+" blocks",
			fmt.Sprintf("EKS takes at most %d; merge neighbouring blocks", MaxPublicAccessCidrs)))
	}
	for _, cidr := range s.EndpointPublicAccessCidrs {
		if _, err := CheckPublicAccessCidr(cidr, family == Ipv6); err != nil {
			errs = append(errs, field.Invalid(field.NewPath(KeyEndpointPublicAccessCidrs), cidr, err.Error()))
		}
	}
	for _, cidr := range s.EndpointPrivateAccessCidrs {
		if _, err := CheckPrivateAccessCidr(cidr); err != nil {
			errs = append(errs, field.Invalid(field.NewPath(KeyEndpointPrivateAccessCidrs), cidr, err.Error()))
		}
	}
	return errs
}

// Warnings are what is worth telling the user about valid settings, each starting with its key: a
// Kubernetes version in paid extended support, an API endpoint open to the whole internet.
func (s Settings) Warnings(vc ValidationContext) []string {
	var out []string
	if support, err := SupportOn(s.KubernetesVersion, vc.Today); err == nil && support.Warning != "" {
		out = append(out, KeyKubernetesVersion+": "+support.Warning)
	}
	for _, cidr := range s.EndpointPublicAccessCidrs {
		if p, err := CheckPublicAccessCidr(cidr, vc.Family == Ipv6); err == nil && p.Bits() == 0 {
			out = append(out, fmt.Sprintf("%s contains %s: the cluster's API endpoint is open to the whole internet", KeyEndpointPublicAccessCidrs, p))
		}
	}
	return out
}

// NodeFacts are the nodes' instance type and what the stack reads of it, looked up once and passed
// to what needs them (prefix mode's pod count, the Multus ENIs' slots): the checked type and its ENI
// limits from the VPC CNI's table.
type NodeFacts struct {
	Instance InstanceType
	// Eni are the type's ENI limits. EniErr says why the VPC CNI's table has none; only prefix mode
	// and Multus need them.
	Eni    EniLimit
	EniErr error
}

// NodeFacts checks the nodes' instance type (one EC2 has in the data here and the AL2023 AMI runs
// on) and looks up its ENI limits.
func (s Settings) NodeFacts() (NodeFacts, error) {
	it, err := ParseInstanceType(s.NodeInstanceType)
	if err != nil {
		return NodeFacts{}, err
	}
	if err := CheckInstanceType(s.NodeInstanceType); err != nil {
		return NodeFacts{}, err
	}
	if _, err := AmiType(AL2023, it); err != nil {
		return NodeFacts{}, err
	}
	eni, eniErr := LookupEniLimit(it.Name)
	return NodeFacts{Instance: it, Eni: eni, EniErr: eniErr}, nil
}

// EksName is the cluster's name: Name, or eks-<stack> with the characters EKS refuses replaced by -.
func (s Settings) EksName(stack string) string {
	if s.Name != "" {
		return s.Name
	}
	name := []byte("eks-" + stack)
	for i, b := range name {
		if (b < 'a' || b > 'z') && (b < 'A' || b > 'Z') && (b < '0' || b > '9') && b != '-' && b != '_' {
			name[i] = '-'
		}
	}
	return string(name[:min(len(name), 100)])
}
