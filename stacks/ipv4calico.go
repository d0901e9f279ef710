package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/config"
)

// Ipv4Calico is the chapter's network-policy scenario. Its VPC is the same component with IPv6 off
// (the preset sets vpcIpv6: false).
func Ipv4Calico(ctx *pulumi.Context, cfg *config.Config) (Outputs, error) {
	b, err := newBase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return b.outputs(), nil
}
