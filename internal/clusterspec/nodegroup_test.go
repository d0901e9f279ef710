package clusterspec

import (
	"strings"
	"testing"
)

func TestNodeGroupSizeValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		size NodeGroupSize
		keys []string
		says string
	}{
		{"the presets' 2, 2, 2", NodeGroupSize{2, 2, 2}, nil, ""},
		{"scale to zero", NodeGroupSize{0, 1, 3}, nil, ""},
		{"a negative minimum", NodeGroupSize{-1, 0, 1}, []string{KeyNodeMinSize}, "use 0 or more"},
		{"a maximum of 0", NodeGroupSize{0, 0, 0}, []string{KeyNodeMaxSize}, "EKS refuses"},
		{"max below min", NodeGroupSize{3, 3, 2}, []string{KeyNodeMaxSize, KeyNodeDesiredSize}, "at least nodeMinSize (3)"},
		{"desired above max", NodeGroupSize{2, 5, 2}, []string{KeyNodeDesiredSize}, "between nodeMinSize (2) and nodeMaxSize (2)"},
	} {
		errs := tc.size.Validate()
		var keys []string
		for _, e := range errs {
			keys = append(keys, e.Field)
		}
		if strings.Join(keys, ",") != strings.Join(tc.keys, ",") || (tc.says != "" && !strings.Contains(errs.ToAggregate().Error(), tc.says)) {
			t.Errorf("%s: %v, want errors on %v saying %q", tc.name, errs, tc.keys, tc.says)
		}
	}
}
