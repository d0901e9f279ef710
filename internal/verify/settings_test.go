package verify

import (
	"strings"
	"testing"
)

// Each target that does not parse is one error, naming its key; the IPv4 one must be a name.
func TestSettingsValidate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings Settings
		want     []string // "key: part of the detail", in order
	}{
		{"the defaults", Settings{Ipv4Target: DefaultIpv4Target, Ipv6Target: DefaultIpv6Target}, nil},
		{"an address for the IPv6 one", Settings{Ipv4Target: DefaultIpv4Target, Ipv6Target: "[2001:db8::1]:80"}, nil},
		{"no port", Settings{Ipv4Target: "ipv4.google.com", Ipv6Target: DefaultIpv6Target}, []string{KeyIpv4Target + ": not host:port"}},
		{"both bad", Settings{Ipv4Target: "", Ipv6Target: "ipv6.google.com"}, []string{KeyIpv4Target + ": not host:port", KeyIpv6Target + ": not host:port"}},
	} {
		errs := tc.settings.Validate()
		if len(errs) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, errs, tc.want)
			continue
		}
		for i, w := range tc.want {
			key, detail, _ := strings.Cut(w, ": ")
			if errs[i].Field != key || !strings.Contains(errs[i].Detail, detail) {
				t.Errorf("%s: error %d is %v, want %s", tc.name, i, errs[i], w)
			}
		}
	}
}
