package helmchart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	charts := t.TempDir()
	for _, chart := range []string{"crds", "operator"} {
		if err := os.MkdirAll(filepath.Join(charts, chart), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(charts, chart, "Chart.yaml"), []byte("apiVersion: v2\nname: "+chart+"\nversion: v1.2.3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const example = "https://charts.example"
	for _, tc := range []struct {
		repository, version string
		want                Source
		chart               string
	}{
		{example, "v1.2.4", Source{Repository: example}, "operator"},
		{"oci://registry.example/charts/", "v1.2.4", Source{Prefix: "oci://registry.example/charts/"}, "oci://registry.example/charts/operator"},
		{charts, "v1.2.3", Source{Prefix: charts + "/", Local: true}, charts + "/operator"},
	} {
		got, err := Parse(tc.repository, tc.version, example, "crds", "operator")
		if err != nil {
			t.Errorf("%s: %v", tc.repository, err)
			continue
		}
		if got != tc.want || got.Chart("operator") != tc.chart {
			t.Errorf("%s: %+v (chart %s), want %+v (chart %s)", tc.repository, got, got.Chart("operator"), tc.want, tc.chart)
		}
	}
	for _, tc := range []struct{ repository, version, says string }{
		{charts, "v1.2.4", "set the version to v1.2.3"},
		{t.TempDir(), "v1.2.3", "must hold the crds and operator chart(s)"},
		{"charts/local", "v1.2.3", "absolute path"},
		{"oci://", "v1.2.3", "not an OCI reference"},
		{"https://", "v1.2.3", "not a repository URL; repositories look like https://charts.example"},
		{"", "v1.2.3", "empty"},
	} {
		if _, err := Parse(tc.repository, tc.version, example, "crds", "operator"); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q at %s: err = %v, want one saying %q", tc.repository, tc.version, err, tc.says)
		}
	}
}
