package config

import (
	"slices"

	"eks-advanced-networking/internal/clusterspec"
)

// Scenario names a composition in stacks/.
type Scenario string

// The scenarios; ScenarioSpecs says what each is.
const (
	ScenarioIpv6       Scenario = "ipv6"
	ScenarioIpv4Calico Scenario = "ipv4-calico"
	ScenarioIpv4Multus Scenario = "ipv4-multus"
)

// ScenarioSpec is what a scenario is. Validation and the stacks ask this table, never a scenario's
// name: a new scenario is one entry here (and its composition in stacks/, if the IP family's
// composition does not fit).
type ScenarioSpec struct {
	Name Scenario
	// IpFamily is the cluster's. IPv6 clusters need an IPv6 VPC; only their pods need an IPv4 egress
	// path (ipv4Egress); Multus's secondary networks are IPv4.
	IpFamily clusterspec.IpFamily
	// RequiresMultus: the scenario is the Multus network, so multus must be on.
	RequiresMultus bool
}

// ScenarioSpecs are the scenarios main.go can run.
var ScenarioSpecs = []ScenarioSpec{
	{Name: ScenarioIpv6, IpFamily: clusterspec.Ipv6},
	{Name: ScenarioIpv4Calico, IpFamily: clusterspec.Ipv4},
	{Name: ScenarioIpv4Multus, IpFamily: clusterspec.Ipv4, RequiresMultus: true},
}

// Scenarios lists the scenario names.
var Scenarios = func() []Scenario {
	names := make([]Scenario, len(ScenarioSpecs))
	for i, s := range ScenarioSpecs {
		names[i] = s.Name
	}
	return names
}()

// Spec is the scenario's entry in ScenarioSpecs, and whether it has one.
func (s Scenario) Spec() (ScenarioSpec, bool) {
	i := slices.IndexFunc(ScenarioSpecs, func(spec ScenarioSpec) bool { return spec.Name == s })
	if i < 0 {
		return ScenarioSpec{}, false
	}
	return ScenarioSpecs[i], true
}

// ScenarioSpec is the configured scenario's entry (the zero spec for an unknown one, which Validate
// refuses).
func (c *Config) ScenarioSpec() ScenarioSpec {
	spec, _ := c.Scenario.Spec()
	return spec
}

// Ipv6Cluster says whether the scenario's cluster is IPv6.
func (c *Config) Ipv6Cluster() bool { return c.ScenarioSpec().IpFamily == clusterspec.Ipv6 }
