package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/lbcontroller"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/settings"
)

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// Validate checks each feature's settings and the rules between them, and collects warnings. What
// the settings imply (the VPC's layout, the Multus networks in it, the region's zones and partition)
// is internal/blueprint's to derive and check.
func (c *Config) Validate(today time.Time) error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, KeyError(key, value, reason)) }

	if !slices.Contains(Scenarios, c.Scenario) {
		add("scenario", string(c.Scenario), "unknown scenario; use one of "+joinNames(Scenarios))
	}
	switch c.ClusterMode {
	case ClusterModeCreate:
	case ClusterModeExisting:
		return errors.Join(append(errs, c.validateExisting()...)...)
	default:
		add("clusterMode", string(c.ClusterMode), "use create or existing")
	}
	if c.Region == "" {
		errs = append(errs, fmt.Errorf("config key %s is not set; set it, e.g. pulumi config set %s eu-central-1", RegionKey, RegionKey))
	} else if !regionPattern.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("config %s = %q: not an AWS region name; regions look like eu-central-1 or us-west-2", RegionKey, c.Region))
	}
	if !slices.Contains(Ipv4EgressModes, c.Ipv4Egress) {
		add("ipv4Egress", string(c.Ipv4Egress), "unknown mode; use one of "+joinNames(Ipv4EgressModes))
	} else if !c.Ipv6Cluster() && c.Ipv4Egress != Ipv4EgressNodeSnat {
		add("ipv4Egress", string(c.Ipv4Egress), fmt.Sprintf("only an IPv6 cluster has IPv6 pods that need an IPv4 path; scenario %s's cluster is IPv4, so leave it at %s", c.Scenario, Ipv4EgressNodeSnat))
	}
	if c.Ipv6Cluster() && !c.Vpc.Ipv6 {
		add("vpcIpv6", "false", fmt.Sprintf("scenario %s has an IPv6 cluster, which needs an IPv6 VPC; set it to true", c.Scenario))
	}
	if err := FieldErrors(c.Vpc.Validate()); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateCluster(today)...)
	return errors.Join(errs...)
}

// clusterContext is what the cluster's own rules read of the rest of the configuration.
func (c *Config) clusterContext(today time.Time) clusterspec.ValidationContext {
	return clusterspec.ValidationContext{Today: today, Family: c.ScenarioSpec().IpFamily, Ipvlan: c.Multus.Enabled}
}

// CheckResolvedVpcCni checks the vpc-cni version EKS answered for "latest" at deploy time, as a pin
// would have been checked.
func (c *Config) CheckResolvedVpcCni(version string) error {
	return FieldErrors(c.Cluster.CheckResolvedVpcCni(version, c.clusterContext(time.Time{})))
}

// validateCluster checks the cluster's settings (clusterspec.Settings) and the rules they share with
// the rest of the stack.
func (c *Config) validateCluster(today time.Time) []error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, KeyError(key, value, reason)) }
	vc := c.clusterContext(today)
	if err := FieldErrors(c.Cluster.Validate(vc)); err != nil {
		errs = append(errs, err)
	}
	for _, w := range c.Cluster.Warnings(vc) {
		c.Warnings = append(c.Warnings, Project+":"+w)
	}
	errs = append(errs, c.validateEndpointAccess()...)
	if c.Vpc.NatGateways == netplan.NatGatewayNone {
		add(netplan.KeyNatGateways, string(c.Vpc.NatGateways), "the nodes run in the private subnets, which then have no IPv4 egress and no VPC endpoints: they cannot pull images or reach STS and EC2, and EKS fails the node group with NodeCreationFailure; use single or per-az")
	}
	errs = append(errs, c.validateLoadBalancerController()...)
	errs = append(errs, c.validatePolicy()...)
	errs = append(errs, c.validateVerify()...)
	return append(errs, c.validateMultus()...)
}

// validateMultus checks the Multus keys. The networks' addresses need the subnets, from the VPC's
// layout or an existing cluster's keys: internal/blueprint plans and checks them.
func (c *Config) validateMultus() []error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, KeyError(key, value, reason)) }
	if c.ScenarioSpec().RequiresMultus && !c.Multus.Enabled {
		add(multus.KeyEnabled, "false", fmt.Sprintf("the %s scenario is Multus; set it to true", c.Scenario))
	}
	if !c.Multus.Enabled {
		return errs
	}
	if c.Ipv6Cluster() {
		add(multus.KeyEnabled, "true", "the secondary network here is IPv4 (ipvlan with host-local IPAM on IPv4 ENI addresses); use an IPv4 scenario")
	}
	if c.ClusterMode == ClusterModeExisting {
		if len(c.Multus.AvailabilityZones) == 0 || len(c.Multus.SubnetCidrs) != len(c.Multus.AvailabilityZones) {
			add(multus.KeySubnetCidrs, strings.Join(c.Multus.SubnetCidrs, ","), fmt.Sprintf(
				"with clusterMode existing, list the Multus zones in multusAvailabilityZones and each zone's subnet block here, in the same order (%d zones)", len(c.Multus.AvailabilityZones)))
		}
		return errs
	}
	if err := FieldErrors(c.Multus.Validate()); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// validateExisting checks a configuration for clusterMode existing: only the Kubernetes layer's keys
// matter.
func (c *Config) validateExisting() []error {
	errs := append(c.validatePolicy(), c.validateLoadBalancerController()...)
	errs = append(errs, c.validateVerify()...)
	if c.PolicyEngine == clusterspec.PolicyEngineVpcCni {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s:policyEngine vpc-cni is a setting of the vpc-cni add-on, which belongs to the existing cluster; turn enableNetworkPolicy on there", Project))
	}
	return append(errs, c.validateMultus()...)
}

// validatePolicy checks the policy engine and the chapter's demo.
func (c *Config) validatePolicy() []error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, KeyError(key, value, reason)) }
	warn := func(msg string) { c.Warnings = append(c.Warnings, msg) }
	if !c.PolicyEngine.Valid() {
		add("policyEngine", string(c.PolicyEngine), "unknown engine; use one of "+joinNames(clusterspec.PolicyEngines))
	}
	if c.Ipv6Cluster() && c.Ipv4Egress.NodeSnat() {
		switch c.PolicyEngine.Spec().V4Egress {
		case clusterspec.V4EgressUnsupported:
			add("policyEngine", string(c.PolicyEngine), fmt.Sprintf(
				"%s does not enforce policy on IPv6 pods while the VPC CNI's ENABLE_V4_EGRESS is on (ipv4Egress %s); use vpc-cni, or ipv4Egress nat64", c.PolicyEngine.Spec().Name, c.Ipv4Egress))
		case clusterspec.V4EgressUnfiltered:
			warn(fmt.Sprintf("%s:policyEngine %s does not filter the v4if0 path IPv6 pods use for IPv4 (ipv4Egress %s, aws-network-policy-agent #55): NetworkPolicies do not restrict their IPv4 egress", Project, c.PolicyEngine, c.Ipv4Egress))
		}
	}
	// An engine's own settings matter only when it is the engine.
	if err := FieldErrors(c.chosenEngineErrors()); err != nil {
		errs = append(errs, err)
	}
	if c.DenyEgressPolicy && !c.DemoApps {
		add("denyEgressPolicy", "true", "the policy lives in the demo's deploy2 namespace; set demoApps to true as well")
	}
	if c.AllowDnsEgress && !c.DenyEgressPolicy {
		add("allowDnsEgress", "true", "it only shapes the deny-egress policy; set denyEgressPolicy to true, or leave this off")
	}
	if c.DenyEgressPolicy && !c.PolicyEngine.Spec().Enforces() {
		warn(fmt.Sprintf("%s:denyEgressPolicy is on but policyEngine is none: nothing enforces the policy", Project))
	}
	return errs
}

// keyPrefix starts every error about a key of the project.
const keyPrefix = "config " + Project + ":"

// KeyError is an error about a key of the project: it names the key, its value and the reason.
func KeyError(name, value, reason string) error {
	return settings.KeyError(keyPrefix, name, value, reason)
}

// FieldErrors are a feature's field errors as errors about the project's keys their paths name.
func FieldErrors(errs field.ErrorList) error { return settings.Errors(keyPrefix, errs) }

// joinNames lists the values of a string enum for an error message.
func joinNames[T ~string](values []T) string {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}

// validateLoadBalancerController checks the controller's and the demo load balancer's settings when
// the controller is on (their own rules: lbcontroller.Settings and DemoSettings), and the rules they
// share with the rest of the stack: the VPC and the cluster's family for the front end, the region,
// an IPv4 path for the controller's AWS calls, and who makes its role.
func (c *Config) validateLoadBalancerController() []error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, KeyError(key, value, reason)) }
	if !c.LoadBalancerController {
		if c.LoadBalancerDemo.IpAddressType != "" || c.LoadBalancer.RoleArn != "" || len(c.LoadBalancerDemo.SourceRanges) > 0 {
			add("loadBalancerController", "false", "loadBalancerIpAddressType, loadBalancerSourceRanges and loadBalancerControllerRoleArn are the controller's settings; set loadBalancerController to true, or leave them empty")
		}
		return errs
	}
	for _, own := range []field.ErrorList{c.LoadBalancer.Validate(), c.LoadBalancerDemo.Validate()} {
		if err := FieldErrors(own); err != nil {
			errs = append(errs, err)
		}
	}
	switch addressType := c.LoadBalancerDemo.IpAddressType; {
	case addressType == lbcontroller.DualStack && !c.Vpc.Ipv6 && c.ClusterMode == ClusterModeCreate:
		add(lbcontroller.KeyIpAddressType, addressType, "a dual-stack load balancer needs subnets with IPv6; set vpcIpv6 to true, or use ipv4")
	case addressType == lbcontroller.Ipv4 && c.Ipv6Cluster():
		add(lbcontroller.KeyIpAddressType, addressType, "an IPv6 cluster's pods have only IPv6 addresses, which an IPv4 load balancer cannot reach as IP targets; use dualstack")
	}
	for _, r := range c.LoadBalancerDemo.SourceRanges {
		p, err := netip.ParsePrefix(r)
		switch {
		case err != nil || p.Masked() != p: // DemoSettings.Validate says why
		case p.Addr().Is6() && c.LoadBalancerAddressType() != lbcontroller.DualStack:
			add(lbcontroller.KeySourceRanges, r, "an IPv6 block, but the demo load balancer has only an IPv4 front end (loadBalancerIpAddressType ipv4); use dualstack")
		case p.Bits() == 0:
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%s: %s opens the demo load balancer to the whole internet", Project, lbcontroller.KeySourceRanges, r))
		}
	}
	if c.Region == "" {
		add("loadBalancerController", "true", "the controller needs the cluster's region: set "+RegionKey)
	}
	if c.Ipv6Cluster() && c.Ipv4Egress == Ipv4EgressNone {
		add("ipv4Egress", string(c.Ipv4Egress), "the load balancer controller's pod calls STS and Elastic Load Balancing, whose regional endpoints it reaches over IPv4; with no IPv4 path it cannot make a load balancer. Use node-snat (or nat64 or both), or set loadBalancerController to false")
	}
	switch {
	case c.ClusterMode == ClusterModeExisting && c.Cluster.Name == "":
		add("clusterName", "", "with clusterMode existing the controller needs your cluster's name (it tags the load balancers it makes with it); set clusterName")
	case c.ClusterMode == ClusterModeExisting && c.LoadBalancer.RoleArn == "":
		add(lbcontroller.KeyRoleArn, "", "with clusterMode existing no AWS resource is created, so the controller needs your IRSA role for it (trusted by "+lbcontroller.Namespace+"/"+lbcontroller.ServiceAccount+", with the controller's IAM policy)")
	case c.ClusterMode != ClusterModeExisting && c.LoadBalancer.RoleArn != "":
		add(lbcontroller.KeyRoleArn, c.LoadBalancer.RoleArn, "this program creates the controller's IRSA role with the cluster; leave it empty")
	}
	return errs
}

// DemoSourceRanges are who may reach the demo load balancer: loadBalancerSourceRanges, else the
// deployer's endpointPublicAccessCidrs. None makes it internal.
func (c *Config) DemoSourceRanges() []string {
	if len(c.LoadBalancerDemo.SourceRanges) > 0 {
		return c.LoadBalancerDemo.SourceRanges
	}
	return c.Cluster.EndpointPublicAccessCidrs
}

// LoadBalancerAddressType is the demo load balancer's front end: the key's, or dualstack on IPv6
// clusters and ipv4 on IPv4 ones.
func (c *Config) LoadBalancerAddressType() string {
	switch {
	case c.LoadBalancerDemo.IpAddressType != "":
		return c.LoadBalancerDemo.IpAddressType
	case c.Ipv6Cluster():
		return lbcontroller.DualStack
	}
	return lbcontroller.Ipv4
}

// validateVerify checks the keys of the checks: the targets, and that every check has what it looks
// at (the policy checks need the demo apps, the Multus checks multus-pod).
func (c *Config) validateVerify() []error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, KeyError(key, value, reason)) }
	if err := FieldErrors(c.VerifyTargets.Validate()); err != nil {
		errs = append(errs, err)
	}
	if !c.Verify {
		return errs
	}
	if c.PolicyEngine != clusterspec.PolicyEngineNone && !c.DemoApps {
		add("demoApps", "false", fmt.Sprintf("verify checks what policyEngine %s does to the chapter's demo apps; set demoApps to true, or verify to false", c.PolicyEngine))
	}
	if c.Multus.Enabled && !c.Multus.DemoPod {
		add("multusDemoPod", "false", "verify checks multus-pod's secondary network; set multusDemoPod to true, or verify to false")
	}
	if !c.Ipv6Cluster() && !c.DemoApps && !c.Multus.Enabled {
		add("verify", "true", fmt.Sprintf("scenario %s has nothing the checks look at: turn on demoApps or multus, or set verify to false", c.Scenario))
	}
	return errs
}
