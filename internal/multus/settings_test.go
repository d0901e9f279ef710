package multus

import (
	"reflect"
	"strings"
	"testing"

	"eks-advanced-networking/internal/netplan"
)

// Every key decodes into its own field of Settings, and only into it.
func TestKeysDecodeIntoTheirField(t *testing.T) {
	raw := map[string]string{
		KeyEnabled: "true", KeyAvailabilityZones: `["eu-central-1b"]`, KeyRanges: `["192.168.128.20-192.168.128.40"]`,
		KeySubnetTier: "public", KeyNodesPerAz: "1", KeyAttachment: "instances", KeyInstanceIds: `["i-0123456789abcdef0"]`,
		KeyImage: "registry.example/multus:v4", KeyDemoPod: "true", KeySubnetCidrs: `["192.168.128.0/19"]`,
	}
	want := Settings{Enabled: true, AvailabilityZones: []string{"eu-central-1b"}, Ranges: []string{"192.168.128.20-192.168.128.40"},
		SubnetTier: netplan.Public, NodesPerAz: 1, Attachment: AttachInstances, InstanceIds: []string{"i-0123456789abcdef0"},
		Image: "registry.example/multus:v4", DemoPod: true, SubnetCidrs: []string{"192.168.128.0/19"}}
	var got Settings
	seen := map[string]bool{}
	for _, k := range append(append(Keys[:0:0], Keys...), ExistingClusterKeys...) {
		if seen[k.Name] {
			t.Errorf("%s is listed twice", k.Name)
		}
		seen[k.Name] = true
		before := got
		if err := k.Decode(&got, raw[k.Name]); err != nil {
			t.Fatalf("%s = %s: %v", k.Name, raw[k.Name], err)
		}
		if reflect.DeepEqual(before, got) && k.Name != KeyNodesPerAz {
			t.Errorf("%s changed nothing", k.Name)
		}
	}
	if len(seen) != len(raw) {
		t.Errorf("the keys are %v, want those of %v", seen, raw)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v\nwant %+v", got, want)
	}
}

func TestSettingsValidate(t *testing.T) {
	chapter := Settings{Enabled: true, SubnetTier: netplan.Private, NodesPerAz: 1, Attachment: AttachNodeGroup}
	if errs := chapter.Validate(); len(errs) != 0 {
		t.Errorf("the chapter's settings: %v", errs)
	}
	for _, tc := range []struct {
		name   string
		change func(*Settings)
		key    string
		says   string
	}{
		{"a tier the VPC has not", func(s *Settings) { s.SubnetTier = "isolated" }, KeySubnetTier, "use private or public"},
		{"an attachment nobody knows", func(s *Settings) { s.Attachment = "lambda" }, KeyAttachment, "use node-group or instances"},
		{"instances for a node group", func(s *Settings) { s.InstanceIds = []string{"i-0123456789abcdef0"} }, KeyInstanceIds, "set multusAttachment to instances"},
		{"one instance for two zones", func(s *Settings) {
			s.Attachment, s.AvailabilityZones = AttachInstances, []string{"eu-central-1a", "eu-central-1b"}
			s.InstanceIds = []string{"i-0123456789abcdef0"}
		}, KeyInstanceIds, "one instance per Multus zone (2)"},
		{"not an instance id", func(s *Settings) { s.Attachment, s.InstanceIds = AttachInstances, []string{"web-1"} }, KeyInstanceIds, "not an instance id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := chapter
			tc.change(&s)
			errs := s.Validate()
			if len(errs) != 1 || errs[0].Field != tc.key || !strings.Contains(errs[0].Detail, tc.says) {
				t.Errorf("errors %v, want one on %s saying %q", errs, tc.key, tc.says)
			}
		})
	}
}

func TestInstanceDeviceIndex(t *testing.T) {
	for _, tc := range []struct {
		name     string
		attached []AttachedInterface
		want     int
	}{
		{"a fresh instance: only its primary", []AttachedInterface{{DeviceIndex: 0}}, 1},
		{"the VPC CNI holds 1", []AttachedInterface{{DeviceIndex: 0}, {DeviceIndex: 1}}, 2},
		{"a gap below the CNI's last", []AttachedInterface{{DeviceIndex: 0}, {DeviceIndex: 2}}, 1},
		{"ours at 2 stays at 2", []AttachedInterface{{DeviceIndex: 0}, {DeviceIndex: 1}, {DeviceIndex: 2, Ours: true}}, 2},
		{"ours at 1 stays, though listed after another", []AttachedInterface{{DeviceIndex: 0}, {DeviceIndex: 1, Ours: true}}, 1},
	} {
		if got := InstanceDeviceIndex(tc.attached); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// The keys describe one network, the chapter's, and planning the settings plans it in the subnets of
// its own tier: ipvlan-private in the zones named, addresses 20 to 40 of each.
func TestTheKeysDescribeOneNetwork(t *testing.T) {
	s := Settings{Enabled: true, SubnetTier: netplan.Private, NodesPerAz: 1, Attachment: AttachNodeGroup,
		AvailabilityZones: []string{"eu-central-1a", "eu-central-1c"}}
	networks := s.Networks()
	if len(networks) != 1 || networks[0].Name != "ipvlan-private" || networks[0].SubnetTier != netplan.Private {
		t.Fatalf("networks %+v, want the chapter's ipvlan-private", networks)
	}
	var asked []netplan.Tier
	got, err := PlanNetworks(s, nodeOf("t3.medium"), func(n NetworkSettings) []Subnet { asked = append(asked, n.SubnetTier); return privateSubnets })
	if err != nil {
		t.Fatal(err)
	}
	var names, subnets, ranges []string
	for _, n := range got {
		names = append(names, n.Name)
		subnets = append(subnets, n.Subnet.String())
		ranges = append(ranges, n.RangeStart.String()+"-"+n.RangeEnd.String())
	}
	if !reflect.DeepEqual(names, []string{"ipvlan-private-a", "ipvlan-private-c"}) ||
		!reflect.DeepEqual(subnets, []string{"192.168.96.0/19", "192.168.160.0/19"}) ||
		!reflect.DeepEqual(ranges, []string{"192.168.96.20-192.168.96.40", "192.168.160.20-192.168.160.40"}) ||
		!reflect.DeepEqual(asked, []netplan.Tier{netplan.Private}) {
		t.Errorf("planned %v in %v with ranges %v (subnets asked for %v), want the chapter's network in zones a and c", names, subnets, ranges, asked)
	}
	given := GivenSubnets(NetworkSettings{AvailabilityZones: []string{"eu-central-1b"}, SubnetCidrs: []string{"10.0.32.0/19"}})
	if !reflect.DeepEqual(given, []Subnet{{"eu-central-1b", "10.0.32.0/19"}}) {
		t.Errorf("given subnets %v", given)
	}
}
