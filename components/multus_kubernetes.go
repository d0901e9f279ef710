package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/workload"
)

// multusKubernetes registers Multus itself, the NADs and the demo pod, and returns the demo's check
// and what is done once the networks serve pods (the DaemonSet, the NADs, the demo pod).
func multusKubernetes(ctx *pulumi.Context, name string, args *MultusNetworkArgs, nodes []pulumi.Resource, parent pulumi.ResourceOrInvokeOption) ([]string, []pulumi.Resource, error) {
	crdRes, err := newKubeObject(ctx, name+"-nad-crd", multus.NadCrd(), parent)
	if err != nil {
		return nil, nil, err
	}
	configMap, err := multus.ConfigMap()
	if err != nil {
		return nil, nil, err
	}
	daemonSet := multus.DaemonSet(args.Image)
	if args.SkipAwait {
		skipAwait(&daemonSet.ObjectMeta)
	}
	for _, o := range []struct {
		suffix string
		obj    any
	}{
		{"cluster-role", multus.ClusterRole()}, {"cluster-role-binding", multus.ClusterRoleBinding()},
		{"service-account", multus.ServiceAccount()}, {"daemon-config", configMap},
	} {
		if _, err := newKubeObject(ctx, name+"-"+o.suffix, o.obj, parent); err != nil {
			return nil, nil, err
		}
	}
	daemon, err := newKubeObject(ctx, name+"-daemonset", daemonSet, parent)
	if err != nil {
		return nil, nil, err
	}

	nads := make([]pulumi.Resource, len(args.Networks))
	for i, n := range args.Networks {
		nad, err := n.NetworkAttachmentDefinition()
		if err != nil {
			return nil, nil, err
		}
		if nads[i], err = newKubeObject(ctx, name+"-"+n.Name, nad, parent, pulumi.DependsOn([]pulumi.Resource{crdRes})); err != nil {
			return nil, nil, err
		}
	}
	ready := append([]pulumi.Resource{daemon}, nads...)
	if args.DemoPod {
		n := args.Networks[0]
		image, err := workload.ImageOrDefault(args.DemoPodImage)
		if err != nil {
			return nil, nil, err // validateMultusArgs refused it already
		}
		deployment, err := multus.DemoDeployment(n, image)
		if err != nil {
			return nil, nil, err
		}
		if args.SkipAwait {
			skipAwait(&deployment.ObjectMeta)
		}
		deps := append([]pulumi.Resource{nads[0], daemon}, nodes...)
		demo, err := newKubeObject(ctx, name+"-demo", deployment, parent, pulumi.DependsOn(deps))
		if err != nil {
			return nil, nil, err
		}
		first, _ := n.ExpectedAddress(0)
		return []string{
			fmt.Sprintf("kubectl exec -n %s deploy/%s -- ip addr show net1   # expect inet %s/%d", multus.NadNamespace, multus.DemoPodName, first, n.Subnet.Bits()),
		}, append(ready, demo), nil
	}
	return nil, ready, nil
}
