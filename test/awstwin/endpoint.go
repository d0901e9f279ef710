package awstwin

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"time"
)

// PublicEndpointEnv names the URL of the EndpointGate the clusters' endpoint answers the deployer
// at. Without it the endpoint is the API server itself.
const PublicEndpointEnv = "EAN_AWS_TWIN_PUBLIC_ENDPOINT"

// gatePoll is how often the gate looks at the account. A cluster update returns to the engine
// before anything can use its new access, and the engine's next request is further away than this.
const gatePoll = 20 * time.Millisecond

// EndpointGate stands between the deployer and the clusters' API server, as EKS's public endpoint
// does. A cluster's endpoint keeps its name whatever its access; what an UpdateClusterConfig
// changes is whom it answers (EKS User Guide, cluster-endpoint). So the gate listens at one
// address only while a cluster in the account lets the deployer's address in (deployerReaches),
// and refuses connections otherwise. A refused connection fails at once: client-go retries a GET
// on a reset or an EOF (k8s.io/client-go rest/request.go, IsProbableEOF, IsConnectionReset), not on
// a refusal, where AWS would let it time out. The account's own services (node registration, the
// controllers' stand-ins) reach the API server directly, from inside.
type EndpointGate struct {
	state, upstream, deployer, address string

	port     *reservedPort // held for the gate's life, so the endpoint keeps its address
	mu       sync.Mutex
	listener net.Listener // nil while the endpoint answers no one
	seen     string       // the state file's size and time when last read
	stop     chan struct{}
	wg       sync.WaitGroup
}

// StartEndpointGate reserves a local port for connections to upstream (an https URL) from
// deployer, under the account in the state file at statePath, and follows the account.
func StartEndpointGate(statePath, upstream, deployer string) (*EndpointGate, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the API server %q is not a URL with a host: %v", upstream, err)
	}
	port, err := reservePort()
	if err != nil {
		return nil, err
	}
	g := &EndpointGate{state: statePath, upstream: u.Host, deployer: deployer, port: port, address: port.addr, stop: make(chan struct{})}
	if err := g.refresh(); err != nil {
		_ = port.release()
		return nil, err
	}
	g.wg.Add(1)
	go g.follow()
	return g, nil
}

// URL is the endpoint the account's clusters report.
func (g *EndpointGate) URL() string { return "https://" + g.address }

// Close stops the gate; connections it relays end with their ends.
func (g *EndpointGate) Close() error {
	close(g.stop)
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	var stopped error
	if g.listener != nil {
		stopped = g.port.stop(g.listener)
		g.listener = nil
	}
	return errors.Join(stopped, g.port.release())
}

func (g *EndpointGate) follow() {
	defer g.wg.Done()
	ticker := time.NewTicker(gatePoll)
	defer ticker.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-ticker.C:
			_ = g.refresh() // a failed listen is tried again at the next poll
		}
	}
}

// refresh opens or closes the endpoint as the account's clusters' access says now.
func (g *EndpointGate) refresh() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if info, err := os.Stat(g.state); err == nil {
		seen := fmt.Sprint(info.Size(), info.ModTime().UnixNano())
		if seen == g.seen {
			return nil
		}
		g.seen = seen
	}
	open := g.open()
	switch {
	case open && g.listener == nil:
		listener, err := g.port.listen()
		if err != nil {
			g.seen = "" // try again
			return err
		}
		g.listener = listener
		go g.serve(listener)
	case !open && g.listener != nil:
		err := g.port.stop(g.listener)
		g.listener = nil
		return err
	}
	return nil
}

func (g *EndpointGate) serve(listener net.Listener) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		go g.relay(conn)
	}
}

// relay joins the deployer's connection to the API server.
func (g *EndpointGate) relay(conn net.Conn) {
	defer conn.Close()
	upstream, err := net.Dial("tcp", g.upstream)
	if err != nil {
		return
	}
	defer upstream.Close()
	done := make(chan struct{}, 2)
	pipe := func(to, from net.Conn) {
		_, _ = io.Copy(to, from)
		if tcp, ok := to.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(upstream, conn)
	go pipe(conn, upstream)
	<-done
	<-done
}

// open says whether a cluster in the account answers the deployer now.
func (g *EndpointGate) open() bool {
	a, err := ReadAccount(g.state)
	if err != nil || a == nil {
		return false
	}
	a.ApiServer.Deployer = g.deployer
	return a.deployerReachesACluster()
}

// deployerReachesACluster says whether a cluster that exists answers the deployer at its endpoint.
func (a *Account) deployerReachesACluster() bool {
	for _, c := range a.live(typeCluster, nil) {
		if c.DeletingUntil == nil && a.deployerReaches(object(c.Inputs["vpcConfig"])) {
			return true
		}
	}
	return false
}
