//go:build e2e

package e2e

import (
	"context"
	"os"
	"strings"
	"testing"

	"eks-advanced-networking/internal/plan"
)

// Environment of TestTwinUpgradeFromTheBaseBranch.
const (
	// upgradeBaseEnv is a checkout of the version users run today.
	upgradeBaseEnv = "EAN_TWIN_UPGRADE_BASE"
	// upgradeStacksEnv names the stacks to upgrade, comma-separated; empty means every stack file.
	upgradeStacksEnv = "EAN_TWIN_UPGRADE_STACKS"
)

// A user's upgrade of this project on a running stack, on the AWS twin: each stack deployed by the
// base's program and stack file, then `pulumi up` with this checkout's. The update succeeds, every
// Multus node holds its ENI and this version's labels, every pod is bound where it may run, the next
// preview is empty, and destroy leaves nothing. Runs only when the base's checkout is named (a
// release's check; the pull-request workflow previews the same way, TestTwinPreviewOfTheBaseBranch).
func TestTwinUpgradeFromTheBaseBranch(t *testing.T) {
	baseDir := os.Getenv(upgradeBaseEnv)
	if baseDir == "" {
		t.Skipf("%s is not set: name a checkout of the base to upgrade from", upgradeBaseEnv)
	}
	names := plan.StackNames("..")
	if only := os.Getenv(upgradeStacksEnv); only != "" {
		names = strings.Split(only, ",")
	}
	languageHost := buildLanguageHost(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			tw, baseStack, head := baseAndHead(t, baseDir, name, languageHost)
			stopKubelet := kubeletForTwinNodes(t, tw)
			defer stopKubelet()
			step(t, "the base's up", func() {
				if res, err := baseStack.Up(ctx); err != nil {
					t.Fatalf("%v\n%s", err, res.StdOut)
				}
			})
			headStack := localStack(t, name, head, tw.env)
			step(t, "this version's up", func() {
				res, err := headStack.Up(ctx)
				if err != nil {
					t.Fatalf("%v\n%s", err, res.StdOut)
				}
				t.Logf("changes: %v", res.Summary.ResourceChanges)
			})
			step(t, "every Multus node's boot unit attached its ENI and labelled it", func() { assertMultusNodesReady(t, tw) })
			step(t, "every pod bound to a node it may run on", func() { assertPodsBound(t) })
			step(t, "preview again", func() { previewIsEmpty(t, headStack) })
			step(t, "destroy", func() { destroyLeavesNothing(t, tw, headStack, name) })
		})
	}
}
