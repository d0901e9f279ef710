package config

import (
	"fmt"
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

// validateEndpointAccess checks that the deployer can reach the API endpoint. With public access off,
// EKS's API server "can only receive requests from within the cluster VPC" (EKS API reference,
// VpcConfigRequest), so a stack that installs a Kubernetes layer during `pulumi up` must name a path
// from the deployer: its public address, or the network it runs in. (The blocks themselves are the
// cluster's settings' to check.)
func (c *Config) validateEndpointAccess() []error {
	if !c.HasKubernetesLayer() || len(c.Cluster.EndpointPublicAccessCidrs) > 0 || len(c.Cluster.EndpointPrivateAccessCidrs) > 0 {
		return nil
	}
	return []error{KeyError(clusterspec.KeyEndpointPublicAccessCidrs, "", fmt.Sprintf(
		"scenario %s installs %s through the cluster's API endpoint during pulumi up, and with no access CIDRs that endpoint is private and closed to the deployer. "+
			"Set the public address pulumi runs from: pulumi config set --path '%s:endpointPublicAccessCidrs[0]' \"$(curl -s https://checkip.amazonaws.com)/32\"; "+
			"or, if pulumi runs inside the VPC or a network connected to it, set %s:endpointPrivateAccessCidrs to that network's block",
		c.Scenario, c.kubernetesLayerParts(), Project, Project))}
}
