package clusterspec

// IpFamily is a cluster's IP family, as EKS spells it (kubernetesNetworkConfig.ipFamily).
type IpFamily string

const (
	Ipv4 IpFamily = "ipv4"
	Ipv6 IpFamily = "ipv6"
)
