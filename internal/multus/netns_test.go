package multus

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// These tests run real network plumbing (network namespaces, veth, the Debian CNI plugins) and need
// root. Elsewhere they skip, saying why; with EAN_REQUIRE_ROOT_TESTS=1 (as .ci/run sets) a skip is a
// failure, so CI cannot pass without running them.
func requireRoot(t *testing.T, tools ...string) {
	t.Helper()
	stop := stopper(t)
	if os.Geteuid() != 0 {
		stop("needs root to create network namespaces (run as root, as CI does)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			stop("needs %s on PATH (.ci/run installs it): %v", tool, err)
		}
	}
}

// stopper skips, or fails where the test must run (EAN_REQUIRE_ROOT_TESTS=1).
func stopper(t *testing.T) func(format string, args ...any) {
	if os.Getenv("EAN_REQUIRE_ROOT_TESTS") == "1" {
		return t.Fatalf
	}
	return t.Skipf
}

// run runs a command and fails the test with its output if it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// netns creates a named network namespace with its loopback up, removed when the test ends.
func netns(t *testing.T, prefix string) (name, path string) {
	t.Helper()
	name = fmt.Sprintf("ean-%s-%d-%d", prefix, os.Getpid(), nsCounter.next())
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("removing network namespace %s: %v\n%s", name, err, out)
		}
	})
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name, filepath.Join("/var/run/netns", name)
}

type counter struct{ n int }

func (c *counter) next() int { c.n++; return c.n }

var nsCounter counter

// inNetns runs fn on a thread switched into the network namespace at path, so processes it starts
// (CNI plugins) live there too, and switches back.
func inNetns(t *testing.T, path string, fn func()) {
	t.Helper()
	target, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		origin, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			t.Error(err)
			runtime.UnlockOSThread()
			return
		}
		defer origin.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			t.Error(err)
			runtime.UnlockOSThread()
			return
		}
		fn()
		if err := unix.Setns(int(origin.Fd()), unix.CLONE_NEWNET); err != nil {
			t.Error(err) // leave the thread locked: the runtime discards it
			return
		}
		runtime.UnlockOSThread()
	}()
	<-done
}
