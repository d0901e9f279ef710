package calico

import (
	"cmp"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/helmchart"
	"eks-advanced-networking/internal/settings"
)

// Settings are Calico's stack-file keys, as internal/config decodes them and CalicoPolicyEngine
// takes them.
type Settings struct {
	// Version is the tigera-operator chart version (Calico's release), e.g. v3.33.1.
	Version string
	// ChartRepository is where the charts come from: Repository, OciRepository, a mirror, or an
	// absolute local directory holding both charts. Empty means Repository.
	ChartRepository string
}

// The keys' names, which are also the field paths of Validate's errors.
const (
	KeyVersion         = "calicoVersion"
	KeyChartRepository = "calicoChartRepository"
)

// Keys are Calico's keys, in the order the docs list them.
var Keys = []settings.Key[Settings]{
	{Name: KeyVersion, Type: "string", Default: DefaultVersion,
		Description: "tigera-operator Helm chart version (Calico release) when policyEngine is calico, e.g. v3.33.1.",
		Decode:      func(s *Settings, raw string) error { s.Version = raw; return nil }},
	{Name: KeyChartRepository, Type: "string", Default: Repository,
		Description: "Where the Calico charts come from: Tigera's repository (https://docs.tigera.io/calico/charts), oci://quay.io/calico/charts, a mirror of either, or a local directory holding tigera-operator/ and crd.projectcalico.org.v1/ (air-gapped).",
		Decode:      func(s *Settings, raw string) error { s.ChartRepository = raw; return nil }},
}

// Validate checks the version, then where the charts of that version come from.
func (s Settings) Validate() field.ErrorList {
	if err := ValidateVersion(s.Version); err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(KeyVersion), s.Version, err.Error())}
	}
	if _, err := s.ChartSource(); err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(KeyChartRepository), s.ChartRepository, err.Error())}
	}
	return nil
}

// ChartSource is where the charts of Version come from.
func (s Settings) ChartSource() (helmchart.Source, error) {
	return ParseChartSource(cmp.Or(s.ChartRepository, Repository), s.Version)
}
