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

// AttachedInterface is a network interface attached to an instance, as EC2 describes it.
type AttachedInterface struct {
	DeviceIndex int
	// Ours says it is the zone's Multus ENI (tagged multus=true, with this cluster and zone).
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
