//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"eks-advanced-networking/internal/workload"
)

// assertPodSecurity shows the API server's PodSecurity admission plugin enforcing what the plan's
// namespaces ask for. In each namespace we create, a pod that meets no standard (root, host network,
// NET_RAW) is refused at the namespace's level, with the plugin's own message; a privileged
// namespace admits it, which is what its exception means. Then every pod the plan's Deployments and
// Jobs define exists: the controllers created them and the plugin admitted them (no kubelet runs
// them here, so they stay Pending).
func assertPodSecurity(t *testing.T, objects map[string]map[string]any) {
	t.Helper()
	levels := map[string]string{}
	for _, obj := range objects {
		if obj["kind"] != "Namespace" {
			continue
		}
		meta, _ := obj["metadata"].(map[string]any)
		labels, _ := meta["labels"].(map[string]any)
		name, _ := meta["name"].(string)
		level, _ := labels[workload.EnforceLabel].(string)
		levels[name] = level
	}
	if len(levels) == 0 {
		t.Log("the plan creates no namespace of its own")
	}
	for _, ns := range slices.Sorted(maps.Keys(levels)) {
		level := levels[ns]
		if level == "" {
			t.Errorf("namespace %s has no %s label", ns, workload.EnforceLabel)
			continue
		}
		// Server-side dry run: admission runs, nothing is stored.
		code, body, err := testCluster.create("/api/v1/namespaces/"+ns+"/pods?dryRun=All", noStandardPod())
		if err != nil {
			t.Fatal(err)
		}
		refusal := fmt.Sprintf(`violates PodSecurity "%s:latest"`, level)
		var status struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal([]byte(body), &status) // a created pod has no message
		switch {
		case level == string(workload.Privileged) && code != 201:
			t.Errorf("namespace %s (privileged) refused a privileged pod: %d %s", ns, code, body)
		case level == string(workload.Privileged):
			t.Logf("namespace %s enforces privileged: the pod is admitted (dry run)", ns)
		case code != 403 || !strings.Contains(status.Message, refusal):
			t.Errorf("namespace %s (%s) answered a pod that meets no standard with %d %s; want 403 and %q", ns, level, code, body, refusal)
		default:
			t.Logf("namespace %s enforces %s: %s", ns, level, status.Message)
		}
	}
	for _, file := range slices.Sorted(maps.Keys(objects)) {
		obj := objects[file]
		kind, _ := obj["kind"].(string)
		meta, _ := obj["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		name, _ := meta["name"].(string)
		var selector string
		want := 1
		switch kind {
		case "Deployment":
			spec, _ := obj["spec"].(map[string]any)
			if r, ok := spec["replicas"].(float64); ok {
				want = int(r)
			}
			sel, _ := spec["selector"].(map[string]any)
			matchLabels, _ := sel["matchLabels"].(map[string]any)
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(matchLabels)) {
				parts = append(parts, fmt.Sprintf("%s=%v", k, matchLabels[k]))
			}
			selector = strings.Join(parts, ",")
		case "Job":
			selector = "job-name=" + name
		default:
			continue
		}
		path := "/api/v1/namespaces/" + ns + "/pods?labelSelector=" + url.QueryEscape(selector)
		deadline := time.Now().Add(60 * time.Second)
		for {
			list, _, err := testCluster.get(path)
			if err != nil {
				t.Fatal(err)
			}
			items, _ := list["items"].([]any)
			if len(items) >= want {
				break
			}
			if time.Now().After(deadline) {
				_, events, _ := testCluster.request("GET", "/api/v1/namespaces/"+ns+"/events", nil)
				t.Errorf("%s %s/%s: %d of %d pods were created; events: %s", kind, ns, name, len(items), want, firstLine(events, "PodSecurity"))
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}

// noStandardPod meets neither restricted nor baseline: root, the host network, NET_RAW.
func noStandardPod() map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "pod-security-probe"},
		"spec": map[string]any{
			"hostNetwork": true,
			"containers": []any{map[string]any{
				"name": "probe", "image": workload.DefaultImage,
				"securityContext": map[string]any{"capabilities": map[string]any{"add": []any{"NET_RAW"}}},
			}},
		},
	}
}

// firstLine is the part of body around want, or its start.
func firstLine(body, want string) string {
	if i := strings.Index(body, want); i >= 0 {
		return body[max(0, i-80):min(len(body), i+len(want)+200)]
	}
	return body[:min(len(body), 300)]
}
