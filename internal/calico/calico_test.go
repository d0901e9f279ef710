package calico

import (
	"strings"
	"testing"
)

func TestEksValues(t *testing.T) {
	m, err := EksValues().Map()
	if err != nil {
		t.Fatal(err)
	}
	inst := m["installation"].(map[string]any)
	if inst["kubernetesProvider"] != "EKS" || inst["cni"].(map[string]any)["type"] != "AmazonVPC" ||
		inst["calicoNetwork"].(map[string]any)["bgp"] != "Disabled" || inst["enabled"] != true {
		t.Errorf("installation %v", inst)
	}
	if m["apiServer"].(map[string]any)["enabled"] != true || m["whisker"].(map[string]any)["enabled"] != false {
		t.Errorf("values %v", m)
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
