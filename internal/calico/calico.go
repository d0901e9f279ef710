// Package calico holds how Calico is installed on EKS today: the tigera-operator Helm chart from
// Tigera's repository, with its CRDs from their own chart (the operator chart stopped shipping them in
// v3.32), and Helm values for the Amazon VPC CNI (policy-only) mode. Sources: docs.tigera.io, "Amazon
// Elastic Kubernetes Service (EKS)" (Installation kubernetesProvider EKS, cni AmazonVPC, bgp
// Disabled) and the v3.33 upgrade notes (CRDs outside the operator chart).
package calico

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
)

const (
	// Repository is Tigera's Helm chart repository.
	Repository = "https://docs.tigera.io/calico/charts"
	// OperatorChart and CrdChart are the two charts, installed CRDs first.
	OperatorChart = "tigera-operator"
	CrdChart      = "crd.projectcalico.org.v1"
	// Namespace is where the operator runs; it installs Calico itself into calico-system.
	Namespace = "tigera-operator"
	// DefaultVersion is the chart version (Calico's release) installed unless configured.
	DefaultVersion = "v3.33.0"
	// StatusCommand is the chapter's check that Calico is up.
	StatusCommand = "kubectl get tigerastatus/calico"
)

// minMinor is the first release whose CRDs come from the CRD chart this install uses.
const minMinor = 32

var versionPattern = regexp.MustCompile(`^v3\.([0-9]+)\.([0-9]+)$`)

// ValidateVersion checks a chart version such as v3.33.0.
func ValidateVersion(v string) error {
	m := versionPattern.FindStringSubmatch(v)
	if m == nil {
		return fmt.Errorf("not a Calico chart version; versions look like %s (with the v)", DefaultVersion)
	}
	if minor, _ := strconv.Atoi(m[1]); minor < minMinor {
		return fmt.Errorf("releases before v3.%d.0 ship their CRDs inside the operator chart, which this install does not handle; use v3.%d.0 or later", minMinor, minMinor)
	}
	return nil
}

// Values are the tigera-operator chart values we set. installation becomes the Installation
// resource's spec.
type Values struct {
	APIServer    Toggle       `json:"apiServer"`
	Goldmane     Toggle       `json:"goldmane"`
	Installation Installation `json:"installation"`
	Whisker      Toggle       `json:"whisker"`
}

// Installation is the operator's Installation spec for EKS with the VPC CNI doing the networking.
type Installation struct {
	CalicoNetwork      CalicoNetwork `json:"calicoNetwork"`
	CNI                CNI           `json:"cni"`
	Enabled            bool          `json:"enabled"`
	KubernetesProvider string        `json:"kubernetesProvider"`
}

// CalicoNetwork turns BGP off: the VPC routes pod addresses.
type CalicoNetwork struct {
	BGP string `json:"bgp"`
}

// CNI names the CNI plugin Calico runs beside.
type CNI struct {
	Type string `json:"type"`
}

// Toggle switches a chart component on or off.
type Toggle struct {
	Enabled bool `json:"enabled"`
}

// EksValues are the values for policy-only Calico on EKS. The API server stays on (calicoctl and the
// projectcalico.org/v3 API need it); the flow aggregator and its UI (goldmane, whisker) stay off to
// keep the footprint small on two t3.medium nodes.
func EksValues() Values {
	return Values{
		APIServer: Toggle{Enabled: true},
		Installation: Installation{
			Enabled:            true,
			KubernetesProvider: "EKS",
			CNI:                CNI{Type: "AmazonVPC"},
			CalicoNetwork:      CalicoNetwork{BGP: "Disabled"},
		},
	}
}

// Map renders the values as the plain map a Helm chart takes.
func (v Values) Map() (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(raw, &m)
}
