// Package config is the one place stack configuration is read: it decodes the raw key/value pairs
// strictly (an unknown key is an error), applies the defaults that Pulumi.yaml also declares, and
// checks each feature's settings and the rules between them. Every error names the key, the value
// and what would be valid. What the settings imply, the VPC's layout and the Multus networks in it
// among them, is derived and checked next by internal/blueprint, still before any resource registers.
//
// keys.go composes every key from the features' Settings (Pulumi.yaml is generated from them);
// decode.go reads them strictly; validate.go and access.go (API endpoint) run each feature's
// Validate and the rules that span features; scenarios.go is the table of scenarios.
package config

import (
	"eks-advanced-networking/internal/calico"
	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/lbcontroller"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
	"eks-advanced-networking/internal/verify"
)

// Project is the Pulumi project name and so the namespace of our config keys.
const Project = "eks-advanced-networking"

// Ipv4Egress is how pods of an IPv6 cluster reach IPv4-only destinations.
type Ipv4Egress string

const (
	// Ipv4EgressNodeSnat is the VPC CNI's ENABLE_V4_EGRESS path: each pod gets a v4if0 address from
	// 169.254.172.0/22 and the node SNATs it to its own IPv4 address.
	Ipv4EgressNodeSnat Ipv4Egress = "node-snat"
	// Ipv4EgressNat64 turns on DNS64 in the private subnets and routes 64:ff9b::/96 to the NAT gateway.
	Ipv4EgressNat64 Ipv4Egress = "nat64"
	// Ipv4EgressBoth is the chapter's setup: node SNAT and DNS64/NAT64 together.
	Ipv4EgressBoth Ipv4Egress = "both"
	// Ipv4EgressNone gives IPv6 pods no path to IPv4.
	Ipv4EgressNone Ipv4Egress = "none"
)

// Ipv4EgressModes lists the valid modes.
var Ipv4EgressModes = []Ipv4Egress{Ipv4EgressNodeSnat, Ipv4EgressNat64, Ipv4EgressBoth, Ipv4EgressNone}

// ClusterMode says whether the program creates the cluster or brings its Kubernetes layer to one
// that exists.
type ClusterMode string

// The cluster modes.
const (
	ClusterModeCreate   ClusterMode = "create"
	ClusterModeExisting ClusterMode = "existing"
)

// NodeSnat says whether pods of an IPv6 cluster get the VPC CNI's v4if0 path (ENABLE_V4_EGRESS).
func (e Ipv4Egress) NodeSnat() bool { return e == Ipv4EgressNodeSnat || e == Ipv4EgressBoth }

// UsesNat64 says whether the mode needs DNS64 and the NAT64 route in the private subnets.
func (e Ipv4Egress) UsesNat64() bool { return e == Ipv4EgressNat64 || e == Ipv4EgressBoth }

// Config is the decoded, defaulted and validated stack configuration.
type Config struct {
	Scenario Scenario
	Region   string // aws:region
	Profile  string // aws:profile, optional
	// Vpc is the VPC's settings (netplan.Keys, netplan.DnsKeys).
	Vpc        netplan.Settings
	Ipv4Egress Ipv4Egress

	// Cluster is the EKS cluster's settings (clusterspec.Keys).
	Cluster clusterspec.Settings

	// LoadBalancerController installs the AWS Load Balancer Controller.
	LoadBalancerController bool
	// LoadBalancer is the controller's own settings (lbcontroller.Keys).
	LoadBalancer lbcontroller.Settings
	// LoadBalancerDemo is the demo load balancer's (lbcontroller.DemoKeys).
	LoadBalancerDemo lbcontroller.DemoSettings

	PolicyEngine clusterspec.PolicyEngine
	// Calico is the Calico policy engine's own settings (calico.Keys).
	Calico           calico.Settings
	DemoApps         bool
	DenyEgressPolicy bool
	AllowDnsEgress   bool

	// Multus is the secondary networks' settings (multus.Keys, multus.ExistingClusterKeys).
	Multus multus.Settings

	// BusyboxImage runs every pod this project writes itself: the demos, the checks, their targets.
	BusyboxImage string

	ClusterMode ClusterMode
	Kubeconfig  string
	SkipAwait   bool

	// Verify ends `pulumi up` with the chapter's checks (internal/verify).
	Verify bool
	// VerifyTargets are the servers the IPv6 checks reach (verify.Keys).
	VerifyTargets verify.Settings

	// Warnings are worth telling the user but do not stop the deployment (paid extended support, an
	// API endpoint open to the internet).
	Warnings []string
}
