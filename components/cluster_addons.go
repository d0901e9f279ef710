package components

import (
	"errors"
	"fmt"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
)

// AddonVersions are the managed add-ons' versions: a version such as v1.22.1-eksbuild.2, or latest.
type AddonVersions struct {
	VpcCni, Coredns, KubeProxy string
}

// checkVpcCni says whether a vpc-cni version can serve the IP family and, with ipvlan, Multus.
func checkVpcCni(args *ClusterArgs, f ipFamily, version string) error {
	v, err := clusterspec.ParseAddonVersion(version)
	if err != nil {
		return err
	}
	return errors.Join(clusterspec.VpcCniNeeds{Ipv6: f.name == clusterspec.Ipv6, Ipvlan: args.VpcCniIpvlan}.Check(v)...)
}

// resolveAddonVersions turns "latest" into the most recent version EKS offers for the cluster's
// Kubernetes version, and checks that the vpc-cni can serve the IP family.
func (b *clusterBuilder) resolveAddonVersions() (AddonVersions, error) {
	out, err := ResolveAddonVersions(b.ctx, b.args.KubernetesVersion, b.args.Addons, b.parent)
	if err != nil {
		return out, err
	}
	if err := checkVpcCni(b.args, b.family, out.VpcCni); err != nil {
		return out, fmt.Errorf("the vpc-cni add-on version EKS offers for Kubernetes %s is %s: %w", b.args.KubernetesVersion, out.VpcCni, err)
	}
	return out, nil
}

// ResolveAddonVersions turns "latest" into the most recent version EKS offers for the Kubernetes
// version: a lookup, which registers nothing, so a stack can check the answer before it creates
// anything.
func ResolveAddonVersions(ctx *pulumi.Context, kubernetesVersion string, versions AddonVersions, opts ...pulumi.InvokeOption) (AddonVersions, error) {
	resolve := func(addon, version string) (string, error) {
		if version != clusterspec.Latest {
			return version, nil
		}
		v, err := awseks.GetAddonVersion(ctx, &awseks.GetAddonVersionArgs{
			AddonName: addon, KubernetesVersion: kubernetesVersion, MostRecent: pulumi.BoolRef(true),
		}, opts...)
		if err != nil {
			return "", fmt.Errorf("looking up the latest %s add-on for Kubernetes %s: %w", addon, kubernetesVersion, err)
		}
		return v.Version, nil
	}
	var out AddonVersions
	var err error
	if out.VpcCni, err = resolve("vpc-cni", versions.VpcCni); err != nil {
		return out, err
	}
	if out.Coredns, err = resolve("coredns", versions.Coredns); err != nil {
		return out, err
	}
	out.KubeProxy, err = resolve("kube-proxy", versions.KubeProxy)
	return out, err
}

func (b *clusterBuilder) addon(addon, version string, args *awseks.AddonArgs, cluster *eks.Cluster, opts ...pulumi.ResourceOption) (*awseks.Addon, error) {
	args.ClusterName = pulumi.String(b.args.ClusterName)
	args.AddonName = pulumi.String(addon)
	args.AddonVersion = pulumi.String(version)
	// EKS installs self-managed copies when it creates the cluster; the managed add-on takes them over.
	args.ResolveConflictsOnCreate = pulumi.String("OVERWRITE")
	args.ResolveConflictsOnUpdate = pulumi.String("OVERWRITE")
	args.Tags = b.tags(b.name + "-" + addon)
	opts = append([]pulumi.ResourceOption{b.parent, pulumi.DependsOn([]pulumi.Resource{cluster})}, opts...)
	return awseks.NewAddon(b.ctx, b.name+"-"+addon, args, opts...)
}
