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
