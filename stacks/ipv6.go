package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/config"
)

// Ipv6 is the chapter's IPv6 scenario: a dual-stack VPC whose private subnets get DNS64 and the NAT64
// route when ipv4Egress asks for them.
func Ipv6(ctx *pulumi.Context, cfg *config.Config) (Outputs, error) {
	b, err := newBase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return b.outputs(), nil
}
