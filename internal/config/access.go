package config

import (
	"fmt"
	"strconv"
	"strings"

	"eks-advanced-networking/internal/clusterspec"
)

// HasKubernetesLayer says whether `pulumi up` puts objects into the cluster (Calico, the policy demo,
// Multus, the checks), and so must reach its API endpoint from wherever pulumi runs.
func (c *Config) HasKubernetesLayer() bool {
	return c.PolicyEngine.Spec().InCluster || c.DemoApps || c.Multus.Enabled || c.LoadBalancerController || c.Verify
}

// kubernetesLayerParts names what the layer installs, for messages.
func (c *Config) kubernetesLayerParts() string {
	var parts []string
	if c.PolicyEngine.Spec().InCluster {
		parts = append(parts, c.PolicyEngine.Spec().Name)
	}
	if c.DemoApps {
		parts = append(parts, "the policy demo")
	}
	if c.Multus.Enabled {
		parts = append(parts, "Multus")
	}
	if c.LoadBalancerController {
		parts = append(parts, "the load balancer controller")
	}
	if c.Verify {
		parts = append(parts, "the checks (verify)")
	}
	if len(parts) > 1 {
		return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return strings.Join(parts, "")
}

// validateEndpointAccess checks who may reach the cluster's API endpoint. With public access off,
// EKS's API server "can only receive requests from within the cluster VPC" (EKS API reference,
// VpcConfigRequest), so a stack that installs a Kubernetes layer during `pulumi up` must name a path
// from the deployer: its public address, or the network it runs in.
func (c *Config) validateEndpointAccess() []error {
	var errs []error
	add := func(key, value, reason string) { errs = append(errs, keyError(key, value, reason)) }
	ipv6 := c.Ipv6Cluster()
	if n := len(c.EndpointPublicAccessCidrs); n > clusterspec.MaxPublicAccessCidrs {
		add("endpointPublicAccessCidrs", strconv.Itoa(n)+" blocks", fmt.Sprintf("EKS takes at most %d; merge neighbouring blocks", clusterspec.MaxPublicAccessCidrs))
	}
	for _, cidr := range c.EndpointPublicAccessCidrs {
		p, err := clusterspec.CheckPublicAccessCidr(cidr, ipv6)
		switch {
		case err != nil:
			add("endpointPublicAccessCidrs", cidr, err.Error())
		case p.Bits() == 0:
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:endpointPublicAccessCidrs contains %s: the cluster's API endpoint is open to the whole internet", Project, p))
		}
	}
	for _, cidr := range c.EndpointPrivateAccessCidrs {
		if _, err := clusterspec.CheckPrivateAccessCidr(cidr); err != nil {
			add("endpointPrivateAccessCidrs", cidr, err.Error())
		}
	}
	if c.HasKubernetesLayer() && len(c.EndpointPublicAccessCidrs) == 0 && len(c.EndpointPrivateAccessCidrs) == 0 {
		add("endpointPublicAccessCidrs", "", fmt.Sprintf(
			"scenario %s installs %s through the cluster's API endpoint during pulumi up, and with no access CIDRs that endpoint is private and closed to the deployer. "+
				"Set the public address pulumi runs from: pulumi config set --path '%s:endpointPublicAccessCidrs[0]' \"$(curl -s https://checkip.amazonaws.com)/32\"; "+
				"or, if pulumi runs inside the VPC or a network connected to it, set %s:endpointPrivateAccessCidrs to that network's block",
			c.Scenario, c.kubernetesLayerParts(), Project, Project))
	}
	return errs
}

// validateClusterAdmins checks the principals that get cluster admin.
func (c *Config) validateClusterAdmins() []error {
	var errs []error
	seen := map[string]bool{}
	for _, arn := range c.ClusterAdminArns {
		p, err := clusterspec.ParseIamPrincipal(arn)
		switch {
		case err != nil:
			errs = append(errs, keyError("clusterAdminArns", arn, err.Error()))
		case c.Region != "" && p.Partition != clusterspec.PartitionOf(c.Region):
			errs = append(errs, keyError("clusterAdminArns", arn, fmt.Sprintf("%s is in partition %s; this ARN is in %s", c.Region, clusterspec.PartitionOf(c.Region), p.Partition)))
		case seen[arn]:
			errs = append(errs, keyError("clusterAdminArns", arn, "listed twice; EKS takes one access entry per principal"))
		}
		seen[arn] = true
	}
	return errs
}
