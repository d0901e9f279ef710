package netplan

import (
	"reflect"
	"strings"
	"testing"
)

// Every key decodes into its own field of Settings, and Input carries them into the plan's input.
func TestVpcKeysDecodeIntoTheirField(t *testing.T) {
	raw := map[string]string{
		KeyCidrBlock: "10.20.0.0/16", KeyIpv6: "false", KeyAvailabilityZoneCount: "2", KeyAvailabilityZones: `["eu-central-1a","eu-central-1b"]`,
		KeySubnetPrefixLength: "20", KeyNatGateways: "per-az", KeyPublicDns64: "true",
	}
	var got Settings
	seen := map[string]bool{}
	for _, k := range append(append(Keys[:0:0], Keys...), DnsKeys...) {
		seen[k.Name] = true
		before := got
		if err := k.Decode(&got, raw[k.Name]); err != nil {
			t.Fatalf("%s = %s: %v", k.Name, raw[k.Name], err)
		}
		if reflect.DeepEqual(before, got) && k.Name != KeyIpv6 {
			t.Errorf("%s changed nothing", k.Name)
		}
	}
	if len(seen) != len(raw) {
		t.Errorf("the keys are %v, want those of %v", seen, raw)
	}
	want := VpcInput{CidrBlock: "10.20.0.0/16", AvailabilityZones: []string{"eu-central-1c"}, SubnetPrefixLength: 20,
		NatGateways: NatGatewayPerAz, PublicDns64: true, PrivateDns64: true}
	if in := got.Input([]string{"eu-central-1c"}, true); !reflect.DeepEqual(in, want) {
		t.Errorf("input %+v\nwant %+v", in, want)
	}
}

func TestVpcSettingsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Settings
		key  string
		says string
	}{
		{"three zones counted", Settings{AvailabilityZoneCount: 3}, "", ""},
		{"one zone counted", Settings{AvailabilityZoneCount: 1}, KeyAvailabilityZoneCount, "use 2 to 6"},
		{"seven zones counted", Settings{AvailabilityZoneCount: 7}, KeyAvailabilityZoneCount, "use 2 to 6"},
		{"one zone named", Settings{AvailabilityZoneCount: 3, AvailabilityZones: []string{"eu-central-1a"}}, KeyAvailabilityZones, "at least 2 zones"},
		{"named zones win over the count", Settings{AvailabilityZoneCount: 0, AvailabilityZones: []string{"eu-central-1a", "eu-central-1b"}}, "", ""},
	} {
		errs := tc.s.Validate()
		switch {
		case tc.key == "" && len(errs) != 0:
			t.Errorf("%s: %v", tc.name, errs)
		case tc.key != "" && (len(errs) != 1 || errs[0].Field != tc.key || !strings.Contains(errs[0].Detail, tc.says)):
			t.Errorf("%s: %v, want one error on %s saying %q", tc.name, errs, tc.key, tc.says)
		}
	}
}
