package verify

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"eks-advanced-networking/internal/settings"
)

// Settings are the checks' own stack-file keys: the servers the IPv6 checks reach. (Whether the
// checks run, verify, is the composition's switch.)
type Settings struct {
	// Ipv4Target is host:port of an IPv4-only HTTP server, a name so that DNS64's answer shows.
	Ipv4Target string
	// Ipv6Target is host:port of an IPv6-only HTTP server.
	Ipv6Target string
}

// The keys' names, which are also the field paths of Validate's errors.
const (
	KeyIpv4Target = "verifyIpv4Target"
	KeyIpv6Target = "verifyIpv6Target"
)

// Keys are the checks' keys, in the order the docs list them.
var Keys = []settings.Key[Settings]{
	{Name: KeyIpv4Target, Type: "string", Default: DefaultIpv4Target,
		Description: "host:port of an IPv4-only HTTP server the IPv6 checks reach (or, with ipv4Egress none, must not reach). A name, so DNS64's answer can be seen; a private cluster can name its own endpoint.",
		Decode:      func(s *Settings, raw string) error { s.Ipv4Target = raw; return nil }},
	{Name: KeyIpv6Target, Type: "string", Default: DefaultIpv6Target,
		Description: "host:port of an IPv6-only HTTP server the IPv6 checks reach: a name with an AAAA record, or [address]:port.",
		Decode:      func(s *Settings, raw string) error { s.Ipv6Target = raw; return nil }},
}

// Targets are the two servers, parsed, with an error for each that does not parse.
func (s Settings) Targets() (ipv4, ipv6 Target, errs field.ErrorList) {
	ipv4, err := ParseTarget(s.Ipv4Target, true)
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath(KeyIpv4Target), s.Ipv4Target, err.Error()))
	}
	ipv6, err = ParseTarget(s.Ipv6Target, false)
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath(KeyIpv6Target), s.Ipv6Target, err.Error()))
	}
	return ipv4, ipv6, errs
}

// Validate checks that both targets are host:port, the IPv4 one a name.
func (s Settings) Validate() field.ErrorList {
	_, _, errs := s.Targets()
	return errs
}
