// Package components holds this project's Pulumi components: DualStackVpc, Ipv6Cluster and
// Ipv4Cluster (one core, cluster*.go), CalicoPolicyEngine, NetworkPolicyDemo, MultusNetwork,
// LoadBalancerController and LoadBalancerDemo.
//
// They are a Go library, not a publishable multi-language component package: their Args carry Go
// values the scenarios compute (netplan.VpcPlan, multus.Network, *DualStackVpc, *eks.Cluster), and
// some results are Go-only handles behind methods (ClusterParts.Ready, EksCluster,
// NodePrerequisites; CalicoPolicyEngine.Ready) for composing components in one program. Every
// component has the same shape: NewX(ctx, name, *XArgs, opts...) validates its Args before it
// registers anything, registers the type token eks-advanced-networking:<area>:<Name>, parents every
// child to itself, and ends with RegisterResourceOutputs. A layout is computed by pure functions
// (netplan.PlanVpc, multus.PlanNetworks, the clusterspec rules), which the components either call
// or, for the VPC and the Multus networks, take the results of, so the stack's checks and the
// resources read one plan; the components translate it into resources.
package components
