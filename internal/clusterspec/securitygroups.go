package clusterspec

// SecurityGroup names one of the cluster's two security groups.
type SecurityGroup string

// The two groups.
const (
	ControlPlaneGroup SecurityGroup = "control-plane"
	NodeGroup         SecurityGroup = "nodes"
)

// Peer is the other side of a rule.
type Peer string

// The peers a rule can name.
const (
	PeerSelf    Peer = "self"  // the same group
	PeerOther   Peer = "other" // the cluster's other group
	PeerAnyIpv4 Peer = "0.0.0.0/0"
	PeerAnyIpv6 Peer = "::/0"
)

// SecurityGroupRule is one rule of the cluster's security groups. Protocol "-1" means all traffic.
type SecurityGroupRule struct {
	Name             string
	Group            SecurityGroup
	Ingress          bool
	Protocol         string
	FromPort, ToPort int
	Peer             Peer
	Description      string
}

// ClusterSecurityGroupRules are the rules of the control plane's and the nodes' security groups,
// after eksctl's: nodes talk to each other freely, the control plane reaches kubelets (10250) and
// pods (webhooks) on 443 and 1025-65535, nodes reach the API server on 443, and nodes may go out to
// anywhere. With ipv6, nodes may also go out over IPv6: pulumi-eks v2's groups allow 0.0.0.0/0 only,
// which leaves CoreDNS on an IPv6 cluster unable to reach its upstream (pulumi-eks #1700). Nothing is
// open to the internet for ingress.
func ClusterSecurityGroupRules(ipv6 bool) []SecurityGroupRule {
	rules := []SecurityGroupRule{
		{"nodes-from-nodes", NodeGroup, true, "-1", 0, 0, PeerSelf, "Node to node and pod to pod"},
		{"nodes-from-control-plane-https", NodeGroup, true, "tcp", 443, 443, PeerOther, "Control plane to webhooks on pods"},
		{"nodes-from-control-plane", NodeGroup, true, "tcp", 1025, 65535, PeerOther, "Control plane to kubelets and pods"},
		{"nodes-to-anywhere-ipv4", NodeGroup, false, "-1", 0, 0, PeerAnyIpv4, "Nodes and pods to anywhere over IPv4"},
	}
	if ipv6 {
		rules = append(rules, SecurityGroupRule{"nodes-to-anywhere-ipv6", NodeGroup, false, "-1", 0, 0, PeerAnyIpv6, "Nodes and pods to anywhere over IPv6"})
	}
	return append(rules,
		SecurityGroupRule{"control-plane-from-nodes", ControlPlaneGroup, true, "tcp", 443, 443, PeerOther, "Nodes and pods to the API server"},
		SecurityGroupRule{"control-plane-to-nodes-https", ControlPlaneGroup, false, "tcp", 443, 443, PeerOther, "API server to webhooks on pods"},
		SecurityGroupRule{"control-plane-to-nodes", ControlPlaneGroup, false, "tcp", 1025, 65535, PeerOther, "API server to kubelets and pods"},
	)
}
