package clusterspec

import "slices"

// PolicyEngine enforces Kubernetes NetworkPolicies: Calico, the VPC CNI's own agent, or nothing.
// There is exactly one per cluster. Config and the components both speak this type; a new engine is
// a constant here, its entry in PolicyEngines, its component and its test.
type PolicyEngine string

// The engines: none, the VPC CNI's own agent, Calico.
const (
	PolicyEngineNone   PolicyEngine = "none"
	PolicyEngineVpcCni PolicyEngine = "vpc-cni"
	PolicyEngineCalico PolicyEngine = "calico"
)

// PolicyEngines lists the valid engines.
var PolicyEngines = []PolicyEngine{PolicyEngineCalico, PolicyEngineVpcCni, PolicyEngineNone}

// Valid says whether e is one of PolicyEngines.
func (e PolicyEngine) Valid() bool { return slices.Contains(PolicyEngines, e) }
