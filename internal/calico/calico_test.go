package calico

import (
	"eks-advanced-networking/internal/helmchart"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The chart renders the operator only: the custom resources it could render would be deleted
// together with the operator on destroy, without the pre-delete hook Pulumi does not run.
func TestOperatorValuesRenderNoCustomResources(t *testing.T) {
	m, err := OperatorValues().Map()
	if err != nil {
		t.Fatal(err)
	}
	for _, cr := range []string{"installation", "apiServer", "goldmane", "whisker"} {
		if toggle, ok := m[cr].(map[string]any); !ok || toggle["enabled"] != false {
			t.Errorf("values.%s = %v, want enabled: false", cr, m[cr])
		}
	}
}

func TestEksInstallation(t *testing.T) {
	got, err := json.Marshal(EksInstallation())
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"kind":"Installation","apiVersion":"operator.tigera.io/v1","metadata":{"name":"default"},"spec":{"calicoNetwork":{"bgp":"Disabled"},"cni":{"type":"AmazonVPC"},"kubernetesProvider":"EKS"}}`
	if string(got) != want {
		t.Errorf("Installation\n got %s\nwant %s", got, want)
	}
}

func TestParseChartSource(t *testing.T) {
	charts := t.TempDir()
	for _, chart := range []string{CrdChart, OperatorChart} {
		if err := os.MkdirAll(filepath.Join(charts, chart), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(charts, chart, "Chart.yaml"), []byte("apiVersion: v2\nname: "+chart+"\nversion: v3.32.1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		repository, version string
		want                helmchart.Source
		chart               string
	}{
		{Repository, "v3.33.1", helmchart.Source{Repository: Repository}, OperatorChart},
		{OciRepository, "v3.33.1", helmchart.Source{Prefix: OciRepository + "/"}, OciRepository + "/" + OperatorChart},
		{charts, "v3.32.1", helmchart.Source{Prefix: charts + "/", Local: true}, charts + "/" + OperatorChart},
	} {
		got, err := ParseChartSource(tc.repository, tc.version)
		if err != nil {
			t.Errorf("%s: %v", tc.repository, err)
			continue
		}
		if got != tc.want || got.Chart(OperatorChart) != tc.chart {
			t.Errorf("%s: %+v (chart %s), want %+v (chart %s)", tc.repository, got, got.Chart(OperatorChart), tc.want, tc.chart)
		}
	}
	for _, tc := range []struct{ repository, version, says string }{
		{charts, "v3.33.1", "set the version to v3.32.1"},
		{t.TempDir(), "v3.32.1", "must hold the crd.projectcalico.org.v1 and tigera-operator chart(s)"},
		{"charts/calico", "v3.32.1", "absolute path"},
		{"oci://", "v3.33.1", "not an OCI reference"},
		{"", "v3.33.1", "empty"},
	} {
		if _, err := ParseChartSource(tc.repository, tc.version); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q at %s: err = %v, want one saying %q", tc.repository, tc.version, err, tc.says)
		}
	}
}

func TestValidateVersion(t *testing.T) {
	for _, ok := range []string{"v3.33.0", "v3.32.2", "v3.40.1"} {
		if err := ValidateVersion(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for bad, says := range map[string]string{
		"3.33.0": "with the v", "v3.33": "with the v", "latest": "with the v", "v3.31.3": "v3.32.0 or later", "v2.0.0": "with the v",
	} {
		if err := ValidateVersion(bad); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: err = %v, want one saying %q", bad, err, says)
		}
	}
}
