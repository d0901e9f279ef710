package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
)

// controlPlaneLogGroup is the log group EKS writes the control plane's logs to, created before the
// cluster so that it is ours: with a retention, and removed by destroy. Left to EKS, it is created
// with no retention and outlives the stack (clusterspec.ClusterLogGroupName).
func (b *clusterBuilder) controlPlaneLogGroup() (*cloudwatch.LogGroup, error) {
	args := &cloudwatch.LogGroupArgs{
		Name: pulumi.String(clusterspec.ClusterLogGroupName(b.clusterName)),
		Tags: b.tags(b.name + "-control-plane-logs"),
	}
	if days := b.args.LogRetentionDays; days > 0 {
		args.RetentionInDays = pulumi.Int(days)
	}
	return cloudwatch.NewLogGroup(b.ctx, b.name+"-control-plane-logs", args, b.parent)
}
