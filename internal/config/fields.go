package config

import (
	"regexp"
	"slices"

	"eks-advanced-networking/internal/clusterspec"
)

// The plain packages name their own fields in errors; these tables name the config key behind each,
// so an error says what the user wrote.
var (
	nodeGroupKeys = map[string]string{
		clusterspec.FieldMinSize:     "nodeMinSize",
		clusterspec.FieldDesiredSize: "nodeDesiredSize",
		clusterspec.FieldMaxSize:     "nodeMaxSize",
	}
)

// fieldKeyError is a plain package's field error as a config key error: the field, and every field
// its reason mentions, named by its key.
func fieldKeyError(keys map[string]string, field, value, reason string) error {
	key, ok := keys[field]
	if !ok {
		key = field
	}
	return keyError(key, value, renameFields(keys, reason))
}

func renameFields(keys map[string]string, s string) string {
	// Longest first, so a field that prefixes another is not replaced inside it.
	fields := make([]string, 0, len(keys))
	for f := range keys {
		fields = append(fields, f)
	}
	slices.SortFunc(fields, func(a, b string) int { return len(b) - len(a) })
	for _, f := range fields {
		s = regexp.MustCompile(`\b`+regexp.QuoteMeta(f)+`\b`).ReplaceAllString(s, keys[f])
	}
	return s
}
