package stacks

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/blueprint"
	"eks-advanced-networking/internal/config"
)

// ExistingCluster brings a scenario's Kubernetes layer (policy engine, policy demo, Multus objects and
// NADs) to a cluster that exists already (clusterMode existing). No AWS resource is created: what
// would come from AWS outputs comes from config (the Multus zones and subnet blocks), and the nodes
// must already carry their Multus ENI, renamed multus.
func ExistingCluster(ctx *pulumi.Context, cfg *config.Config, bp *blueprint.Blueprint) (Outputs, error) {
	args := &kubernetes.ProviderArgs{EnableServerSideApply: pulumi.Bool(true)}
	if cfg.Kubeconfig != "" {
		args.Kubeconfig = pulumi.String(cfg.Kubeconfig)
	}
	k8s, err := kubernetes.NewProvider(ctx, "k8s", args)
	if err != nil {
		return nil, err
	}
	return kubernetesLayer(ctx, cfg, bp, k8s, bp.ExistingMultusNetworks(), nil, nil)
}
