package multus

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Attachment says how a Multus ENI gets onto its node.
type Attachment string

const (
	// AttachNodeGroup gives each Multus zone a managed node group whose boot unit attaches the zone's
	// ENI, so a replaced node picks the ENI up again.
	AttachNodeGroup Attachment = "node-group"
	// AttachInstances is the chapter's literal way for fixed instances: one declared attachment per
	// zone, at the index InstanceDeviceIndex picks.
	AttachInstances Attachment = "instances"
)

// Attachments lists the valid attachments.
var Attachments = []Attachment{AttachNodeGroup, AttachInstances}

var instanceIdPattern = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)

// ValidateAttachment checks an attachment for the given number of Multus zones: node groups attach
// their own ENIs and take no instances; fixed instances need one valid instance id per zone.
func ValidateAttachment(a Attachment, instanceIds []string, zones int) *field.Error {
	switch a {
	case AttachNodeGroup:
		if len(instanceIds) > 0 {
			return field.Invalid(field.NewPath(KeyInstanceIds), strings.Join(instanceIds, ","), fmt.Sprintf("node groups attach their own ENIs; set %s to %s to use fixed instances", KeyAttachment, AttachInstances))
		}
	case AttachInstances:
		if len(instanceIds) != zones {
			return field.Invalid(field.NewPath(KeyInstanceIds), strings.Join(instanceIds, ","), fmt.Sprintf("give one instance per Multus zone (%d)", zones))
		}
		for _, id := range instanceIds {
			if !instanceIdPattern.MatchString(id) {
				return field.Invalid(field.NewPath(KeyInstanceIds), id, "not an instance id; ids look like i-0123456789abcdef0")
			}
		}
	default:
		names := make([]string, len(Attachments))
		for i, a := range Attachments {
			names[i] = string(a)
		}
		return field.Invalid(field.NewPath(KeyAttachment), string(a), "use "+strings.Join(names, " or "))
	}
	return nil
}

// HoldsEni says whether a network interface with these tags is this network's ENI in cluster: tagged
// multus=true with the cluster and the network's zone (the tags the chapter's attach script finds it
// by), and with the network's name. An ENI from before the NetworkTag counts by its zone; another
// network's ENI in the zone (one that moves to another subnet tier) does not.
func (n Network) HoldsEni(tags map[string]string, cluster string) bool {
	if tags["multus"] != "true" || tags["cluster"] != cluster || tags["Zone"] != n.AvailabilityZone {
		return false
	}
	network, tagged := tags[NetworkTag]
	return !tagged || network == n.Name
}

// AttachedInterface is a network interface attached to an instance, as EC2 describes it.
type AttachedInterface struct {
	DeviceIndex int
	// Ours says it is the network's ENI (Network.HoldsEni).
	Ours bool
}

// InstanceDeviceIndex is the device index at which a fixed instance takes its zone's Multus ENI:
// the one the ENI is attached at already, so a later run keeps the attachment (another index
// replaces it), else the lowest one free after the primary interface's 0. The VPC CNI attaches its
// own ENIs at the lowest free index too, a second one as soon as a pod takes an address
// (WARM_ENI_TARGET 1: amazon-vpc-cni-k8s v1.23.0 pkg/awsutils/awsutils.go, awsGetFreeDeviceNumber,
// and docs/eni-and-ip-target.md's table), so index 1 is rarely free on a running node. An index beyond what the
// instance type allows EC2 refuses at the attach (AttachmentLimitExceeded).
func InstanceDeviceIndex(attached []AttachedInterface) int {
	used := map[int]bool{}
	for _, a := range attached {
		if a.Ours {
			return a.DeviceIndex
		}
		used[a.DeviceIndex] = true
	}
	i := 1
	for used[i] {
		i++
	}
	return i
}

// NetworkTag is the tag on each Multus ENI that names its network (Network.Name): while a zone's
// network moves to another subnet tier, the zone has two ENIs, and each node takes its own network's.
const NetworkTag = "multus-network"

// AttachmentTag is the tag on each Multus ENI that says how it reaches its node (an Attachment), so
// a later run can tell, from EC2 alone, who holds a running ENI.
const AttachmentTag = "multus-attachment"

// RunningEni is a Multus ENI of the cluster as EC2 describes it now.
type RunningEni struct {
	ID string
	// Network is its NetworkTag: the Network's name.
	Network string
	// Attachment is its AttachmentTag; empty for an ENI made before the tag was.
	Attachment Attachment
	// Instance is the instance it is attached to, empty when it is free.
	Instance string
}

// CheckAttachmentChange refuses a change of attachment that an update cannot carry out for a network
// whose ENI is attached now. EC2 attaches an interface to one instance at a time, and pulumi up
// deletes what leaves the program (a node group, an attachment) only after it has made everything
// else: so a new attachment to a fixed instance meets the ENI still held by the node group's node
// (InvalidNetworkInterface.InUse), and a new node group boots while the fixed instance holds the ENI
// until the end of the update, with the network's pods and checks still placed on that instance. A
// network whose ENI changes (another subnet tier, another zone) has a new ENI, attached while the old
// one serves, so it is not refused; nor is a free ENI, or one whose tag does not say how it is held.
// networks and instanceIds are the configured ones (instanceIds[i] for networks[i] with
// AttachInstances); running are the cluster's Multus ENIs.
func CheckAttachmentChange(mode Attachment, networks []Network, instanceIds []string, running []RunningEni) *field.Error {
	way := fmt.Sprintf("to make the change on a running stack, change %s in the same update: the network then gets a new ENI, attached while the old one still serves, and the old one goes at the end of the update", KeySubnetTier)
	for i, n := range networks {
		for _, eni := range running {
			if eni.Network != n.Name || eni.Instance == "" || eni.Attachment == "" || eni.Attachment == mode {
				continue
			}
			switch mode {
			case AttachInstances:
				// Even when the instance named is the node holding it: the attachment would meet the
				// ENI attached, and that node goes with its group.
				return field.Invalid(field.NewPath(KeyAttachment), string(mode), fmt.Sprintf(
					"the Multus ENI %s of %s is attached to %s by its node group, and pulumi up would attach it to %s before deleting that node group, which EC2 refuses while the ENI is in use (InvalidNetworkInterface.InUse); %s",
					eni.ID, n.Name, eni.Instance, instanceIds[i], way))
			case AttachNodeGroup:
				return field.Invalid(field.NewPath(KeyAttachment), string(mode), fmt.Sprintf(
					"the Multus ENI %s of %s is attached to the fixed instance %s (%s %s), and pulumi up would detach it only at the end of the update, after the new node group has booted without it and the network's pods and checks were placed on %s; %s",
					eni.ID, n.Name, eni.Instance, KeyAttachment, eni.Attachment, eni.Instance, way))
			}
		}
	}
	return nil
}
