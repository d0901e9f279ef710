package clusterspec

import "slices"

// PolicyEngine enforces Kubernetes NetworkPolicies: Calico, the VPC CNI's own agent, or nothing.
// There is exactly one per cluster. Config, the cluster and the stacks ask PolicyEngineSpecs what an
// engine needs; adding an engine is a constant and its entry here, its component (if it is installed
// into the cluster, with its line in stacks/kubernetes.go), and its test.
type PolicyEngine string

// The engines: none, the VPC CNI's own agent, Calico.
const (
	PolicyEngineNone   PolicyEngine = "none"
	PolicyEngineVpcCni PolicyEngine = "vpc-cni"
	PolicyEngineCalico PolicyEngine = "calico"
)

// V4EgressGap is how an engine stands to the path IPv6 pods take to IPv4 with the VPC CNI's
// ENABLE_V4_EGRESS (v4if0, SNAT on the node), which no engine filters (aws-network-policy-agent #55).
type V4EgressGap int

const (
	// V4EgressNotApplicable means the engine enforces nothing.
	V4EgressNotApplicable V4EgressGap = iota
	// V4EgressUnfiltered means the engine runs, but policies do not restrict that path (a warning).
	V4EgressUnfiltered
	// V4EgressUnsupported means the engine does not support IPv6 pods with that path on (refused).
	V4EgressUnsupported
)

// PolicyEngineSpec is what an engine asks of the cluster.
type PolicyEngineSpec struct {
	Engine PolicyEngine
	// Name is the engine's name in messages.
	Name string
	// VpcCniAgent turns the vpc-cni add-on's own policy agent on (enableNetworkPolicy); with any
	// other engine it stays off, said explicitly.
	VpcCniAgent bool
	// AnnotatePodIP makes the VPC CNI annotate pods with their IP (ANNOTATE_POD_IP), as AWS advises
	// for Calico.
	AnnotatePodIP bool
	// InCluster: a component installs the engine into the cluster (a Kubernetes layer).
	InCluster bool
	// V4Egress is how the engine stands to IPv6 pods' v4if0 path.
	V4Egress V4EgressGap
}

// PolicyEngineSpecs are the engines.
var PolicyEngineSpecs = []PolicyEngineSpec{
	{Engine: PolicyEngineCalico, Name: "Calico", AnnotatePodIP: true, InCluster: true, V4Egress: V4EgressUnsupported},
	{Engine: PolicyEngineVpcCni, Name: "the VPC CNI's policy agent", VpcCniAgent: true, V4Egress: V4EgressUnfiltered},
	{Engine: PolicyEngineNone, Name: "no policy engine"},
}

// Enforces says whether anything enforces policies with this engine.
func (s PolicyEngineSpec) Enforces() bool { return s.VpcCniAgent || s.InCluster }

// PolicyEngines lists the valid engines.
var PolicyEngines = func() []PolicyEngine {
	engines := make([]PolicyEngine, len(PolicyEngineSpecs))
	for i, s := range PolicyEngineSpecs {
		engines[i] = s.Engine
	}
	return engines
}()

// Valid says whether e is one of PolicyEngines.
func (e PolicyEngine) Valid() bool { return slices.Contains(PolicyEngines, e) }

// Spec is the engine's entry in PolicyEngineSpecs (the zero spec, which asks for nothing, for an
// invalid engine, which validation refuses).
func (e PolicyEngine) Spec() PolicyEngineSpec {
	i := slices.IndexFunc(PolicyEngineSpecs, func(s PolicyEngineSpec) bool { return s.Engine == e })
	if i < 0 {
		return PolicyEngineSpec{}
	}
	return PolicyEngineSpecs[i]
}
