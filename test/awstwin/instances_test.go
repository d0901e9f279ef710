package awstwin

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// nodesOf launches a node group of instanceType in an IPv4 or IPv6 cluster whose vpc-cni add-on has
// the configuration values cniConfig ("" for none), and returns its account and instances in order.
// maxPods, unless 0, is set in the nodes' user data.
func nodesOf(t *testing.T, ipFamily, instanceType, cniConfig string, count, maxPods int) (*network, []*Instance) {
	t.Helper()
	n, second := eksNet(t)
	a := n.a
	cluster := mustCreate(t, a, typeCluster, map[string]any{"name": "chapter", "version": "1.35", "roleArn": "cluster-role",
		"vpcConfig": map[string]any{"subnetIds": []any{n.subnet, second}}, "kubernetesNetworkConfig": map[string]any{"ipFamily": ipFamily}})
	if cniConfig != "" {
		a.Settle(time.Now().Add(time.Hour))
		mustCreate(t, a, typeAddon, map[string]any{"clusterName": cluster, "addonName": "vpc-cni", "configurationValues": cniConfig})
	}
	group := map[string]any{"clusterName": cluster, "nodeGroupName": "nodes", "nodeRoleArn": "node-role",
		"subnetIds": []any{n.subnet}, "instanceTypes": []any{instanceType},
		"scalingConfig": map[string]any{"minSize": 1.0, "desiredSize": float64(count), "maxSize": float64(count)}}
	if maxPods > 0 {
		userData := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "kubelet:\n  config:\n    maxPods: %d\n", maxPods))
		group["launchTemplate"] = map[string]any{"id": mustCreate(t, a, typeLaunchTemplate, map[string]any{"name": "nodes", "userData": userData}), "version": "1"}
	}
	ng, err := a.Create(typeNodeGroup, group)
	if err != nil {
		t.Fatal(err)
	}
	a.trackNodes(ng, nodeChange{added: a.NodesFor(ng)})
	var out []*Instance
	for _, node := range stringList(ng.Outputs["nodeNames"]) {
		inst := a.instanceOfNode(node)
		if inst == nil {
			t.Fatalf("node %s has no instance", node)
		}
		out = append(out, inst)
	}
	return n, out
}

// instanceOfNode is the instance a node runs on, or nil.
func (a *Account) instanceOfNode(node string) *Instance {
	for _, id := range slices.Sorted(maps.Keys(a.Instances)) {
		if a.Instances[id].Node == node {
			return a.Instances[id]
		}
	}
	return nil
}

// indexes are the device indexes of the interfaces attached to an instance beside its primary.
func indexes(a *Account, instance string) []int {
	var out []int
	for _, eni := range a.attachedTo(instance) {
		out = append(out, deviceIndexOf(eni))
	}
	slices.Sort(out)
	return out
}

func TestAnInstanceIsItsNodesMachine(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 1, 0)
	inst := instances[0]
	if !strings.HasPrefix(inst.ID, "i-") || inst.Zone != "eu-central-1a" || inst.SubnetID != n.subnet || inst.InstanceType != "t3.medium" || inst.Cluster == "" ||
		inst.PrimaryEni == "" {
		t.Errorf("instance %+v", inst)
	}
	// Its private address is in its subnet.
	block, _ := prefixOf(n.a.Resources[n.subnet].str("cidrBlock"))
	addr, err := netip.ParseAddr(inst.PrivateIP)
	if err != nil || !block.Contains(addr) {
		t.Errorf("private address %q is not in the subnet's %s", inst.PrivateIP, block)
	}
}

// EC2's refusals of an attach: AWS's codes and messages.
func TestAttachNetworkInterfaceRefusesAsEc2Does(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 2, 0) // t3.medium: 3 interfaces
	a, first, second := n.a, instances[0].ID, instances[1].ID
	eni := func(subnet string) string {
		return mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": subnet, "tags": map[string]any{"multus": "true"}})
	}
	multus, spare, extra := eni(n.subnet), eni(n.subnet), eni(n.subnet)
	if _, err := a.AttachNetworkInterface(multus, first, 1); err != nil {
		t.Fatal(err)
	}
	_, err := a.AttachNetworkInterface(multus, second, 1)
	wantCode(t, err, "InvalidNetworkInterface.InUse", "Interface: ["+multus+"] in use.")
	_, err = a.AttachNetworkInterface(spare, first, 1)
	wantCode(t, err, "InvalidParameterValue", "Instance '"+first+"' already has an interface attached at device index '1'.")
	_, err = a.AttachNetworkInterface(spare, first, 0)
	wantCode(t, err, "InvalidParameterValue", "at device index '0'")
	if _, err := a.AttachNetworkInterface(spare, first, 2); err != nil {
		t.Fatal(err)
	}
	_, err = a.AttachNetworkInterface(extra, first, 3)
	wantCode(t, err, "AttachmentLimitExceeded", "Interface count 4 exceeds the limit for t3.medium")
	_, err = a.AttachNetworkInterface(extra, "i-0nothere", 1)
	wantCode(t, err, "InvalidInstanceID.NotFound", "i-0nothere")
	_, err = a.AttachNetworkInterface("eni-0nothere", second, 1)
	wantCode(t, err, "InvalidNetworkInterfaceID.NotFound", "eni-0nothere")
	v6 := a.Resources[n.vpc].Outputs["ipv6CidrBlock"].(string)
	otherZone := mustCreate(t, a, typeSubnet, map[string]any{"vpcId": n.vpc, "cidrBlock": "192.168.64.0/19",
		"ipv6CidrBlock": v6[:len(v6)-len("00::/56")] + "02::/64", "availabilityZone": "eu-central-1c"})
	_, err = a.AttachNetworkInterface(eni(otherZone), second, 1)
	wantCode(t, err, "InvalidParameterValue", "same availability zone")
	if got := indexes(a, first); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("%s holds interfaces at %v after the refusals, want 1 and 2", first, got)
	}
}

// The ENIs the VPC CNI attaches as pods arrive, against the table in amazon-vpc-cni-k8s v1.23.0
// docs/eni-and-ip-target.md (t3.small, WARM_ENI_TARGET 1: 0 pods 1 ENI, 5 pods 3, 9 pods 3), and
// what the Multus ENI changes: it takes a slot the CNI leaves alone, and a device index.
func TestTheVpcCnisEnisFollowItsWarmTarget(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pods      []int // pod counts the node goes through
		multusAt  int   // a Multus ENI attached at this index first; 0 for none
		wantIndex []int // device indexes held afterwards, beside the primary's
		cniConfig string
		maxPods   int
	}{
		{"no pods: the primary ENI's addresses are the warm ENI", []int{0}, 0, nil, "", 0},
		{"the first pod: a second ENI", []int{1}, 0, []int{1}, "", 0},
		{"5 pods: 3 ENIs", []int{5}, 0, []int{1, 2}, "", 0},
		{"9 pods: still 3, the type's limit", []int{9}, 0, []int{1, 2}, "", 0},
		{"pods arriving one by one end where 5 at once do", []int{1, 2, 3, 4, 5}, 0, []int{1, 2}, "", 0},
		{"the Multus ENI at 1: the CNI's goes to 2, and one fewer fits", []int{5}, 1, []int{1, 2}, "", 0},
		{"WARM_ENI_TARGET 0: a new ENI only when no address is left", []int{2}, 0, nil, `{"env":{"WARM_ENI_TARGET":"0"}}`, 0},
		{"WARM_ENI_TARGET 0, every address taken", []int{3}, 0, []int{1}, `{"env":{"WARM_ENI_TARGET":"0"}}`, 0},
		{"no more addresses than the node's pods (maxPods 6)", []int{5}, 0, []int{1}, "", 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, instances := nodesOf(t, "ipv4", "t3.small", tc.cniConfig, 1, tc.maxPods)
			a, inst := n.a, instances[0]
			if tc.multusAt > 0 {
				multus := mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": n.subnet,
					"tags": map[string]any{"multus": "true", "node.k8s.amazonaws.com/no_manage": "true"}})
				if _, err := a.AttachNetworkInterface(multus, inst.ID, tc.multusAt); err != nil {
					t.Fatal(err)
				}
			}
			for _, pods := range tc.pods {
				a.GrowVpcCniEnis(map[string]int{inst.Node: pods})
			}
			if got := indexes(a, inst.ID); !slices.Equal(got, tc.wantIndex) {
				t.Errorf("interfaces at %v, want %v", got, tc.wantIndex)
			}
			cni := a.live(typeNetworkInterface, func(e *Record) bool { return e.Outputs["deleteOnTermination"] == true })
			for _, eni := range cni {
				if eni.Owner != inst.ID || strOf(object(eni.Inputs["tags"]), "node.k8s.amazonaws.com/instance_id") != inst.ID {
					t.Errorf("the CNI's %s: owner %s, tags %v", eni.ID, eni.Owner, eni.Inputs["tags"])
				}
			}
		})
	}
}

// A Multus unit that read the free indexes before the CNI took one loses the race at the attach, as
// on EC2, and the next look finds the next index free.
func TestTheVpcCniCanTakeTheIndexTheMultusUnitChose(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 1, 0)
	a, inst := n.a, instances[0]
	multus := mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": n.subnet,
		"tags": map[string]any{"multus": "true", "node.k8s.amazonaws.com/no_manage": "true"}})
	chosen := a.lowestFreeDeviceIndex(inst.ID)
	a.GrowVpcCniEnis(map[string]int{inst.Node: 1})
	_, err := a.AttachNetworkInterface(multus, inst.ID, chosen)
	wantCode(t, err, "InvalidParameterValue", "already has an interface attached at device index '1'.")
	if _, err := a.AttachNetworkInterface(multus, inst.ID, a.lowestFreeDeviceIndex(inst.ID)); err != nil {
		t.Errorf("the next free index: %v", err)
	}
	if got := indexes(a, inst.ID); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("interfaces at %v, want the CNI's at 1 and Multus at 2", got)
	}
}

// With prefix delegation the CNI assigns /28 prefixes to the ENIs it has before it attaches another;
// an IPv6 node attaches none.
func TestTheVpcCniWithPrefixesAndOnIpv6(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", `{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}`, 1, 110)
	a, inst := n.a, instances[0]
	a.GrowVpcCniEnis(map[string]int{inst.Node: 20})
	// 20 pods and a warm /28 spare: 3 prefixes of 16; t3.medium's primary ENI takes 5.
	if inst.Prefixes != 3 || len(indexes(a, inst.ID)) != 0 {
		t.Errorf("%d prefixes, interfaces at %v; want 3 prefixes on the primary ENI", inst.Prefixes, indexes(a, inst.ID))
	}
	a.GrowVpcCniEnis(map[string]int{inst.Node: 70})
	if inst.Prefixes != 6 || !slices.Equal(indexes(a, inst.ID), []int{1}) {
		t.Errorf("70 pods: %d prefixes, interfaces at %v; want 6, the sixth on a second ENI at 1", inst.Prefixes, indexes(a, inst.ID))
	}

	n6, v6 := nodesOf(t, "ipv6", "t3.medium", "", 1, 0)
	n6.a.GrowVpcCniEnis(map[string]int{v6[0].Node: 17})
	if got := indexes(n6.a, v6[0].ID); len(got) != 0 {
		t.Errorf("an IPv6 node has interfaces at %v", got)
	}
}

// A terminated instance leaves its Multus ENI available, which can then be deleted, and takes the
// CNI's ENIs with it.
func TestTerminatingAnInstance(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 2, 0)
	a, inst, now := n.a, instances[0], time.Now()
	multus := mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": n.subnet, "tags": map[string]any{"multus": "true"}})
	if _, err := a.AttachNetworkInterface(multus, inst.ID, 1); err != nil {
		t.Fatal(err)
	}
	a.GrowVpcCniEnis(map[string]int{inst.Node: 3, instances[1].Node: 1})
	wantCode(t, a.Delete(typeNetworkInterface, multus, now, 0), "InvalidParameterValue", "is currently in use")
	a.terminateInstances([]string{inst.Node})
	if a.Instances[inst.ID] != nil || len(a.attachedTo(inst.ID)) != 0 {
		t.Errorf("after termination: instance %v, interfaces %v", a.Instances[inst.ID], indexes(a, inst.ID))
	}
	if got := indexes(a, instances[1].ID); !slices.Equal(got, []int{1}) {
		t.Errorf("the other instance's interfaces: %v, want its CNI ENI at 1", got)
	}
	if eni := a.Resources[multus]; eni == nil || eni.Outputs["attachedTo"] != nil {
		t.Fatalf("the Multus ENI after its instance went: %+v, want it kept and available", eni)
	}
	if cni := a.live(typeNetworkInterface, func(e *Record) bool { return e.Owner == inst.ID }); len(cni) != 0 {
		t.Errorf("the terminated instance's CNI ENIs are still there: %v", cni)
	}
	if err := a.Delete(typeNetworkInterface, multus, now, 0); err != nil {
		t.Errorf("the Multus ENI after its instance went: %v", err)
	}
}

// The VPC CNI's ENIs are the instance's: a node group update, which trims the group's own
// interfaces to its size, leaves them.
func TestAGroupUpdateLeavesTheCnisEnis(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 1, 0)
	a, inst := n.a, instances[0]
	a.GrowVpcCniEnis(map[string]int{inst.Node: 1})
	a.nodeENIs(a.Resources[inst.NodeGroup])
	if got := indexes(a, inst.ID); !slices.Equal(got, []int{1}) {
		t.Errorf("after the group's update the instance holds interfaces at %v, want the CNI's at 1", got)
	}
}

// The account's invariants see two interfaces at one device index of an instance.
func TestTheInvariantsSeeADeviceIndexHeldTwice(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 1, 0)
	a, inst := n.a, instances[0]
	a.GrowVpcCniEnis(map[string]int{inst.Node: 1})
	before := a.Invariants() // the test network's own (no egress-only gateway)
	eni := mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": n.subnet})
	a.Resources[eni].Outputs["attachedTo"], a.Resources[eni].Outputs["deviceIndex"] = inst.ID, 1
	after := a.Invariants()
	if len(after) != len(before)+1 || !strings.Contains(after[len(after)-1], "are both attached to "+inst.ID+" at device index 1") {
		t.Errorf("violations %v, want those before and the one of device index 1", after)
	}
}

// pulumi-aws's getNetworkInterfaces and getNetworkInterface, as the program reads a fixed instance's
// interfaces and a cluster's Multus ENIs: an instance's primary interface is listed at index 0, tags
// and filters narrow the list, nothing found is an empty list, and EC2's refusals stand.
func TestTheNetworkInterfaceDataSources(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 2, 0)
	a, first := n.a, instances[0]
	multus := mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": n.subnet,
		"tags": map[string]any{"multus": "true", "cluster": "chapter", "multus-network": "ipvlan-private-a", "multus-attachment": "instances"}})
	free := mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": n.subnet, "tags": map[string]any{"multus": "true", "cluster": "other"}})
	if _, err := a.AttachNetworkInterface(multus, first.ID, 2); err != nil {
		t.Fatal(err)
	}
	list := func(args map[string]any) ([]any, *Error) {
		out, err := a.Answer("aws:ec2/getNetworkInterfaces:getNetworkInterfaces", args)
		if err != nil {
			return nil, err
		}
		return out["ids"].([]any), nil
	}
	filter := func(name string, values ...any) map[string]any { return map[string]any{"name": name, "values": values} }
	for _, tc := range []struct {
		name string
		args map[string]any
		want []any
	}{
		{"an instance's interfaces", map[string]any{"filters": []any{filter("attachment.instance-id", first.ID)}}, []any{multus, first.PrimaryEni}},
		{"a cluster's Multus ENIs", map[string]any{"filters": []any{filter("tag:cluster", "chapter"), filter("tag:multus", "true")}}, []any{multus}},
		{"the same through tags", map[string]any{"tags": map[string]any{"cluster": "other"}}, []any{free}},
		{"either of two values", map[string]any{"filters": []any{filter("tag:cluster", "chapter", "other")}}, []any{multus, free}},
		{"nothing found", map[string]any{"filters": []any{filter("tag:cluster", "none")}}, []any{}},
	} {
		got, err := list(tc.args)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	_, err := list(map[string]any{"filters": []any{filter("instance-id", first.ID)}})
	wantCode(t, err, "InvalidParameterValue", "The filter 'instance-id' is invalid")

	describe := func(id string) (map[string]any, *Error) {
		return a.Answer("aws:ec2/getNetworkInterface:getNetworkInterface", map[string]any{"id": id})
	}
	got, err := describe(multus)
	if err != nil {
		t.Fatal(err)
	}
	attachment := got["attachments"].([]any)[0].(map[string]any)
	if attachment["instanceId"] != first.ID || attachment["deviceIndex"] != 2 || got["tags"].(map[string]any)["multus-attachment"] != "instances" {
		t.Errorf("the Multus ENI is described as %v", got)
	}
	if got, err := describe(first.PrimaryEni); err != nil || got["attachments"].([]any)[0].(map[string]any)["deviceIndex"] != 0 {
		t.Errorf("the primary interface is described as %v, %v", got, err)
	}
	if got, err := describe(free); err != nil || len(got["attachments"].([]any)) != 0 {
		t.Errorf("a free ENI is described as %v, %v", got, err)
	}
	_, err = describe("eni-0nothere")
	wantCode(t, err, "InvalidNetworkInterfaceID.NotFound", "The networkInterface ID 'eni-0nothere' does not exist")
	_, err = a.Answer("aws:ec2/getNetworkInterface:getNetworkInterface", map[string]any{"filters": []any{filter("tag:cluster", "chapter")}})
	wantCode(t, err, "NotSimulated", "by its id only")
}
