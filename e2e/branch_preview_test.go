//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	sigsyaml "sigs.k8s.io/yaml"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/plan"
)

// Environment of TestTwinPreviewOfTheBaseBranch, which the pull-request workflow sets.
const (
	// previewBaseEnv is a checkout of the pull request's base branch.
	previewBaseEnv = "EAN_TWIN_PREVIEW_BASE"
	// previewOutEnv is the Markdown file the previews are written to.
	previewOutEnv = "EAN_TWIN_PREVIEW_OUT"
)

// maxPreviewLines keeps a stack's preview readable in a comment; the job log has all of it.
const maxPreviewLines = 300

// The real engine's `pulumi preview --diff` of this branch against the base branch's stacks on the
// AWS twin: each stack of the base is deployed to a fresh simulated account from the base's own
// program and stack file, then this branch's program previews against that state. What a reviewer
// gets without AWS credentials, from the real engine, pulumi-eks and pulumi-kubernetes; the twin's
// answers are the simulated account's. Runs only when the workflow names the base's checkout.
func TestTwinPreviewOfTheBaseBranch(t *testing.T) {
	baseDir := os.Getenv(previewBaseEnv)
	if baseDir == "" {
		t.Skipf("%s is not set: the pull-request workflow sets it to the base branch's checkout", previewBaseEnv)
	}
	out := os.Getenv(previewOutEnv)
	if out == "" {
		t.Fatalf("%s must name the Markdown file to write", previewOutEnv)
	}
	languageHost := buildLanguageHost(t)
	var b strings.Builder
	b.WriteString("## Preview against the simulated account\n\n" +
		"The real `pulumi preview --diff` of this branch, against each stack as the base branch's program deploys it to the AWS twin " +
		"(a simulated account; no AWS). Kubernetes objects go to a local API server; the stacks run with `skipAwait`, the charts from local copies (third_party/charts), and the load balancer controller off, since no pod runs there.\n\n")
	for _, name := range plan.StackNames("..") {
		step(t, "preview of "+name+" against the base", func() {
			fmt.Fprintf(&b, "### %s\n\n", name)
			if _, err := os.Stat(filepath.Join(baseDir, "Pulumi."+name+".yaml")); err != nil {
				b.WriteString("A new stack: the base has no `Pulumi." + name + ".yaml`, so everything is created (see the offline preview).\n\n")
				return
			}
			text, err := previewAgainstBase(t, baseDir, name, languageHost)
			if err != nil {
				fmt.Fprintf(&b, "The preview failed:\n\n```\n%s\n```\n\n", clip(err.Error()))
				t.Errorf("%s: %v", name, err)
				return
			}
			fmt.Fprintf(&b, "```diff\n%s\n```\n\n", clip(text))
		})
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildLanguageHost builds e2e/languagehost, the stand-in for pulumi-language-go, into a directory to
// put first on the engine's PATH for programs that run from a directory.
func buildLanguageHost(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "pulumi-language-go"), "./languagehost")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the Go language host: %v\n%s", err, out)
	}
	return dir
}

// previewAgainstBase deploys the base's stack to a fresh twin and previews this branch against it,
// then destroys it. Both programs run from copies, which the twin's settings are written into.
func previewAgainstBase(t *testing.T, baseDir, name, languageHost string) (string, error) {
	ctx := context.Background()
	tw, baseStack, head := baseAndHead(t, baseDir, name, languageHost)
	stopKubelet := kubeletForTwinNodes(t, tw)
	defer stopKubelet()
	defer func() {
		if _, err := baseStack.Destroy(ctx); err != nil {
			t.Errorf("destroy of %s: %v", name, err)
		}
		_ = baseStack.Workspace().RemoveStack(ctx, name)
	}()
	if res, err := baseStack.Up(ctx); err != nil {
		return "", fmt.Errorf("the base's up: %w\n%s", err, res.StdOut)
	}
	headStack := localStack(t, name, head, tw.env)
	res, err := headStack.Preview(ctx, optpreview.Diff())
	if err != nil {
		return "", fmt.Errorf("%w\n%s", err, res.StdOut)
	}
	return res.StdOut, nil
}

// baseAndHead is a fresh twin, the base's stack as the base's program runs it there, and this
// checkout's program in a copy, both copies with the twin's settings written into their stack files.
func baseAndHead(t *testing.T, baseDir, name, languageHost string) (*twin, auto.Stack, string) {
	t.Helper()
	tw := newTwin(t)
	tw.env["PATH"] = languageHost + string(os.PathListSeparator) + tw.env["PATH"]
	base, head := copyProgram(t, baseDir), copyProgram(t, "..")
	for _, dir := range []string{base, head} {
		writeTwinSettings(t, dir, name)
	}
	return tw, localStack(t, name, base, tw.env), head
}

// writeTwinSettings adds to a copy's stack file what every stack needs on the twin: the deployer's
// address, no waiting for pods, the charts from local copies, no load balancer controller (its
// webhook has no pod to call here). Typed, as a user would write them.
func writeTwinSettings(t *testing.T, dir, name string) {
	t.Helper()
	path := filepath.Join(dir, "Pulumi."+name+".yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := sigsyaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	cfg, _ := file["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	cfg[config.Project+":endpointPublicAccessCidrs"] = []string{"198.51.100.7/32"}
	cfg[config.Project+":skipAwait"] = true
	cfg[config.Project+":calicoChartRepository"] = calicoCharts(t)
	cfg[config.Project+":calicoVersion"] = "v3.32.1"
	cfg[config.Project+":loadBalancerController"] = false
	file["config"] = cfg
	out, err := sigsyaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// localStack is a stack whose program is the Go module in dir, in the suite's file backend.
func localStack(t *testing.T, name, dir string, env map[string]string) auto.Stack {
	t.Helper()
	stack, err := auto.UpsertStackLocalSource(context.Background(), name, dir, auto.Pulumi(suiteCLI(t)),
		auto.EnvVars(suiteEnv(env, map[string]string{"PULUMI_BACKEND_URL": suiteBackend(t)})))
	if err != nil {
		t.Fatal(err)
	}
	return stack
}

// mutatedCopy is a copy of this checkout's program with from replaced by to, once, in file: a
// program with one defect, for a test to show the defect caught.
func mutatedCopy(t *testing.T, file, from, to string) string {
	t.Helper()
	dir := copyProgram(t, "..")
	path := filepath.Join(dir, file)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(src), from) != 1 {
		t.Fatalf("%s does not hold %q once: the mutation is stale", file, from)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(src), from, to, 1)), 0o644); err != nil { //nolint:gosec // a copy of the program
		t.Fatal(err)
	}
	return dir
}

// destroyLeavesNothing destroys a stack on the twin, checks the account is empty after it, and
// removes the stack.
func destroyLeavesNothing(t *testing.T, tw *twin, stack auto.Stack, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := stack.Destroy(ctx); err != nil {
		t.Errorf("destroy: %v", err)
	}
	if a := tw.account(t); len(a.Resources) != 0 {
		t.Errorf("after destroy the twin holds %v", a.Summary())
	}
	_ = stack.Workspace().RemoveStack(ctx, name)
}

// copyProgram copies a checkout's Go module and stack files, without .git and build output.
func copyProgram(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && (rel == ".git" || rel == "bin" || rel == "third_party" || rel == "e2e") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func clip(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= maxPreviewLines {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:maxPreviewLines], "\n") + fmt.Sprintf("\n… %d more lines in the job's log", len(lines)-maxPreviewLines)
}
