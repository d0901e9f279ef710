package clusterspec

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// NodeGroupSize is a managed node group's scaling configuration.
type NodeGroupSize struct {
	MinSize, DesiredSize, MaxSize int
}

// The stack file's keys for the cluster's node group size, which are also the field paths of
// Validate's errors.
const (
	KeyNodeMinSize     = "nodeMinSize"
	KeyNodeDesiredSize = "nodeDesiredSize"
	KeyNodeMaxSize     = "nodeMaxSize"
)

// Validate checks every rule EKS's scaling configuration breaks: 0 <= min <= desired <= max,
// max >= 1 (EKS API reference, NodegroupScalingConfig). A minimum of 0 lets the group scale to zero.
func (s NodeGroupSize) Validate() field.ErrorList {
	var errs field.ErrorList
	add := func(key string, value int, reason string) {
		errs = append(errs, field.Invalid(field.NewPath(key), strconv.Itoa(value), reason))
	}
	if s.MinSize < 0 {
		add(KeyNodeMinSize, s.MinSize, "use 0 or more")
	}
	if s.MaxSize < 1 {
		add(KeyNodeMaxSize, s.MaxSize, "use at least 1: EKS refuses a node group whose maximum is 0")
	}
	if s.MaxSize < s.MinSize {
		add(KeyNodeMaxSize, s.MaxSize, fmt.Sprintf("must be at least %s (%d)", KeyNodeMinSize, s.MinSize))
	}
	if s.DesiredSize < s.MinSize || s.DesiredSize > s.MaxSize {
		add(KeyNodeDesiredSize, s.DesiredSize, fmt.Sprintf("must lie between %s (%d) and %s (%d)", KeyNodeMinSize, s.MinSize, KeyNodeMaxSize, s.MaxSize))
	}
	return errs
}
