package config

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/calico"
	"eks-advanced-networking/internal/clusterspec"
)

// policyEngineSettings are the settings of the policy engines that have their own, an entry per
// engine: its keys, decoded into its field of Config, and its Validate, which counts only when the
// engine is the one chosen. Both the project's keys and validation read this list, so an engine is
// listed here once (see the README's "How to add a policy engine").
var policyEngineSettings = []struct {
	engine   clusterspec.PolicyEngine
	keys     []Key
	validate func(*Config) field.ErrorList
}{
	{clusterspec.PolicyEngineCalico, section(calico.Keys, func(c *Config) *calico.Settings { return &c.Calico }),
		func(c *Config) field.ErrorList { return c.Calico.Validate() }},
}

// policyEngineKeys are the engines' own keys, in the list's order.
func policyEngineKeys() []Key {
	var keys []Key
	for _, e := range policyEngineSettings {
		keys = append(keys, e.keys...)
	}
	return keys
}

// chosenEngineErrors are the chosen engine's own settings' errors.
func (c *Config) chosenEngineErrors() field.ErrorList {
	for _, e := range policyEngineSettings {
		if e.engine == c.PolicyEngine {
			return e.validate(c)
		}
	}
	return nil
}
