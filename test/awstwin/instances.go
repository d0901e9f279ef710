package awstwin

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The EC2 instances node groups launch, and the network interfaces attached to them: what our
// Multus boot unit (internal/multus attach-eni.sh) and the VPC CNI's ipamd ask EC2 about and change
// on a running node. The unit runs for real on the e2e suite's stand-in machines, through the
// stand-in aws CLI (cli.go); ipamd's growth is modelled here (GrowVpcCniEnis).

// Instance is an EC2 instance a node group launched. It registers as the Node named after its
// private DNS name, and goes when the node is terminated.
type Instance struct {
	ID           string `json:"id"`
	Node         string `json:"node"`
	NodeGroup    string `json:"nodeGroup"`
	Cluster      string `json:"cluster"`
	InstanceType string `json:"instanceType"`
	Zone         string `json:"zone"`
	SubnetID     string `json:"subnetId"`
	PrivateIP    string `json:"privateIp"`
	// UserData is what the instance booted with, base64, as the launch template held it then.
	UserData string `json:"userData,omitempty"`
	// PrimaryEni is the interface at device index 0 that the instance launched with, as
	// describe-instances reports it. The account's records of primary interfaces are the node
	// group's (nodeENIs: one per desired node, for the subnets' and security groups' dependents),
	// not matched to instances.
	PrimaryEni string `json:"primaryEni"`
	// Prefixes are the /28 prefixes the VPC CNI assigned to the instance's interfaces, with prefix
	// delegation on.
	Prefixes int `json:"prefixes,omitempty"`
}

// launchInstances records the instances of a group's launched nodes: the node's name is its private
// DNS name, and its provider ID names the instance (aws:///zone/i-…), as on EKS.
func (a *Account) launchInstances(ng *Record, nodes []*corev1.Node) {
	instanceType, userData, _ := a.nodeLaunch(ng)
	for _, n := range nodes {
		zone := n.Labels["topology.kubernetes.io/zone"]
		inst := &Instance{ID: n.Spec.ProviderID[strings.LastIndex(n.Spec.ProviderID, "/")+1:], Node: n.Name, NodeGroup: ng.ID,
			Cluster: ng.str("clusterName"), InstanceType: instanceType.InstanceType, Zone: zone, UserData: userData,
			PrivateIP: strings.ReplaceAll(strings.TrimPrefix(strings.Split(n.Name, ".")[0], "ip-"), "-", "."), PrimaryEni: a.nextID("eni")}
		for _, s := range stringList(ng.Inputs["subnetIds"]) {
			if subnet := a.Resources[s]; subnet != nil && subnet.str("availabilityZone") == zone {
				inst.SubnetID = s
				break
			}
		}
		if a.Instances == nil {
			a.Instances = map[string]*Instance{}
		}
		a.Instances[inst.ID] = inst
	}
}

// terminateInstances ends the instances of the named nodes. The interfaces attached with
// DeleteOnTermination (the VPC CNI's) go with them; the others (the Multus ENIs) are detached and
// available again.
func (a *Account) terminateInstances(nodeNames []string) {
	for _, id := range slices.Sorted(maps.Keys(a.Instances)) {
		if !slices.Contains(nodeNames, a.Instances[id].Node) {
			continue
		}
		for _, eni := range a.attachedTo(id) {
			if eni.Outputs["deleteOnTermination"] == true {
				delete(a.Resources, eni.ID)
				continue
			}
			delete(eni.Outputs, "attachedTo")
			delete(eni.Outputs, "deviceIndex")
		}
		delete(a.Instances, id)
	}
}

// attachedTo are the records of the interfaces attached to an instance, at any device index but the
// primary's.
func (a *Account) attachedTo(instance string) []*Record {
	return a.live(typeNetworkInterface, func(eni *Record) bool { return eni.Outputs["attachedTo"] == instance })
}

// deviceIndexOf is the device index an attached interface holds.
func deviceIndexOf(eni *Record) int {
	switch v := eni.Outputs["deviceIndex"].(type) {
	case float64:
		return int(v)
	case int:
		return v
	}
	return -1
}

// AttachNetworkInterface is EC2's AttachNetworkInterface for the account's instances, with EC2's
// refusals: an interface attached already (InvalidNetworkInterface.InUse, tpa#27513), a device
// index an interface holds (InvalidParameterValue, tpa#906), more interfaces than the instance type
// takes (AttachmentLimitExceeded, amazon-vpc-cni-k8s#36), and an interface in another zone than the
// instance (refused by EC2; its wording has not been seen, so the message here is the twin's).
// It returns the attachment's id.
func (a *Account) AttachNetworkInterface(eniID, instanceID string, deviceIndex int) (string, *Error) {
	eni, err := a.get(eniID, typeNetworkInterface)
	if err != nil {
		return "", err
	}
	inst := a.Instances[instanceID]
	if inst == nil {
		return "", awsErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", instanceID)
	}
	if eni.Outputs["attachedTo"] != nil {
		return "", awsErr("InvalidNetworkInterface.InUse", "Interface: [%s] in use.", eni.ID)
	}
	if subnet := a.Resources[eni.str("subnetId")]; subnet != nil && subnet.str("availabilityZone") != inst.Zone {
		return "", awsErr("InvalidParameterValue", "Network interface '%s' is in %s, instance '%s' in %s: they must be in the same availability zone.",
			eni.ID, subnet.str("availabilityZone"), inst.ID, inst.Zone)
	}
	attached := a.attachedTo(inst.ID)
	if deviceIndex == 0 || slices.ContainsFunc(attached, func(e *Record) bool { return deviceIndexOf(e) == deviceIndex }) {
		return "", awsErr("InvalidParameterValue", "Instance '%s' already has an interface attached at device index '%d'.", inst.ID, deviceIndex)
	}
	t, terr := describeInstanceType(inst.InstanceType)
	if terr != nil {
		return "", terr
	}
	if count := len(attached) + 2; count > t.NetworkInfo.MaximumNetworkInterfaces {
		return "", awsErr("AttachmentLimitExceeded", "Interface count %d exceeds the limit for %s", count, inst.InstanceType)
	}
	eni.Outputs["attachedTo"] = inst.ID
	eni.Outputs["deviceIndex"] = deviceIndex
	return "eni-attach-" + strings.TrimPrefix(a.nextID("eni"), "eni-"), nil
}

// lowestFreeDeviceIndex is the lowest device index no interface of the instance holds, as the VPC
// CNI picks one (amazon-vpc-cni-k8s v1.23.0 pkg/awsutils/awsutils.go, awsGetFreeDeviceNumber).
func (a *Account) lowestFreeDeviceIndex(instance string) int {
	taken := map[int]bool{0: true}
	for _, eni := range a.attachedTo(instance) {
		taken[deviceIndexOf(eni)] = true
	}
	i := 0
	for taken[i] {
		i++
	}
	return i
}

// vpcCniSettings are the VPC CNI's settings in a cluster that bear on its ENIs: the vpc-cni add-on's
// configuration values, with the CNI's defaults (WARM_ENI_TARGET 1, WARM_PREFIX_TARGET 1: the
// amazon-vpc-cni-k8s README).
type vpcCniSettings struct {
	prefixDelegation        bool
	warmEnis, warmPrefixes  int
	warmIPTargetsConfigured bool
}

func (a *Account) vpcCniSettings(cluster string) vpcCniSettings {
	s := vpcCniSettings{warmEnis: 1, warmPrefixes: 1}
	for _, addon := range a.live(typeAddon, func(r *Record) bool {
		return r.str("clusterName") == cluster && r.str("addonName") == "vpc-cni"
	}) {
		var conf struct {
			Env map[string]string `json:"env"`
		}
		if json.Unmarshal([]byte(addon.str("configurationValues")), &conf) != nil {
			continue
		}
		s.prefixDelegation = conf.Env["ENABLE_PREFIX_DELEGATION"] == "true"
		for key, target := range map[string]*int{"WARM_ENI_TARGET": &s.warmEnis, "WARM_PREFIX_TARGET": &s.warmPrefixes} {
			if n, err := strconv.Atoi(conf.Env[key]); err == nil {
				*target = n
			}
		}
		s.warmIPTargetsConfigured = conf.Env["WARM_IP_TARGET"] != "" || conf.Env["MINIMUM_IP_TARGET"] != ""
	}
	return s
}

// GrowVpcCniEnis does to each instance of an IPv4 cluster what the VPC CNI's ipamd does as pods
// take addresses on its node (podsWithAddresses, by node name: pods that are not on the host
// network): while fewer addresses are spare than a warm ENI's worth (WARM_ENI_TARGET, each ENI
// holding its type's IPv4 addresses per interface less its primary) or, with prefix delegation, a
// warm prefix's (WARM_PREFIX_TARGET /28s of 16), and the node's pod capacity is not reached yet, it
// first assigns prefixes to ENIs with room (with delegation), else attaches a new ENI at the lowest
// free device index, as long as the type takes one more beside the ENIs it leaves alone (tagged
// node.k8s.amazonaws.com/no_manage=true: the Multus ENI). amazon-vpc-cni-k8s v1.23.0
// pkg/ipamd/ipamd.go (isDatastorePoolTooLow, increaseDatastorePool, hasRoomForEni, GetIPv4Limit)
// and docs/eni-and-ip-target.md's table of ENIs per pod count. An IPv6 cluster's nodes take a
// prefix on their primary ENI and attach none.
//
// Not modelled: WARM_IP_TARGET and MINIMUM_IP_TARGET (a cluster that sets them gets no growth here,
// and the twin says so in the result), and ipamd giving spare ENIs back after its cool-down. It
// returns what it attached, in words, for a test's log.
func (a *Account) GrowVpcCniEnis(podsWithAddresses map[string]int) []string {
	var did []string
	for _, id := range slices.Sorted(maps.Keys(a.Instances)) {
		inst := a.Instances[id]
		cluster, err := a.cluster(inst.Cluster)
		if err != nil || strOf(object(cluster.Outputs["kubernetesNetworkConfig"]), "ipFamily") == "ipv6" {
			continue
		}
		settings := a.vpcCniSettings(inst.Cluster)
		if settings.warmIPTargetsConfigured {
			did = append(did, fmt.Sprintf("%s: WARM_IP_TARGET/MINIMUM_IP_TARGET are not modelled; no ENI attached", inst.Node))
			continue
		}
		t, terr := describeInstanceType(inst.InstanceType)
		if terr != nil {
			continue
		}
		maxPods, _ := MaxPods(inst.InstanceType, inst.UserData)
		slots := t.NetworkInfo.Ipv4AddressesPerInterface - 1
		pods := podsWithAddresses[inst.Node]
		for {
			managed, unmanaged := 1, 0
			for _, eni := range a.attachedTo(inst.ID) {
				if strOf(object(eni.Inputs["tags"]), "node.k8s.amazonaws.com/no_manage") == "true" {
					unmanaged++
				} else {
					managed++
				}
			}
			total, chunk, warm := managed*slots, slots, settings.warmEnis
			if settings.prefixDelegation {
				total, chunk, warm = inst.Prefixes*16, 16, settings.warmPrefixes
			}
			available := total - pods
			low := available < chunk*warm || (warm == 0 && available == 0)
			if total >= maxPods || !low {
				break
			}
			if settings.prefixDelegation && inst.Prefixes < managed*slots {
				inst.Prefixes++
				continue
			}
			if managed >= t.NetworkInfo.MaximumNetworkInterfaces-unmanaged {
				break
			}
			did = append(did, a.attachVpcCniEni(inst))
		}
	}
	return did
}

// attachVpcCniEni is ipamd's new ENI for an instance: created in the instance's subnet with the
// CNI's tags, attached at the lowest free device index, and deleted with the instance
// (amazon-vpc-cni-k8s v1.23.0 pkg/awsutils/awsutils.go, AllocENI: createENI, attachENI,
// DeleteOnTermination).
// Its owner is the instance, not the node group: the group's own interfaces stand for its
// instances' primary ones (nodeENIs), which a group update trims to its size.
func (a *Account) attachVpcCniEni(inst *Instance) string {
	id := a.nextID("eni")
	eni := &Record{Type: typeNetworkInterface, ID: id, Owner: inst.ID,
		Inputs: map[string]any{"subnetId": inst.SubnetID, "description": "aws-K8S-" + inst.ID,
			"tags": map[string]any{"node.k8s.amazonaws.com/instance_id": inst.ID, "cluster.k8s.amazonaws.com/name": inst.Cluster}},
		Outputs: map[string]any{"macAddress": macAddress(a.Sequence), "deleteOnTermination": true}}
	a.Resources[eni.ID] = eni
	index := a.lowestFreeDeviceIndex(inst.ID)
	eni.Outputs["attachedTo"] = inst.ID
	eni.Outputs["deviceIndex"] = index
	return fmt.Sprintf("%s: the VPC CNI attached %s at device index %d", inst.Node, eni.ID, index)
}

// macAddress is the MAC address EC2 gives the sequence'th interface: locally administered, unique in
// the account.
func macAddress(sequence int) string {
	return fmt.Sprintf("0a:00:00:%02x:%02x:%02x", sequence>>16&0xff, sequence>>8&0xff, sequence&0xff)
}
