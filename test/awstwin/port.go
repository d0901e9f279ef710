package awstwin

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// reservedPort is a loopback TCP port the endpoint gate holds for as long as it runs, answering or
// not: a socket bound to it, which listens only while the endpoint is open. Bound and not listening,
// the port refuses connections as a closed one does, and no other process can take it meanwhile. A
// port the gate closed and listened on again later was once taken in between by another process's
// plaintext server, and the deployer's TLS handshake then failed ("first record does not look like
// a TLS handshake").
//
// Linux keeps an explicitly bound port through a listen and its shutdown: shutdown on a listening
// socket disconnects it to the closed state (net/ipv4/af_inet.c, inet_shutdown; net/ipv4/tcp.c,
// tcp_disconnect), and tcp_set_state releases the port on close only for a socket bound to port 0
// (SOCK_BINDPORT_LOCK, set by __inet_bind for a port given).
type reservedPort struct {
	fd   int
	addr string
}

// Ports below Linux's default ephemeral range (net.ipv4.ip_local_port_range, 32768-60999): no
// process gets one of these without asking for it by number.
const reservedPortFirst, reservedPortCount = 20000, 12000

// reservePort binds a free port of 127.0.0.1 in that range.
func reservePort() (*reservedPort, error) {
	for range 100 {
		port := reservedPortFirst + rand.IntN(reservedPortCount) //nolint:gosec // a port number, not a secret
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		// SO_REUSEPORT lets the socket listen again while connections it accepted linger in
		// TIME_WAIT on the port (they inherit the option); a process that does not set it, as Go's
		// and Node's listeners do not, still cannot bind the port.
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			_ = unix.Close(fd)
			return nil, err
		}
		err = unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
		if err == nil {
			return &reservedPort{fd: fd, addr: fmt.Sprintf("127.0.0.1:%d", port)}, nil
		}
		_ = unix.Close(fd)
		if !errors.Is(err, unix.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, errors.New("no free port between 20000 and 32000 on 127.0.0.1 in 100 tries")
}

// listen starts answering on the port.
func (p *reservedPort) listen() (net.Listener, error) {
	if err := unix.Listen(p.fd, 128); err != nil {
		return nil, err
	}
	dup, err := unix.Dup(p.fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), p.addr)
	defer f.Close()
	return net.FileListener(f)
}

// stop stops answering and keeps the port: the socket leaves the listening state, and the listener,
// whose Accept fails then, is closed.
func (p *reservedPort) stop(l net.Listener) error {
	return errors.Join(unix.Shutdown(p.fd, unix.SHUT_RD), l.Close())
}

// release gives the port back.
func (p *reservedPort) release() error { return unix.Close(p.fd) }
