package clusterspec

// IpFamily is a cluster's IP family, as EKS spells it (kubernetesNetworkConfig.ipFamily).
type IpFamily string

// The IP families.
const (
	Ipv4 IpFamily = "ipv4"
	Ipv6 IpFamily = "ipv6"
)
