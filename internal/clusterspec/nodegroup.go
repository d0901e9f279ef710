package clusterspec

import (
	"fmt"
	"strconv"
)

// FieldError is a validation failure of one field, named as the struct names it; the config layer
// maps it to its key.
type FieldError struct {
	Field, Value, Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s = %q: %s", e.Field, e.Value, e.Reason) }

// NodeGroupSize is a managed node group's scaling configuration.
type NodeGroupSize struct {
	MinSize, DesiredSize, MaxSize int
}

// The fields of NodeGroupSize, as FieldError names them.
const (
	FieldMinSize     = "MinSize"
	FieldDesiredSize = "DesiredSize"
	FieldMaxSize     = "MaxSize"
)

// Errors are every rule EKS's scaling configuration breaks: 0 <= min <= desired <= max, max >= 1
// (EKS API reference, NodegroupScalingConfig). A minimum of 0 lets the group scale to zero.
func (s NodeGroupSize) Errors() []*FieldError {
	var errs []*FieldError
	add := func(field string, value int, reason string) {
		errs = append(errs, &FieldError{field, strconv.Itoa(value), reason})
	}
	if s.MinSize < 0 {
		add(FieldMinSize, s.MinSize, "use 0 or more")
	}
	if s.MaxSize < 1 {
		add(FieldMaxSize, s.MaxSize, "use at least 1: EKS refuses a node group whose maximum is 0")
	}
	if s.MaxSize < s.MinSize {
		add(FieldMaxSize, s.MaxSize, fmt.Sprintf("must be at least %s (%d)", FieldMinSize, s.MinSize))
	}
	if s.DesiredSize < s.MinSize || s.DesiredSize > s.MaxSize {
		add(FieldDesiredSize, s.DesiredSize, fmt.Sprintf("must lie between %s (%d) and %s (%d)", FieldMinSize, s.MinSize, FieldMaxSize, s.MaxSize))
	}
	return errs
}
