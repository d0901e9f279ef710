package lbcontroller

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// listed is an IAM document read generically, with each Action and Resource as a list, so that a
// string and a list of one compare equal.
func listed(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, s := range doc["Statement"].([]any) {
		statement := s.(map[string]any)
		for _, k := range []string{"Action", "Resource"} {
			if one, ok := statement[k].(string); ok {
				statement[k] = []any{one}
			}
		}
	}
	return doc
}

// The policy is the published document, nothing dropped in the reading (an element the typed
// statement has no field for would be); its ARNs follow the partition; it fits an inline role policy.
func TestIamPolicyIsThePublishedOne(t *testing.T) {
	doc, err := IamPolicy("aws")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := listed(t, []byte(raw)), listed(t, publishedIamPolicy); !reflect.DeepEqual(got, want) {
		t.Errorf("the policy differs from upstream/iam_policy.json:\n%s", raw)
	}
	// An inline role policy may hold 10240 bytes (IAM quota "Role policy size").
	if len(raw) > 10240 {
		t.Errorf("the policy is %d bytes; an inline role policy holds 10240", len(raw))
	}
	cn, err := IamPolicy("aws-cn")
	if err != nil {
		t.Fatal(err)
	}
	cnRaw, _ := cn.JSON()
	if strings.Contains(cnRaw, "arn:aws:") || !strings.Contains(cnRaw, "arn:aws-cn:elasticloadbalancing:*:*:targetgroup/*/*") {
		t.Error("ARNs do not follow the partition")
	}
}

// The embedded policy is the one published with the chart the program installs by default, so a
// version bump cannot leave the controller with an older release's permissions.
func TestIamPolicyIsTheDefaultReleases(t *testing.T) {
	if IamPolicyTag != "v"+DefaultVersion {
		t.Errorf("upstream/iam_policy.json is %s's; the default chart is %s: replace it with that tag's (upstream/README.md)", IamPolicyTag, DefaultVersion)
	}
}
