package components

import (
	"fmt"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/settings"
)

// resolveAddonVersions turns "latest" into the most recent version EKS offers for the cluster's
// Kubernetes version, and checks that the vpc-cni can serve the IP family and Multus, as a pin is
// checked.
func (b *clusterBuilder) resolveAddonVersions() (clusterspec.Settings, error) {
	resolved, err := ResolveAddonVersions(b.ctx, b.args.Settings, b.parent)
	if err != nil {
		return resolved, err
	}
	return resolved, settings.Errors(b.label+": ", b.args.CheckResolvedVpcCni(resolved.VpcCniVersion, b.family.validation(b.args)))
}

// ResolveAddonVersions is the settings with each add-on version "latest" turned into the most recent
// version EKS offers for their Kubernetes version: a lookup, which registers nothing, so a stack can
// check the answer before it creates anything, and pass the resolved settings on.
func ResolveAddonVersions(ctx *pulumi.Context, s clusterspec.Settings, opts ...pulumi.InvokeOption) (clusterspec.Settings, error) {
	resolve := func(addon string, version *string) error {
		if *version != clusterspec.Latest {
			return nil
		}
		v, err := awseks.GetAddonVersion(ctx, &awseks.GetAddonVersionArgs{
			AddonName: addon, KubernetesVersion: s.KubernetesVersion, MostRecent: pulumi.BoolRef(true),
		}, opts...)
		if err != nil {
			return fmt.Errorf("looking up the latest %s add-on for Kubernetes %s: %w", addon, s.KubernetesVersion, err)
		}
		*version = v.Version
		return nil
	}
	if err := resolve("vpc-cni", &s.VpcCniVersion); err != nil {
		return s, err
	}
	if err := resolve("coredns", &s.CorednsVersion); err != nil {
		return s, err
	}
	return s, resolve("kube-proxy", &s.KubeProxyVersion)
}

func (b *clusterBuilder) addon(addon, version string, args *awseks.AddonArgs, cluster *eks.Cluster, opts ...pulumi.ResourceOption) (*awseks.Addon, error) {
	args.ClusterName = pulumi.String(b.clusterName)
	args.AddonName = pulumi.String(addon)
	args.AddonVersion = pulumi.String(version)
	// EKS installs self-managed copies when it creates the cluster; the managed add-on takes them over.
	args.ResolveConflictsOnCreate = pulumi.String("OVERWRITE")
	args.ResolveConflictsOnUpdate = pulumi.String("OVERWRITE")
	args.Tags = b.tags(b.name + "-" + addon)
	opts = append([]pulumi.ResourceOption{b.parent, pulumi.DependsOn([]pulumi.Resource{cluster})}, opts...)
	return awseks.NewAddon(b.ctx, b.name+"-"+addon, args, opts...)
}
