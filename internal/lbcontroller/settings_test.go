package lbcontroller

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Each rule names the key at fault, as the stack file spells it; the chart's source is checked only
// for a version the rules accept.
func TestSettingsValidate(t *testing.T) {
	good := Settings{Version: DefaultVersion, ChartRepository: Repository}
	for _, tc := range []struct {
		name     string
		settings Settings
		path     string
		detail   string
	}{
		{"the defaults", good, "", ""},
		{"no repository", Settings{Version: DefaultVersion}, "", ""},
		{"a role", Settings{Version: DefaultVersion, RoleArn: "arn:aws:iam::123456789012:role/lbc"}, "", ""},
		{"a v", Settings{Version: "v3.5.0", ChartRepository: "charts"}, KeyVersion, "without a v"},
		{"a relative directory", Settings{Version: DefaultVersion, ChartRepository: "charts"}, KeyChartRepository, "absolute path"},
		{"a user for a role", Settings{Version: DefaultVersion, RoleArn: "arn:aws:iam::123456789012:user/lbc"}, KeyRoleArn, "not an IAM role ARN"},
	} {
		assertOneError(t, tc.name, tc.settings.Validate(), tc.path, tc.detail)
	}
}

func TestDemoSettingsValidate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings DemoSettings
		path     string
		detail   string
	}{
		{"nothing set", DemoSettings{}, "", ""},
		{"dual-stack, both families", DemoSettings{IpAddressType: DualStack, SourceRanges: []string{"198.51.100.7/32", "2001:db8::/64"}}, "", ""},
		{"another front end", DemoSettings{IpAddressType: "ipv6"}, KeyIpAddressType, "use dualstack or ipv4"},
		{"not a block", DemoSettings{SourceRanges: []string{"198.51.100.7"}}, KeySourceRanges, "not a CIDR block"},
		{"host bits", DemoSettings{SourceRanges: []string{"198.51.100.7/24"}}, KeySourceRanges, "did you mean 198.51.100.0/24?"},
	} {
		assertOneError(t, tc.name, tc.settings.Validate(), tc.path, tc.detail)
	}
}

// assertOneError: no error when field is empty, else exactly one, of field, saying detail.
func assertOneError(t *testing.T, name string, errs field.ErrorList, path, detail string) {
	t.Helper()
	if path == "" {
		if len(errs) != 0 {
			t.Errorf("%s: %v", name, errs)
		}
		return
	}
	if len(errs) != 1 || errs[0].Field != path || !strings.Contains(errs[0].Detail, detail) {
		t.Errorf("%s: %v, want one error of %s saying %q", name, errs, path, detail)
	}
}
