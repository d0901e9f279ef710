package config

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/settings"
	"eks-advanced-networking/internal/verify"
)

// ExistingMultusNetworks are the secondary networks of an existing cluster, in the subnets the
// configuration gives.
func (c *Config) ExistingMultusNetworks() ([]multus.Network, error) {
	return c.multusNetworks(multus.GivenSubnets)
}

// VpcMultusNetworks are the secondary networks in the VPC's subnets of each network's tier.
func (c *Config) VpcMultusNetworks(vpc netplan.VpcPlan) ([]multus.Network, error) {
	return c.multusNetworks(func(n multus.NetworkSettings) []multus.Subnet {
		var subnets []multus.Subnet
		for _, s := range vpc.SubnetsOf(n.SubnetTier) {
			subnets = append(subnets, multus.Subnet{AvailabilityZone: s.AvailabilityZone, Cidr: s.Ipv4Cidr})
		}
		return subnets
	})
}

// multusNetworks plans the secondary networks, with errors naming the config key.
func (c *Config) multusNetworks(subnetsOf func(multus.NetworkSettings) []multus.Subnet) ([]multus.Network, error) {
	networks, err := multus.PlanNetworks(c.Multus, c.Cluster.NodeInstanceType, subnetsOf)
	var fe *field.Error
	if errors.As(err, &fe) {
		return nil, settings.Errors(keyPrefix, field.ErrorList{fe})
	}
	return networks, err
}

// ZoneCount is how many availability zones the stack uses.
func (c *Config) ZoneCount() int {
	if len(c.Vpc.AvailabilityZones) > 0 {
		return len(c.Vpc.AvailabilityZones)
	}
	return c.Vpc.AvailabilityZoneCount
}

// VpcInput is the VPC plan input this configuration implies, for the given zones. DNS64 in the private
// subnets follows ipv4Egress, so the VPC and the cluster's add-on cannot disagree.
func (c *Config) VpcInput(zones []string) netplan.VpcInput {
	return c.Vpc.Input(zones, c.Ipv6Cluster() && c.Ipv4Egress.UsesNat64())
}

func placeholderZones(c *Config) []string {
	if len(c.Vpc.AvailabilityZones) > 0 {
		return c.Vpc.AvailabilityZones
	}
	zones := make([]string, c.ZoneCount())
	for i := range zones {
		zones[i] = fmt.Sprintf("%s%c", c.Region, 'a'+i)
	}
	return zones
}

// VerifyInput is what the checks follow: the same switches the resources are built from, and the
// Multus networks the stack built (the first one's demo pod is checked).
func (c *Config) VerifyInput(networks []multus.Network) verify.Input {
	in := verify.Input{Image: c.BusyboxImage, KubernetesVersion: c.Cluster.KubernetesVersion}
	if c.Ipv6Cluster() {
		// Validation has refused targets that do not parse.
		ipv4, ipv6, _ := c.VerifyTargets.Targets()
		in.Ipv6 = &verify.Ipv6Input{NodeSnat: c.Ipv4Egress.NodeSnat(), Nat64: c.Ipv4Egress.UsesNat64(), Ipv4Target: ipv4, Ipv6Target: ipv6}
	}
	if c.DemoApps {
		in.Policy = &verify.PolicyInput{
			Calico:     c.PolicyEngine == clusterspec.PolicyEngineCalico,
			Enforced:   c.PolicyEngine != clusterspec.PolicyEngineNone,
			DenyEgress: c.DenyEgressPolicy, AllowDns: c.AllowDnsEgress,
		}
	}
	if c.Multus.Enabled && c.Multus.DemoPod && len(networks) > 0 {
		in.Multus = &verify.MultusInput{Network: networks[0]}
	}
	return in
}
