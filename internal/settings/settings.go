// Package settings is how a feature declares the stack-file keys it owns: each key's name, type,
// default and description, how its raw value decodes into the feature's Settings, and the form its
// validation errors take (field.ErrorList, with the key names as field paths, as
// cluster-api-provider-aws's Validate methods do). internal/config composes the features' keys into
// the project's; a component that takes the same Settings reports the same messages.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Key is one key of a feature's Settings S.
type Key[S any] struct {
	Name string
	// Type is the Pulumi.yaml type: string, integer, boolean or array (of strings).
	Type        string
	Default     any
	Description string
	// Decode sets the key's field of S from the raw value the engine passes (structured values as
	// JSON).
	Decode func(s *S, raw string) error
}

// Errors is a feature's validation errors as one error, each line naming the key, the bad value and
// the reason after prefix ("config eks-advanced-networking:" for a stack file, the component's name
// for a Go caller). Nil when errs is empty.
func Errors(prefix string, errs field.ErrorList) error {
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		out = append(out, KeyError(prefix, e.Field, fmt.Sprint(e.BadValue), e.Detail))
	}
	return errors.Join(out...)
}

// KeyError is one key's error: the key, its value when there is one, and the reason.
func KeyError(prefix, key, value, reason string) error {
	if value == "" {
		return fmt.Errorf("%s%s: %s", prefix, key, reason)
	}
	return fmt.Errorf("%s%s = %q: %s", prefix, key, value, reason)
}

// ParseBool reads a boolean key.
func ParseBool(raw string) (bool, error) {
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, errors.New("not a boolean; use true or false")
	}
	return b, nil
}

// ParseInt reads an integer key.
func ParseInt(raw string) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, errors.New("not an integer")
	}
	return n, nil
}

// ParseStrings reads an array key, which the engine passes as JSON.
func ParseStrings(raw string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, errors.New("not a list of strings; write a YAML list such as [eu-central-1a, eu-central-1b]")
	}
	return out, nil
}
