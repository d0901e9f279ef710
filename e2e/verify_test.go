//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"eks-advanced-networking/internal/verify"
)

// The Calico check's commands, run by the kubectl tools/build.sh builds against the real API server
// with Calico's own TigeraStatus CRD: they fail while the operator has not reported, fail while
// calico is not Available, and pass once it is. Their timeouts are cut to seconds here; the Job
// waits minutes.
func TestCalicoStatusCheckCommands(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("%v; put tools/build.sh's directory on PATH", err)
	}
	crdFile := filepath.Join(calicoCharts(t), "crd.projectcalico.org.v1", "templates", "operator.tigera.io_tigerastatuses.yaml")
	raw, err := os.ReadFile(crdFile)
	if err != nil {
		t.Fatal(err)
	}
	var crd map[string]any
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	const crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	if code, body, err := testCluster.create(crdPath, crd); err != nil || code != 201 {
		t.Fatalf("creating the TigeraStatus CRD: %d %s %v", code, body, err)
	}
	t.Cleanup(func() { _, _, _ = testCluster.request("DELETE", crdPath+"/tigerastatuses.operator.tigera.io", nil) })
	const statuses = "/apis/operator.tigera.io/v1/tigerastatuses"
	waitServed(t, statuses)

	check := func(i int, timeout string) (bool, string) {
		args := append([]string{"--kubeconfig", testCluster.kubeconfig}, verify.CalicoStatusCommands[i][1:]...)
		for j, a := range args {
			if strings.HasPrefix(a, "--timeout=") {
				args[j] = "--timeout=" + timeout
			}
		}
		out, err := exec.Command(kubectl, args...).CombinedOutput()
		return err == nil, string(out)
	}
	if ok, out := check(0, "2s"); ok {
		t.Errorf("the check passed before the operator created tigerastatus/calico: %s", out)
	}

	setAvailable := func(status string) {
		t.Helper()
		obj := map[string]any{
			"apiVersion": "operator.tigera.io/v1", "kind": "TigeraStatus", "metadata": map[string]any{"name": "calico"}, "spec": map[string]any{},
		}
		current, found, err := testCluster.get(statuses + "/calico")
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			if code, body, err := testCluster.create(statuses, obj); err != nil || code != 201 {
				t.Fatalf("creating tigerastatus/calico: %d %s %v", code, body, err)
			}
			current, _, _ = testCluster.get(statuses + "/calico")
		}
		current["status"] = map[string]any{"conditions": []any{map[string]any{
			"type": "Available", "status": status, "reason": "AllObjectsAvailable", "message": "",
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
		}}}
		if code, body, err := testCluster.request("PUT", statuses+"/calico/status", current); err != nil || code != 200 {
			t.Fatalf("setting Available %s: %d %s %v", status, code, body, err)
		}
	}
	setAvailable("False")
	t.Cleanup(func() { _, _, _ = testCluster.request("DELETE", statuses+"/calico", nil) })
	if ok, out := check(0, "10s"); !ok {
		t.Errorf("the first container failed although tigerastatus/calico exists: %s", out)
	}
	if ok, out := check(1, "2s"); ok || !strings.Contains(out, "timed out") {
		t.Errorf("the check passed, or failed without saying why, while calico is not Available: %v %s", ok, out)
	}
	setAvailable("True")
	if ok, out := check(1, "10s"); !ok {
		t.Errorf("the check failed although calico is Available: %s", out)
	}
}

// waitServed waits until the API server serves a new CRD's resources.
func waitServed(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, found, err := testCluster.get(path); err == nil && found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not served", path)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
