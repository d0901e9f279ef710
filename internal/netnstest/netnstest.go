// Package netnstest is what the tests that run real network plumbing share: root and tool checks,
// named network namespaces removed at the end of a test, and running code or listening inside one.
// These tests need root; elsewhere they skip, saying why, and with EAN_REQUIRE_ROOT_TESTS=1 (as
// .ci/run sets) a skip is a failure, so CI cannot pass without running them.
package netnstest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// RequireRoot stops the test unless it runs as root with tools on PATH.
func RequireRoot(t *testing.T, tools ...string) {
	t.Helper()
	stop := Stopper(t)
	if os.Geteuid() != 0 {
		stop("needs root to create network namespaces (run as root, as CI does)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			stop("needs %s on PATH (.ci/run installs it): %v", tool, err)
		}
	}
}

// Stopper skips, or fails where the test must run (EAN_REQUIRE_ROOT_TESTS=1).
func Stopper(t *testing.T) func(format string, args ...any) {
	if os.Getenv("EAN_REQUIRE_ROOT_TESTS") == "1" {
		return t.Fatalf
	}
	return t.Skipf
}

// Run runs a command and fails the test with its output if it fails.
func Run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var nsCounter atomic.Int64

// Netns creates a named network namespace with its loopback up, removed when the test ends.
func Netns(t *testing.T, prefix string) (name, path string) {
	t.Helper()
	name = fmt.Sprintf("ean-%s-%d-%d", prefix, os.Getpid(), nsCounter.Add(1))
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("removing network namespace %s: %v\n%s", name, err, out)
		}
	})
	Run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name, filepath.Join("/var/run/netns", name)
}

// InNetns runs fn on a thread switched into the network namespace at path, so sockets it opens and
// processes it starts live there too, and switches back.
func InNetns(t *testing.T, path string, fn func()) {
	t.Helper()
	if err := Enter(path, func() error { fn(); return nil }); err != nil {
		t.Error(err)
	}
}

// Enter is InNetns for code that is not a test's own goroutine: it returns what goes wrong, fn's
// error included.
func Enter(path string, fn func() error) error {
	target, err := os.Open(path) //nolint:gosec // a namespace file under /var/run/netns
	if err != nil {
		return err
	}
	defer target.Close()
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		origin, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer origin.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		fnErr := fn()
		if err := unix.Setns(int(origin.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- err // leave the thread locked: the runtime discards it
			return
		}
		runtime.UnlockOSThread()
		done <- fnErr
	}()
	return <-done
}

// ListenIn listens on network ("tcp" or "udp") at address inside the namespace at path; the socket
// stays in that namespace. It is closed when the test ends.
func ListenIn(t *testing.T, path, network, address string) (ln net.Listener, pc net.PacketConn) {
	t.Helper()
	InNetns(t, path, func() {
		var err error
		if network == "udp" {
			pc, err = net.ListenPacket(network, address)
		} else {
			ln, err = net.Listen(network, address)
		}
		if err != nil {
			t.Error(err)
		}
	})
	if ln == nil && pc == nil {
		t.FailNow()
	}
	t.Cleanup(func() {
		if ln != nil {
			_ = ln.Close() // a server may have closed it already
		}
		if pc != nil {
			_ = pc.Close()
		}
	})
	return ln, pc
}

// BusyboxApplets is a directory of links to busybox's applets: put on PATH alone, the only programs
// a script may use, as in a busybox image.
func BusyboxApplets(t *testing.T) string {
	t.Helper()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, applet := range strings.Fields(Run(t, busybox, "--list")) {
		if err := os.Symlink(busybox, filepath.Join(dir, applet)); err != nil {
			t.Fatal(err)
		}
	}
	// Scripts run as an unprivileged user (AsUser), who must reach the applets.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil { //nolint:gosec // a test's own directory of links, read by the scripts' user
			t.Fatal(err)
		}
	}
	return dir
}

// AsUser is the command prefix that drops to user and group id, as a pod at Pod Security
// `restricted` runs: no root, no capabilities, no supplementary groups, no new privileges.
func AsUser(id int64) []string {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		setpriv = "setpriv" // RequireRoot names it when it is missing
	}
	s := strconv.FormatInt(id, 10)
	return []string{setpriv, "--reuid=" + s, "--regid=" + s, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"}
}

// listen listens on TCP address inside the namespace at path, returning the error rather than
// failing the test, so it may be called from any goroutine.
func listen(t *testing.T, path, address string) (net.Listener, error) {
	var ln net.Listener
	var err error
	InNetns(t, path, func() { ln, err = net.Listen("tcp", address) })
	return ln, err
}

func serve(ln net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv
}

// ServeHTTP answers every request at address (host:port) inside the namespace at path with body
// and a newline, until the returned server is closed.
func ServeHTTP(t *testing.T, path, address, body string) (*http.Server, error) {
	ln, err := listen(t, path, address)
	if err != nil {
		return nil, err
	}
	return serve(ln, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(rw, body+"\n")
	})), nil
}

// ImdsAddress is where EC2's instance metadata service answers.
const ImdsAddress = "169.254.169.254"

// ServeIMDSv2 is an instance metadata service at ImdsAddress:80 inside the namespace at path,
// IMDSv2 only: PUT /latest/api/token gives a token, and GET /latest/meta-data/KEY with it answers
// data[KEY], read at each request, or 404. It serves until the returned server is closed.
func ServeIMDSv2(t *testing.T, path string, data map[string]string) (*http.Server, error) {
	ln, err := listen(t, path, net.JoinHostPort(ImdsAddress, "80"))
	if err != nil {
		return nil, err
	}
	const token = "imdsv2-token" //nolint:gosec // G101: the stand-in service's token, not a credential
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /latest/api/token", func(rw http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(rw, token) })
	mux.HandleFunc("GET /latest/meta-data/", func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-aws-ec2-metadata-token") != token {
			http.Error(rw, "IMDSv2 token required", http.StatusUnauthorized)
			return
		}
		value, ok := data[strings.TrimPrefix(r.URL.Path, "/latest/meta-data/")]
		if !ok {
			http.NotFound(rw, r)
			return
		}
		_, _ = io.WriteString(rw, value)
	})
	return serve(ln, mux), nil
}
