package clusterspec

import (
	"fmt"
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

// LookupEniLimit returns the limits of an instance type from the VPC CNI's own table
// (awsdata_gen.go).
func LookupEniLimit(instanceType string) (EniLimit, error) {
	if l, ok := instanceEniLimits[instanceType]; ok {
		return l, nil
	}
	if err := CheckInstanceType(instanceType); err != nil {
		return EniLimit{}, err
	}
	return EniLimit{}, fmt.Errorf("the VPC CNI's table (%s) has no ENI limits for %s, an older or newer type; pick another", awsDataSources, instanceType)
}

// CheckInstanceType says whether EC2 has an instance type of this name, suggesting the closest names
// when it does not: a typo would otherwise fail when the node group is created, minutes into
// `pulumi up`.
func CheckInstanceType(name string) error {
	if _, found := slices.BinarySearch(instanceTypeNames, name); found {
		return nil
	}
	return fmt.Errorf("EC2 has no instance type %s%s", name, suggest(name, instanceTypeNames))
}

// CheckRegion says whether AWS has a region of this name (the SDKs' partition data, awsdata_gen.go).
func CheckRegion(region string) error {
	if _, ok := awsRegions[region]; ok {
		return nil
	}
	names := make([]string, 0, len(awsRegions))
	for r := range awsRegions {
		names = append(names, r)
	}
	slices.Sort(names)
	return fmt.Errorf("AWS has no region %s%s", region, suggest(region, names))
}

// suggest names the known values closest to a mistyped one.
func suggest(bad string, known []string) string {
	best, bestDistance := []string{}, 3 // more than two edits away is no typo
	for _, k := range known {
		switch d := editDistance(bad, k); {
		case d < bestDistance:
			best, bestDistance = []string{k}, d
		case d == bestDistance:
			best = append(best, k)
		}
	}
	if len(best) == 0 || len(best) > 5 {
		return ""
	}
	return "; did you mean " + strings.Join(best, " or ") + "?"
}

// editDistance is the Levenshtein distance between two names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// PrefixModeMaxPods is kubelet's pod limit with the VPC CNI's IPv4 prefix delegation, AWS's formula
// (amazon-eks-ami max-pods-calculator.sh; EKS User Guide, "Assign more IP addresses to Amazon EKS
// nodes with prefixes"): each ENI slot but the primary address holds a /28, 16 addresses, so
// ENIs x ((IPv4 per ENI - 1) x 16) + 2, capped at EKS's recommended ceiling: 110 up to 30 vCPUs,
// 250 above.
func PrefixModeMaxPods(l EniLimit, vcpus int) int {
	ceiling := 110
	if vcpus > 30 {
		ceiling = 250
	}
	return min(l.Enis*((l.Ipv4PerEni-1)*16)+2, ceiling)
}

// PrefixesPerNode is how many /28 prefixes a node in prefix mode holds when it runs maxPods pods:
// one per 16 pod addresses, plus warmPrefixTarget spare (amazon-vpc-cni-k8s docs/prefix-and-ip-target.md).
func PrefixesPerNode(maxPods, warmPrefixTarget int) int {
	return (maxPods+15)/16 + warmPrefixTarget
}

// PrefixBlocksPerSubnet is how many whole /28 prefixes a subnet of the given prefix length can hand
// out. EC2 reserves a subnet's first four addresses and its last one, so the first and last /28 are
// never whole; prefixes need whole, aligned /28s (EC2 fails with InsufficientCidrBlocks otherwise).
func PrefixBlocksPerSubnet(prefixLength int) int {
	if prefixLength > 28 {
		return 0
	}
	return max(0, 1<<(28-prefixLength)-2)
}
