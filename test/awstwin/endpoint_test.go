package awstwin

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestTheEndpointGateFollowsTheClustersAccess: the gate answers the deployer exactly while a
// cluster's access lets it in, read at each connection, so an access change on a running cluster
// opens or closes the endpoint under the same name, and a closed one refuses the connection. A
// gate that let everything through, or decided once, fails it.
func TestTheEndpointGateFollowsTheClustersAccess(t *testing.T) {
	upstream, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	go func() {
		for {
			conn, err := upstream.Accept()
			if err != nil {
				return
			}
			_, _ = conn.Write([]byte("api server"))
			_ = conn.Close()
		}
	}()
	state := filepath.Join(t.TempDir(), "account.json")
	gate, err := StartEndpointGate(state, "https://"+upstream.Addr().String(), DefaultDeployer)
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close()
	answers := func() bool {
		t.Helper()
		if err := gate.refresh(); err != nil {
			t.Fatal(err)
		}
		conn, err := net.DialTimeout("tcp", gate.URL()[len("https://"):], time.Second)
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("the endpoint failed otherwise than refusing the connection, which client-go would retry: %v", err)
			}
			return false
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		got, _ := io.ReadAll(conn)
		return string(got) == "api server"
	}
	setAccess := func(vpcConfig map[string]any) {
		t.Helper()
		err := UpdateAccount(state, "eu-central-1", func(a *Account) error {
			a.Resources["c"] = &Record{Type: typeCluster, ID: "c", Inputs: map[string]any{"vpcConfig": vpcConfig}, Outputs: map[string]any{}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	if answers() {
		t.Error("the endpoint answered with no cluster in the account")
	}
	setAccess(map[string]any{"endpointPublicAccess": false, "endpointPrivateAccess": true})
	if answers() {
		t.Error("a private endpoint answered the deployer outside the VPC")
	}
	setAccess(map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"203.0.113.0/24", DefaultDeployer + "/32"}})
	if !answers() {
		t.Error("a public endpoint that allows the deployer's address did not answer it")
	}
	setAccess(map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"203.0.113.0/24"}})
	if answers() {
		t.Error("the endpoint still answered once its access no longer allowed the deployer")
	}
}

// A reserved port refuses connections while the gate is closed and answers while it listens, and no
// one else can listen on it in between, before its first listen or after one: the kernel keeps the
// explicitly bound port through listen and shutdown.
func TestAReservedPortStaysTheGatesWhileClosed(t *testing.T) {
	p, err := reservePort()
	if err != nil {
		t.Fatal(err)
	}
	refuses := func(when string) {
		t.Helper()
		if conn, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s: the port accepted a connection", when)
		} else if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%s: the connection failed otherwise than refused: %v", when, err)
		}
		if other, err := net.Listen("tcp", p.addr); err == nil {
			other.Close()
			t.Errorf("%s: another listener took the port", when)
		}
	}
	answers := func(l net.Listener) {
		t.Helper()
		go func() {
			if conn, err := l.Accept(); err == nil {
				_, _ = conn.Write([]byte("open"))
				conn.Close()
			}
		}()
		conn, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			t.Fatalf("the listening port: %v", err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if got, _ := io.ReadAll(conn); string(got) != "open" {
			t.Errorf("the listening port answered %q", got)
		}
	}
	refuses("before its first listen")
	for round := range 2 {
		l, err := p.listen()
		if err != nil {
			t.Fatalf("listen %d: %v", round, err)
		}
		answers(l)
		if err := p.stop(l); err != nil {
			t.Fatal(err)
		}
		refuses("after a listen and its stop")
	}
	if err := p.release(); err != nil {
		t.Fatal(err)
	}
}
