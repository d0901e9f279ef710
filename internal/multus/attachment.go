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
	// AttachInstances is the chapter's literal way for fixed instances: one declared attachment
	// (device index 1) per zone.
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
