//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/replacement"
	"eks-advanced-networking/test/awstwin"
)

// interruptions are the points an `up` is killed at, per stack: while AWS creates the resource of
// this type (the twin holds it from the call on, as AWS does), or while pulumi-kubernetes waits for a
// Deployment's pods (the API server holds the object). A stack's points are in the order its ups reach
// them, so one stack takes them one after the other: the recovery's own up is killed at the next.
var interruptions = []struct {
	stack  string
	points []interruption
}{
	{"ipv6", []interruption{
		{"during the VPC", "aws:ec2/natGateway:NatGateway"},
		{"during the cluster's create", "aws:eks/cluster:Cluster"},
		{"during the node group", "aws:eks/nodeGroup:NodeGroup"},
	}},
	{"ipv4-multus", []interruption{{"during the Multus node groups", "aws:eks/nodeGroup:NodeGroup"}}},
	{"ipv4-calico", []interruption{{"during the Kubernetes layer", "kubernetes:apps/v1:Deployment"}}},
}

type interruption struct{ name, typ string }

// An `up` killed with SIGKILL (a lost laptop, a killed CI job) leaves the stack locked and the
// interrupted creates pending, with the resources already in AWS. The README's recovery ("An
// interrupted up") is run as written: cancel, list the pending operations, look each pending create
// up in the account by its name (as a user does in the console), record those found and drop the
// rest (tools/resolve-pending-creates.sh), refresh, up. On the ipv6 stack that up is killed in turn,
// twice, and recovered the same way. The account then holds exactly one of everything, the next
// preview is empty, and destroy leaves nothing.
func TestTwinInterruptedUpRecovers(t *testing.T) {
	languageHost := buildLanguageHost(t)
	for _, run := range interruptions {
		t.Run(run.stack, func(t *testing.T) {
			tw := newTwin(t)
			dir := copyProgram(t, "..")
			stack := run.stack
			writeTwinSettings(t, dir, stack)
			cli := pulumiCLI{t: t, dir: dir, stack: stack, env: cliEnv(t, tw, languageHost)}
			cli.run("stack", "init", stack)
			stopKubelet := kubeletForTwinNodes(t, tw)
			defer stopKubelet()
			for _, point := range run.points {
				upKilledAndResolved(t, tw, cli, point)
			}
			step(t, "the recovery's up", func() { cli.run("up", "--yes", "--skip-preview", "-s", stack) })
			files, err := plan.LoadStack(dir, stack)
			if err != nil {
				t.Fatal(err)
			}
			assertHoldsThePlan(t, stack, files.Config, tw.account(t))
			cli.run("preview", "--expect-no-changes", "-s", stack)
			cli.run("destroy", "--yes", "--skip-preview", "-s", stack)
			if a := tw.account(t); len(a.Resources) != 0 {
				t.Errorf("after destroy the twin holds %v", a.Summary())
			}
		})
	}
}

// upKilledAndResolved runs `pulumi up`, kills it at the point, and takes the README's recovery up to
// its refresh: cancel, list the pending operations, record or drop each pending create, refresh.
func upKilledAndResolved(t *testing.T, tw *twin, cli pulumiCLI, point interruption) {
	t.Helper()
	kubernetesLayer := strings.HasPrefix(point.typ, "kubernetes:")
	if kubernetesLayer {
		// No kubelet runs the pods here: pulumi-kubernetes waits for them, as it does on a cluster
		// while they start, and is killed while it waits. The recovery's up skips the wait again, as
		// writeTwinSettings has every twin stack do.
		cli.run("config", "set", config.Project+":skipAwait", "false", "--type", "bool", "-s", cli.stack)
	}
	events := filepath.Join(t.TempDir(), "events.jsonl")
	step(t, "up, killed "+point.name, func() { cli.upKilledAt(events, point.typ) })
	pending := cli.pendingCreates()
	if len(pending) == 0 {
		t.Fatalf("the kill %s left no pending create; nothing was interrupted", point.name)
	}
	step(t, "the README's recovery", func() {
		if kubernetesLayer {
			cli.run("config", "set", config.Project+":skipAwait", "true", "--type", "bool", "-s", cli.stack)
		}
		cli.run("cancel", "--yes", "-s", cli.stack)
		t.Logf("pending operations:\n%s", cli.shell(`pulumi stack export -s `+cli.stack+` | jq -r '.deployment.pending_operations[] | "\(.type) \(.resource.urn)"'`))
		line := []string{resolveScript, cli.stack}
		for _, p := range pending {
			id, ok := findPending(t, tw.account(t), p)
			if !ok {
				id = "-"
			}
			if ok && (p.Resource.Type == "aws:eks/cluster:Cluster" || p.Resource.Type == "aws:eks/nodeGroup:NodeGroup") {
				// The README's table: wait for it (aws eks wait cluster-active, nodegroup-active). EKS
				// refuses add-ons, access entries and node groups on a cluster still CREATING, and AWS
				// goes on creating after the kill.
				waitCreated(t, tw, id)
			}
			t.Logf("pending create %s: %s in the account", p.Resource.URN, id)
			line = append(line, shellQuote(p.Resource.URN), id)
		}
		t.Log(cli.shell(strings.Join(line, " ")))
		cli.run("refresh", "--yes", "--skip-preview", "-s", cli.stack)
	})
}

// waitCreated waits, as aws eks wait does, until the twin has finished creating the resource.
func waitCreated(t *testing.T, tw *twin, id string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, ok := tw.account(t).Resources[id]
		if !ok || r.CreatingUntil == nil || !time.Now().Before(*r.CreatingUntil) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was still being created at %s", id, deadline.Format(time.StampMilli))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// resolveScript is the README's helper that records or drops each pending create.
var resolveScript = func() string {
	abs, err := filepath.Abs("../tools/resolve-pending-creates.sh")
	if err != nil {
		panic(err)
	}
	return abs
}()

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// shell runs a command line as the README writes it, in the project directory.
func (c pulumiCLI) shell(line string) string {
	c.t.Helper()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", line)
	cmd.Dir, cmd.Env = c.dir, append(c.env, "PULUMI_NON_INTERACTIVE=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("%s: %v\n%s", line, err, out)
	}
	return string(out)
}

// pulumiCLI runs the real CLI on a copy of the program, as a user does, in the copy's directory.
type pulumiCLI struct {
	t          *testing.T
	dir, stack string
	env        []string
}

func cliEnv(t *testing.T, tw *twin, languageHost string) []string {
	t.Helper()
	env := suiteEnv(tw.env, map[string]string{
		"PULUMI_BACKEND_URL": "file://" + t.TempDir(),
		// --event-log, which the kill watches, is a debug flag (pkg/cmd/pulumi/operations/up.go).
		"PULUMI_DEBUG_COMMANDS": "true",
		"PATH":                  languageHost + string(os.PathListSeparator) + tw.env["PATH"],
	})
	out := os.Environ()
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func (c pulumiCLI) command(args ...string) *exec.Cmd {
	cmd := exec.Command("pulumi", append(args, "--non-interactive")...)
	cmd.Dir, cmd.Env = c.dir, c.env
	return cmd
}

// run runs pulumi and fails the test if it fails.
func (c pulumiCLI) run(args ...string) string {
	c.t.Helper()
	out, err := c.command(args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// upKilledAt starts `pulumi up` and kills it with SIGKILL, with its plugins, once the engine has
// started creating a resource of typ.
func (c pulumiCLI) upKilledAt(events, typ string) {
	c.t.Helper()
	cmd := c.command("up", "--yes", "--skip-preview", "-s", c.stack, "--event-log", events)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(10 * time.Minute)
	for {
		select {
		case err := <-done:
			c.t.Fatalf("up ended (%v) before it created a %s:\n%s", err, typ, out.String())
		case <-deadline:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			c.t.Fatalf("no %s create within 10 minutes", typ)
		case <-time.After(100 * time.Millisecond):
		}
		if creating(events, typ) {
			// The engine has sent the create; the twin holds the resource and is "waiting" for AWS.
			time.Sleep(300 * time.Millisecond)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			if err := <-done; err == nil {
				c.t.Fatalf("up finished before the kill:\n%s", out.String())
			}
			return
		}
	}
}

// creating says whether the event log shows a create of typ begun.
func creating(events, typ string) bool {
	f, err := os.Open(events)
	if err != nil {
		return false
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	for scanner.Scan() {
		var e struct {
			ResourcePreEvent *struct {
				Metadata struct{ Op, Type string }
			} `json:"resourcePreEvent"`
		}
		if json.Unmarshal(scanner.Bytes(), &e) == nil && e.ResourcePreEvent != nil &&
			e.ResourcePreEvent.Metadata.Type == typ && e.ResourcePreEvent.Metadata.Op == "create" {
			return true
		}
	}
	return false
}

// pendingOperation is one of a checkpoint's pending_operations, as `pulumi stack export` writes it.
type pendingOperation struct {
	Type     string `json:"type"`
	Resource struct {
		URN    string         `json:"urn"`
		Type   string         `json:"type"`
		Inputs map[string]any `json:"inputs"`
	} `json:"resource"`
}

// pendingCreates lists the interrupted creates, as the README has the user list them.
func (c pulumiCLI) pendingCreates() []pendingOperation {
	c.t.Helper()
	var export struct {
		Deployment struct {
			PendingOperations []pendingOperation `json:"pending_operations"`
		} `json:"deployment"`
	}
	var out []byte
	for attempt := 1; ; attempt++ {
		cmd := c.command("stack", "export", "-s", c.stack)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		var err error
		if out, err = cmd.Output(); err == nil {
			break
		}
		// Seen once under load, right after the kill; its message is logged to find out why.
		c.t.Logf("pulumi stack export, attempt %d: %v\n%s", attempt, err, stderr.String())
		if attempt == 3 {
			c.t.FailNow()
		}
		time.Sleep(time.Second)
	}
	if err := json.Unmarshal(out, &export); err != nil {
		c.t.Fatal(err)
	}
	var creates []pendingOperation
	for _, op := range export.Deployment.PendingOperations {
		if op.Type == "creating" {
			creates = append(creates, op)
		}
	}
	return creates
}

// findPending finds a pending create's AWS resource in the account. A Kubernetes object that
// exists is deleted instead (kubectl delete), and answered as not created: recorded, it would be
// owned by the killed run's server-side-apply field manager, and the next up's apply conflicts with
// it (this test saw "Server-Side Apply field conflict detected" on tigera-operator's Deployment).
func findPending(t *testing.T, a *awstwin.Account, op pendingOperation) (string, bool) {
	t.Helper()
	if !strings.HasPrefix(op.Resource.Type, "kubernetes:") {
		return findInAccount(t, a, op)
	}
	meta, _ := op.Resource.Inputs["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	apiVersion, _ := op.Resource.Inputs["apiVersion"].(string)
	kind, _ := op.Resource.Inputs["kind"].(string)
	if name == "" || kind == "" {
		t.Fatalf("the pending %s names no object: %v", op.Resource.URN, op.Resource.Inputs)
	}
	what := strings.ToLower(kind)
	if group, _, ok := strings.Cut(apiVersion, "/"); ok {
		what += "." + group
	}
	args := []string{"--kubeconfig", testCluster.kubeconfig, "delete", what, name, "--ignore-not-found", "--wait=false"}
	if ns != "" {
		args = append(args, "-n", ns)
	}
	if out, err := exec.Command("kubectl", args...).CombinedOutput(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return "", false
}

// findInAccount finds a pending create's resource in the account by what names it, as a user finds
// it in the console: the resource's name (an EKS cluster's, a node group's in its cluster), else its
// Name tag, else what makes it unique where it has no name (the inputs AWS cannot change: a rule's
// group, protocol, ports and peer; a route's table and destination; an attachment's role and policy).
func findInAccount(t *testing.T, a *awstwin.Account, op pendingOperation) (string, bool) {
	t.Helper()
	in := op.Resource.Inputs
	tags, _ := in["tags"].(map[string]any)
	identity, _ := replacement.AWSForceNew(op.Resource.Type)
	var ids []string
	for id, r := range a.Resources {
		if r.Type != op.Resource.Type || r.DeletingUntil != nil || r.Owner != "" {
			continue
		}
		rtags, _ := r.Inputs["tags"].(map[string]any)
		switch {
		case in["nodeGroupName"] != nil:
			if r.Inputs["nodeGroupName"] == in["nodeGroupName"] && r.Inputs["clusterName"] == in["clusterName"] {
				ids = append(ids, id)
			}
		case in["name"] != nil:
			if r.Inputs["name"] == in["name"] {
				ids = append(ids, id)
			}
		case tags["Name"] != nil:
			if rtags["Name"] == tags["Name"] {
				ids = append(ids, id)
			}
		case len(identity) > 0:
			if !slices.ContainsFunc(identity, func(k string) bool { return !reflect.DeepEqual(r.Inputs[k], in[k]) }) {
				ids = append(ids, id)
			}
		default:
			t.Fatalf("no way to find the pending %s in the account", op.Resource.URN)
		}
	}
	slices.Sort(ids)
	switch len(ids) {
	case 0:
		return "", false
	case 1:
		return ids[0], true
	}
	t.Fatalf("%d resources answer to %s: %v", len(ids), op.Resource.URN, ids)
	return "", false
}
