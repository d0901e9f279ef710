package multus

import (
	"strings"
	"testing"
)

// A change of attachment is refused only where the update would meet an ENI that another holder
// keeps until its end.
func TestAnAttachmentChangeIsRefusedWhileTheOldHolderHasTheEni(t *testing.T) {
	privateA := []Network{{Name: "ipvlan-private-a", AvailabilityZone: "eu-central-1a"}}
	publicA := []Network{{Name: "ipvlan-public-a", AvailabilityZone: "eu-central-1a"}}
	const fixed, groupNode = "i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2"
	onGroupNode := RunningEni{ID: "eni-1", Network: "ipvlan-private-a", Attachment: AttachNodeGroup, Instance: groupNode}
	onFixed := RunningEni{ID: "eni-1", Network: "ipvlan-private-a", Attachment: AttachInstances, Instance: fixed}
	for _, tc := range []struct {
		name      string
		mode      Attachment
		networks  []Network
		instances []string
		running   []RunningEni
		says      []string // empty: allowed
	}{
		{"first up", AttachInstances, privateA, []string{fixed}, nil, nil},
		{"node group kept", AttachNodeGroup, privateA, nil, []RunningEni{onGroupNode}, nil},
		{"fixed instance kept", AttachInstances, privateA, []string{fixed}, []RunningEni{onFixed}, nil},
		{"another fixed instance: the attachment is replaced, detached first", AttachInstances, privateA, []string{"i-0ccccccccccccccc3"}, []RunningEni{onFixed}, nil},
		{"node group to instances", AttachInstances, privateA, []string{fixed}, []RunningEni{onGroupNode},
			[]string{"multusAttachment", `"instances"`, "eni-1", groupNode, fixed, "InvalidNetworkInterface.InUse", "change multusSubnetTier in the same update"}},
		{"instances to node group", AttachNodeGroup, privateA, nil, []RunningEni{onFixed},
			[]string{"multusAttachment", `"node-group"`, "eni-1", "fixed instance " + fixed, "change multusSubnetTier in the same update"}},
		{"node group to instances naming the group's own node", AttachInstances, privateA, []string{groupNode}, []RunningEni{onGroupNode},
			[]string{"attached to " + groupNode + " by its node group"}},
		{"node group to instances with a new subnet tier", AttachInstances, publicA, []string{fixed}, []RunningEni{onGroupNode}, nil},
		{"instances to node group with a new subnet tier", AttachNodeGroup, publicA, nil, []RunningEni{onFixed}, nil},
		{"node group to instances while the ENI is free", AttachInstances, privateA, []string{fixed},
			[]RunningEni{{ID: "eni-1", Network: "ipvlan-private-a", Attachment: AttachNodeGroup}}, nil},
		{"an ENI from before the tag", AttachInstances, privateA, []string{fixed},
			[]RunningEni{{ID: "eni-1", Network: "ipvlan-private-a", Instance: groupNode}}, nil},
		{"the second zone's ENI", AttachInstances,
			append(publicA, Network{Name: "ipvlan-private-b", AvailabilityZone: "eu-central-1b"}), []string{fixed, "i-0ddddddddddddddd4"},
			[]RunningEni{{ID: "eni-2", Network: "ipvlan-private-b", Attachment: AttachNodeGroup, Instance: groupNode}},
			[]string{"eni-2", "ipvlan-private-b", "i-0ddddddddddddddd4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fe := CheckAttachmentChange(tc.mode, tc.networks, tc.instances, tc.running)
			if len(tc.says) == 0 {
				if fe != nil {
					t.Fatalf("refused: %v", fe)
				}
				return
			}
			if fe == nil {
				t.Fatal("allowed")
			}
			for _, s := range tc.says {
				if !strings.Contains(fe.Error(), s) {
					t.Errorf("%q does not say %q", fe.Error(), s)
				}
			}
		})
	}
}

// A fixed instance keeps the index of its network's own ENI; another network's ENI on it (the zone's
// old one, while the network moves to another subnet tier) holds an index the new one cannot take.
func TestANetworkHoldsOnlyItsOwnEni(t *testing.T) {
	n := Network{Name: "ipvlan-public-a", AvailabilityZone: "eu-central-1a"}
	ours := map[string]string{"multus": "true", "cluster": "eks-c", "Zone": "eu-central-1a", NetworkTag: "ipvlan-public-a"}
	with := func(k, v string) map[string]string {
		tags := map[string]string{}
		for key, value := range ours {
			tags[key] = value
		}
		if v == "" {
			delete(tags, k)
		} else {
			tags[k] = v
		}
		return tags
	}
	for _, tc := range []struct {
		name string
		tags map[string]string
		want bool
	}{
		{"its ENI", ours, true},
		{"from before the network tag", with(NetworkTag, ""), true},
		{"the zone's ENI of another tier", with(NetworkTag, "ipvlan-private-a"), false},
		{"another cluster's", with("cluster", "eks-other"), false},
		{"another zone's", with("Zone", "eu-central-1b"), false},
		{"not Multus", with("multus", ""), false},
	} {
		if got := n.HoldsEni(tc.tags, "eks-c"); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// The instance holds the old network's ENI at 2: the new one goes to 3, not onto it.
	attached := []AttachedInterface{{DeviceIndex: 1}, {DeviceIndex: 2, Ours: n.HoldsEni(with(NetworkTag, "ipvlan-private-a"), "eks-c")}}
	if got := InstanceDeviceIndex(attached); got != 3 {
		t.Errorf("the new network's ENI goes to index %d, want 3", got)
	}
}
