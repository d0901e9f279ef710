package stacks

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/multus"
)

// ExistingCluster brings a scenario's Kubernetes layer (policy engine, policy demo, Multus objects and
// NADs) to a cluster that exists already (clusterMode existing). No AWS resource is created: what
// would come from AWS outputs comes from config (the Multus zones and subnet blocks), and the nodes
// must already carry their Multus ENI, renamed multus.
func ExistingCluster(ctx *pulumi.Context, cfg *config.Config) (Outputs, error) {
	var networks []multus.Network
	if cfg.Multus.Enabled {
		var err error
		if networks, err = cfg.ExistingMultusNetworks(); err != nil {
			return nil, err
		}
	}
	args := &kubernetes.ProviderArgs{EnableServerSideApply: pulumi.Bool(true)}
	if cfg.Kubeconfig != "" {
		args.Kubeconfig = pulumi.String(cfg.Kubeconfig)
	}
	k8s, err := kubernetes.NewProvider(ctx, "k8s", args)
	if err != nil {
		return nil, err
	}
	return kubernetesLayer(ctx, cfg, k8s, networks, nil, nil)
}
