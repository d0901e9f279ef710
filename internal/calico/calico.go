// Package calico holds how Calico is installed on EKS today: the tigera-operator Helm chart from
// Tigera's repository, with its CRDs from their own chart (the operator chart stopped shipping them in
// v3.32), and Helm values for the Amazon VPC CNI (policy-only) mode. Sources: docs.tigera.io, "Amazon
// Elastic Kubernetes Service (EKS)" (Installation kubernetesProvider EKS, cni AmazonVPC, bgp
// Disabled) and the v3.33 upgrade notes (CRDs outside the operator chart).
package calico

import (
	"fmt"
	"regexp"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"eks-advanced-networking/internal/helmchart"
	"eks-advanced-networking/internal/workload"
)

const (
	// Repository is Tigera's Helm chart repository.
	Repository = "https://docs.tigera.io/calico/charts"
	// OperatorChart is the operator's chart.
	OperatorChart = "tigera-operator"
	// CrdChart holds the CRDs of both API groups (crd.projectcalico.org, operator.tigera.io); it is
	// installed first.
	CrdChart = "crd.projectcalico.org.v1"
	// Namespace is where the operator runs; it installs Calico itself into calico-system, which the
	// operator creates and labels.
	Namespace = workload.TigeraOperatorNamespace
	// DefaultVersion is the chart version (Calico's release) installed unless configured: the newest
	// release, v3.33.1 of 2026-11-16 (github.com/projectcalico/calico/releases).
	DefaultVersion = "v3.33.1"
	// OciRepository is the same charts on quay.io.
	OciRepository = "oci://quay.io/calico/charts"
	// StatusCommand is the chapter's check that Calico is up.
	StatusCommand = "kubectl get tigerastatus/calico"
)

// NamespaceObject is the operator's namespace (Helm v4 charts do not create theirs), at the Pod
// Security level workload.Exceptions gives it and says why.
func NamespaceObject() *corev1.Namespace {
	return workload.Namespace(Namespace, workload.LevelOf(Namespace), nil)
}

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

// Values are the tigera-operator chart values we set: the operator alone. The chart can also render
// the Installation and APIServer (and Goldmane, Whisker), but Pulumi's Helm v4 Chart runs no Helm
// hooks (pulumi-kubernetes #3284), so the chart's pre-delete Job that deletes them while the operator
// still runs never runs; deleted together with the operator, the Installation keeps the operator's
// finalizer and destroy hangs (tigera/operator #2031), and the API server's APIService is left behind
// (projectcalico/calico #8695). The component declares those objects itself, depending on the
// operator, so Pulumi deletes them first.
type Values struct {
	APIServer    Toggle `json:"apiServer"`
	Goldmane     Toggle `json:"goldmane"`
	Installation Toggle `json:"installation"`
	Whisker      Toggle `json:"whisker"`
}

// Toggle switches a chart component on or off.
type Toggle struct {
	Enabled bool `json:"enabled"`
}

// OperatorValues are the chart values: every custom resource the chart could render is off. The
// flow aggregator and its UI (Goldmane, Whisker) are not installed at all, to keep the footprint small
// on two t3.medium nodes.
func OperatorValues() Values { return Values{} }

// Map renders the values as the plain map a Helm chart takes.
func (v Values) Map() (map[string]any, error) { return helmchart.Values(v) }

// OperatorAPIVersion is the operator's API group and version.
const OperatorAPIVersion = "operator.tigera.io/v1"

// Installation is the operator's Installation resource (operator.tigera.io/v1), the fields we set.
type Installation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              InstallationSpec `json:"spec"`
}

// InstallationSpec is Calico for EKS with the VPC CNI doing the networking.
type InstallationSpec struct {
	CalicoNetwork Network `json:"calicoNetwork"`
	CNI           CNI     `json:"cni"`
	// KubeletVolumePluginPath "None" turns Calico's CSI driver off. Unset, the operator deploys a CSI
	// DaemonSet (a pod on every node, against a t3.medium's 17); Tigera's own chart sets "None"
	// (tigera-operator values.yaml, installation.kubeletVolumePluginPath).
	KubeletVolumePluginPath string `json:"kubeletVolumePluginPath"`
	KubernetesProvider      string `json:"kubernetesProvider"`
}

// NoCsiDriver is the KubeletVolumePluginPath that turns the CSI driver off.
const NoCsiDriver = "None"

// Network turns BGP off: the VPC routes pod addresses (the operator refuses BGP with a
// non-Calico CNI).
type Network struct {
	BGP string `json:"bgp"`
}

// CNI names the CNI plugin Calico runs beside.
type CNI struct {
	Type string `json:"type"`
}

// APIServer is the operator's APIServer resource: the projectcalico.org/v3 API that calicoctl and
// kubectl use for Calico's own objects. Its spec has no required fields.
type APIServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct{} `json:"spec"`
}

// EksInstallation is the Installation for policy-only Calico on EKS: kubernetesProvider EKS,
// cni.type AmazonVPC, BGP off, no CSI driver. The operator reconciles only the Installation named default.
func EksInstallation() Installation {
	return Installation{
		TypeMeta:   metav1.TypeMeta{APIVersion: OperatorAPIVersion, Kind: "Installation"},
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec: InstallationSpec{
			KubernetesProvider:      "EKS",
			CNI:                     CNI{Type: "AmazonVPC"},
			CalicoNetwork:           Network{BGP: "Disabled"},
			KubeletVolumePluginPath: NoCsiDriver,
		},
	}
}

// DefaultAPIServer is the APIServer named default, the one the operator reconciles.
func DefaultAPIServer() APIServer {
	return APIServer{
		TypeMeta:   metav1.TypeMeta{APIVersion: OperatorAPIVersion, Kind: "APIServer"},
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
	}
}

// ParseChartSource reads calicoChartRepository: Tigera's repository, an OCI registry, or a local
// directory holding both charts at the given version.
func ParseChartSource(repository, version string) (helmchart.Source, error) {
	return helmchart.Parse(repository, version, Repository, CrdChart, OperatorChart)
}
