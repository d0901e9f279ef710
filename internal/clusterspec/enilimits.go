package clusterspec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// EniLimit is what an instance type allows per elastic network interface.
type EniLimit struct {
	// Enis is how many network interfaces the instance takes.
	Enis int
	// Ipv4PerEni counts the interface's primary address too; every other slot holds a secondary
	// address or, on Nitro instances, a /28 prefix.
	Ipv4PerEni int
	Nitro      bool
}

// SecondarySlots is how many secondary addresses (or /28 prefixes) one interface holds.
func (l EniLimit) SecondarySlots() int { return l.Ipv4PerEni - 1 }

// MaxPods is the VPC CNI's pod limit, ENIs x (IPv4 per ENI - 1) + 2, with reserved ENIs held back
// (a Multus ENI tagged node.k8s.amazonaws.com/no_manage is invisible to the CNI, which would otherwise
// count it and tell kubelet to admit more pods than it can address).
func (l EniLimit) MaxPods(reserved int) int {
	return (l.Enis-reserved)*(l.Ipv4PerEni-1) + 2
}

// EniLimits are the limits of common instance types. Source: amazon-vpc-cni-k8s
// pkg/vpc/vpc_ip_resource_limit.go (t3.*, c5.large) and misc/eni-max-pods.txt, whose max pods match
// ENIs x (IPv4 per ENI - 1) + 2 for the rest. Add a type here, with its source, to use it for Multus.
var EniLimits = map[string]EniLimit{
	"t3.small":  {3, 4, true},
	"t3.medium": {3, 6, true},
	"t3.large":  {3, 12, true},
	"t3.xlarge": {4, 15, true},
	"c5.large":  {3, 10, true},
	"m5.large":  {3, 10, true},
	"m5.xlarge": {4, 15, true},
	"m6i.large": {3, 10, true},
}

// LookupEniLimit returns the limits of an instance type, or an error listing the known types.
func LookupEniLimit(instanceType string) (EniLimit, error) {
	if l, ok := EniLimits[instanceType]; ok {
		return l, nil
	}
	known := slices.Sorted(maps.Keys(EniLimits))
	return EniLimit{}, fmt.Errorf("no ENI limits recorded for %s; known types: %s (internal/clusterspec/enilimits.go)", instanceType, strings.Join(known, ", "))
}
