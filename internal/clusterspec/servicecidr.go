package clusterspec

import (
	"errors"
	"net/netip"
)

// ValidateServiceIpv4Cidr checks the Kubernetes service block of an IPv4 cluster as EKS does: an IPv4
// block from /12 to /24 with its host bits clear.
func ValidateServiceIpv4Cidr(cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Masked() != p || p.Bits() < 12 || p.Bits() > 24 {
		return errors.New("EKS takes an IPv4 block from /12 to /24 with host bits clear, such as 10.100.0.0/16")
	}
	return nil
}
