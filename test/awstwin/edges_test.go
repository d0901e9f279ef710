package awstwin

import (
	"net/netip"
	"testing"
)

// A VPC's IPv4 block is /16 to /28 with its host bits clear (API_CreateVpc), taken at both ends; a
// subnet's is at most a /28 and at most the VPC's own block (API_CreateSubnet).
func TestBlockSizesAtTheirEdges(t *testing.T) {
	for _, tc := range []struct {
		cidr string
		ok   bool
	}{
		{"10.0.0.0/16", true}, {"10.0.0.0/28", true},
		{"10.0.0.0/15", false}, {"10.0.0.0/29", false},
		{"10.0.0.1/16", false}, {"2001:db8::/56", false}, {"10.0.0.0", false},
	} {
		a := NewAccount("eu-central-1")
		_, err := a.Create(typeVpc, map[string]any{"cidrBlock": tc.cidr})
		if tc.ok && err != nil {
			t.Errorf("VPC %s refused: %v", tc.cidr, err)
		}
		if !tc.ok {
			wantCode(t, err, "InvalidVpc.Range", tc.cidr)
		}
	}
	for _, tc := range []struct {
		cidr string
		ok   bool
	}{
		{"10.0.0.0/16", true}, {"10.0.255.240/28", true},
		{"10.0.0.0/15", false}, {"10.0.0.0/29", false}, {"10.1.0.0/24", false},
	} {
		a := NewAccount("eu-central-1")
		vpc := mustCreate(t, a, typeVpc, map[string]any{"cidrBlock": "10.0.0.0/16"})
		_, err := a.Create(typeSubnet, map[string]any{"vpcId": vpc, "cidrBlock": tc.cidr, "availabilityZone": "eu-central-1a"})
		if tc.ok && err != nil {
			t.Errorf("subnet %s refused: %v", tc.cidr, err)
		}
		if !tc.ok {
			wantCode(t, err, "InvalidSubnet.Range", tc.cidr)
		}
	}
}

// Every Elastic IP gets its own public address, from the twin's pool (3.64.0.0/10, not AWS's
// published ranges): no two allocations share one, as on EC2.
func TestElasticIpsGetDistinctAddresses(t *testing.T) {
	a := NewAccount("eu-central-1")
	pool := netip.MustParsePrefix("3.64.0.0/10")
	seen := map[netip.Addr]string{}
	for range 600 {
		id := mustCreate(t, a, typeEip, map[string]any{"domain": "vpc"})
		r := a.Resources[id]
		ip, err := netip.ParseAddr(r.str("publicIp"))
		if err != nil || !pool.Contains(ip) {
			t.Fatalf("%s has public address %q, not one of the pool %s", id, r.str("publicIp"), pool)
		}
		if other, ok := seen[ip]; ok {
			t.Fatalf("%s and %s share %s", other, id, ip)
		}
		seen[ip] = id
		if r.str("allocationId") != id || r.str("domain") != "vpc" {
			t.Errorf("%s: %v", id, r.Outputs)
		}
	}
}
