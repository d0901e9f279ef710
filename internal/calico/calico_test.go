package calico

import (
	"encoding/json"
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
	const want = `{"kind":"Installation","apiVersion":"operator.tigera.io/v1","metadata":{"name":"default"},"spec":{"calicoNetwork":{"bgp":"Disabled"},"cni":{"type":"AmazonVPC"},"kubeletVolumePluginPath":"None","kubernetesProvider":"EKS"}}`
	if string(got) != want {
		t.Errorf("Installation\n got %s\nwant %s", got, want)
	}
}

// Calico's local directory must hold both of its charts (internal/helmchart tests the rest).
func TestParseChartSource(t *testing.T) {
	if _, err := ParseChartSource(t.TempDir(), DefaultVersion); err == nil || !strings.Contains(err.Error(), "crd.projectcalico.org.v1 and tigera-operator") {
		t.Errorf("a directory without Calico's charts: %v", err)
	}
	if s, err := ParseChartSource(OciRepository, DefaultVersion); err != nil || s.Chart(OperatorChart) != OciRepository+"/"+OperatorChart {
		t.Errorf("OCI: %+v %v", s, err)
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

// Validate names the key at fault, as the stack file spells it, and checks the charts' source only
// for a version it accepts; an empty repository is Tigera's.
func TestSettingsValidate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings Settings
		field    string
		detail   string
	}{
		{"the defaults", Settings{Version: DefaultVersion, ChartRepository: Repository}, "", ""},
		{"no repository", Settings{Version: DefaultVersion}, "", ""},
		{"OCI", Settings{Version: DefaultVersion, ChartRepository: OciRepository}, "", ""},
		{"no v", Settings{Version: "3.33.1", ChartRepository: "charts"}, KeyVersion, "with the v"},
		{"too old", Settings{Version: "v3.31.0"}, KeyVersion, "v3.32.0 or later"},
		{"a relative directory", Settings{Version: DefaultVersion, ChartRepository: "charts"}, KeyChartRepository, "absolute path"},
	} {
		errs := tc.settings.Validate()
		if tc.field == "" {
			if len(errs) != 0 {
				t.Errorf("%s: %v", tc.name, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Field != tc.field || !strings.Contains(errs[0].Detail, tc.detail) {
			t.Errorf("%s: %v, want one error of %s saying %q", tc.name, errs, tc.field, tc.detail)
		}
	}
}
