//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"sigs.k8s.io/yaml"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/verify"
	"eks-advanced-networking/stacks"
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

// kubeletStandIn finishes the check pods of namespace the way a kubelet would report them: each
// pod's container terminated with the exit code and output of checks.sh, run here by busybox sh with
// env[check] as the pod's environment, Succeeded or Failed. A check without an entry in env passes
// without running (these need a pod network). It runs until stop is closed.
func kubeletStandIn(t *testing.T, namespace string, env map[string]map[string]string, stop <-chan struct{}) {
	t.Helper()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Errorf("%v (.ci/run installs Debian's busybox)", err)
		return
	}
	done := map[string]bool{}
	for {
		select {
		case <-stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
		list, _, err := testCluster.get("/api/v1/namespaces/" + namespace + "/pods")
		if err != nil {
			t.Error(err)
			return
		}
		items, _ := list["items"].([]any)
		for _, item := range items {
			pod := item.(map[string]any)
			meta := pod["metadata"].(map[string]any)
			name := meta["name"].(string)
			labels, _ := meta["labels"].(map[string]any)
			check, _ := labels[verify.CheckLabel].(string)
			if done[name] || check == "" {
				continue
			}
			code, out := 0, "PASS "+check+": not run here (it needs a pod network)\n"
			if e, ok := env[check]; ok {
				cmd := exec.Command(busybox, "sh", "-c", verify.Script, "checks.sh", check)
				cmd.Env = []string{"PATH=/nonexistent", "CHECK_NAME=" + check}
				for k, v := range e {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				raw, err := cmd.CombinedOutput()
				if exit, ok := err.(*exec.ExitError); ok {
					code = exit.ExitCode()
				}
				out = string(raw)
			}
			status, body, err := reportFinished(pod, code, out)
			if status == http.StatusConflict {
				continue // the pod changed since the list (the scheduler's condition): report it on the next round, as a kubelet retries
			}
			if err != nil || status != 200 {
				t.Errorf("reporting pod %s: %d %s %v", name, status, body, err)
				continue
			}
			done[name] = true
		}
	}
}

// reportFinished reports a pod's only container as terminated with code and out, the pod Succeeded
// or Failed, with the conditions a kubelet reports for a finished pod: the provider's pod checker
// reads the container's termination message once Ready is False (cloud-ready-checks
// pkg/kubernetes/pod). It returns the API server's status.
func reportFinished(pod map[string]any, code int, out string) (int, string, error) {
	meta := pod["metadata"].(map[string]any)
	now := time.Now().UTC().Format(time.RFC3339)
	phase, reason, finished := "Succeeded", "Completed", "PodCompleted"
	if code != 0 {
		phase, reason, finished = "Failed", "Error", "PodFailed"
	}
	container := pod["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	condition := func(kind, status, reason string) map[string]any {
		c := map[string]any{"type": kind, "status": status, "lastTransitionTime": now}
		if reason != "" {
			c["reason"] = reason
		}
		return c
	}
	pod["status"] = map[string]any{
		"phase": phase, "startTime": now,
		"conditions": []any{
			condition("PodScheduled", "True", ""), condition("Initialized", "True", ""),
			condition("Ready", "False", finished), condition("ContainersReady", "False", finished),
		},
		"containerStatuses": []any{map[string]any{
			"name": container["name"], "image": container["image"], "imageID": "", "ready": false, "restartCount": 0,
			"state": map[string]any{"terminated": map[string]any{
				"exitCode": code, "reason": reason, "message": out, "startedAt": now, "finishedAt": now,
			}},
		}},
	}
	return testCluster.request("PUT", "/api/v1/namespaces/"+meta["namespace"].(string)+"/pods/"+meta["name"].(string)+"/status", pod)
}

// A failing check fails `pulumi up`, naming the check and showing its output; the next preview
// replaces the failed Job, so the check runs again; once it passes, a preview is empty. The real
// engine, kubernetes provider and Job controller; the pods' results come from running the check
// script here (kubeletStandIn), since no kubelet runs them.
func TestAFailedCheckFailsTheUpdate(t *testing.T) {
	ctx := context.Background()
	raw := layerConfig("scenario", "ipv6", "verify", "true")
	raw[config.Project+":skipAwait"] = "false" // wait for the checks, as on a real cluster
	stackName := "e2e-verify-failure"
	stack := newStack(t, stackName, stacks.Run(raw))
	// withNode runs the node address check on a node whose InternalIP is ip.
	withNode := func(ip string) map[string]map[string]string {
		return map[string]map[string]string{"node-internal-ip-ipv6": {"NODE_NAME": "e2e-node", "NODE_IP": ip}}
	}
	up := func(env map[string]map[string]string) error {
		// The checks run in two namespaces: restricted, and privileged for the host network.
		stop := make(chan struct{})
		var finished sync.WaitGroup
		for _, ns := range []string{verify.Namespace, verify.HostNetworkNamespace} {
			finished.Add(1)
			go func() { defer finished.Done(); kubeletStandIn(t, ns, env, stop) }()
		}
		_, err := stack.Up(ctx)
		close(stop)
		finished.Wait()
		return err
	}

	var upErr error
	step(t, "up with a failing check", func() { upErr = up(withNode("192.168.1.10")) })
	if upErr == nil {
		t.Fatal("up passed although the node address check failed")
	}
	msg := upErr.Error()
	for _, want := range []string{"verify-node-internal-ip-ipv6", "FAIL node-internal-ip-ipv6: node e2e-node's InternalIP 192.168.1.10 is not IPv6"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failed up does not say %q:\n%s", want, msg)
		}
	}
	if i := strings.Index(msg, "error: "); i >= 0 {
		t.Logf("what the failure looks like:\n%s", msg[i:min(len(msg), i+1500)])
	}
	step(t, "preview after the failure", func() {
		res, err := stack.Preview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.ChangeSummary[apitype.OpReplace] != 1 || !strings.Contains(res.StdOut, "verify-node-internal-ip-ipv6") {
			t.Errorf("want the failed check, and only it, run again: %v\n%s", res.ChangeSummary, res.StdOut)
		}
	})
	step(t, "up with every check passing", func() {
		if err := up(withNode("2001:db8::10")); err != nil {
			t.Fatalf("up: %v", err)
		}
	})
	step(t, "preview again", func() {
		res, err := stack.Preview(ctx, optpreview.Diff())
		if err != nil {
			t.Fatal(err)
		}
		if !unchanged(res.ChangeSummary) {
			t.Errorf("checks that passed are run again: %v\n%s", res.ChangeSummary, res.StdOut)
		}
	})
	step(t, "destroy", func() {
		if _, err := stack.Destroy(ctx); err != nil {
			t.Fatalf("destroy: %v", err)
		}
	})
	_ = stack.Workspace().RemoveStack(ctx, stackName)
}
