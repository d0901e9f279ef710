package netplan

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The limits AWS sets are inclusive: a /16 and a /28 VPC, six zones, a subnet as large as the VPC's
// share allows and as small as /28, a /64 IPv6 block. One step past each is refused.
func TestLimitsAreInclusive(t *testing.T) {
	for cidr, ok := range map[string]bool{"10.0.0.0/16": true, "10.0.0.0/28": true, "10.0.0.0/15": false, "10.0.0.0/29": false} {
		if _, err := ParseVpcCidr(cidr); (err == nil) != ok {
			t.Errorf("ParseVpcCidr(%s): %v, want ok %v", cidr, err, ok)
		}
	}
	zones := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, "us-east-1"+string(rune('a'+i)))
		}
		return out
	}
	if err := ValidateAvailabilityZones("us-east-1", zones(MaxAvailabilityZones)); err != nil {
		t.Errorf("%d zones: %v", MaxAvailabilityZones, err)
	}
	if err := ValidateAvailabilityZones("us-east-1", zones(MaxAvailabilityZones+1)); err == nil {
		t.Errorf("%d zones accepted", MaxAvailabilityZones+1)
	}
	vpc, _ := ParseVpcCidr("10.0.0.0/16")
	for _, c := range []struct {
		prefix, zones int
		field         string // "" when accepted
	}{
		{17, 1, ""},                    // exactly the two subnets one zone needs
		{28, 3, ""},                    // the smallest subnet AWS makes
		{29, 1, KeySubnetPrefixLength}, // smaller than that
		{16, 1, KeyCidrBlock},          // the VPC's own size: in range, but one subnet does not fit two
		{15, 1, KeySubnetPrefixLength}, // larger than the VPC
		{17, 2, KeyCidrBlock},          // two zones need four
	} {
		err := checkSubnetPrefix(vpc, c.prefix, c.zones)
		var fe *field.Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("/%d for %d zones: %v", c.prefix, c.zones, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("/%d for %d zones: %v, want an error on %s", c.prefix, c.zones, err, c.field)
		}
	}
	// The error names the prefix that would fit: 2 zones need 4 subnets, which a /18 gives.
	if err := checkSubnetPrefix(vpc, 17, 2); err == nil || !strings.Contains(err.Error(), "holds 2 subnets of /17 but 2 availability zones need 4") ||
		!strings.HasSuffix(err.Error(), KeySubnetPrefixLength+" 18") {
		t.Errorf("the advice: %v", err)
	}
	for block, ok := range map[string]bool{"2a05:d014:ec6:2f00::/64": true, "2a05:d014:ec6:2f00::/65": false} {
		if _, err := SubnetIpv6Cidr(block, 0); (err == nil) != ok {
			t.Errorf("SubnetIpv6Cidr(%s, 0): %v, want ok %v", block, err, ok)
		}
	}
}

// A public and a private subnet per zone need 2 × zones slots: the bits that split the block so.
func TestSubnetBitsFor(t *testing.T) {
	for zones, want := range map[int]int{1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 6: 4} {
		if got := subnetBitsFor(zones); got != want || 1<<got < 2*zones {
			t.Errorf("subnetBitsFor(%d) = %d, want %d", zones, got, want)
		}
	}
}

// SubnetsOf returns exactly one tier, in zone order.
func TestSubnetsOf(t *testing.T) {
	p, err := PlanVpc(chapterInput())
	if err != nil {
		t.Fatal(err)
	}
	for _, tier := range []Tier{Public, Private} {
		got := p.SubnetsOf(tier)
		if len(got) != len(threeAzs) {
			t.Fatalf("%s: %d subnets, want %d", tier, len(got), len(threeAzs))
		}
		for i, s := range got {
			if s.Tier != tier || s.AvailabilityZone != threeAzs[i] {
				t.Errorf("%s[%d] is %s in %s", tier, i, s.Tier, s.AvailabilityZone)
			}
		}
	}
}
