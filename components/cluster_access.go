package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
)

// kubeconfig is the cluster's kubeconfig with the stack's region, and profile when set, on its token
// command (clusterspec.Kubeconfig says why not pulumi-eks's). The Kubernetes layer and the
// kubeconfig output use it.
func (b *clusterBuilder) kubeconfig(endpoint, certificateAuthority pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.All(endpoint, certificateAuthority).ApplyT(func(v []any) (string, error) {
		return clusterspec.Kubeconfig(clusterspec.KubeconfigParams{
			ClusterName: b.clusterName, Endpoint: v[0].(string), CertificateAuthorityData: v[1].(string),
			Region: b.args.Region, Profile: b.args.AwsProfile,
		})
	}).(pulumi.StringOutput)
}

// privateEndpointAccess lets the configured networks reach the private endpoint on 443: with public
// access off, that is how a deployer inside the VPC (or connected to it) reaches the API server.
func (b *clusterBuilder) privateEndpointAccess(controlPlane *ec2.SecurityGroup) error {
	for _, cidr := range b.args.EndpointPrivateAccessCidrs {
		p, err := clusterspec.CheckPrivateAccessCidr(cidr)
		if err != nil {
			return err
		}
		args := &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: controlPlane.ID(), IpProtocol: pulumi.String("tcp"),
			FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			Description: pulumi.String("Deployer network to the private API endpoint"),
		}
		if p.Addr().Is4() {
			args.CidrIpv4 = pulumi.String(cidr)
		} else {
			args.CidrIpv6 = pulumi.String(cidr)
		}
		rule, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-control-plane-from-"+resourceSafe(cidr), args, b.parent)
		if err != nil {
			return err
		}
		b.teardownNeeds = append(b.teardownNeeds, rule)
	}
	return nil
}

// clusterAdmins gives each admin principal an access entry and the cluster admin access policy,
// cluster scope. The identity running pulumi is admin as the cluster's creator (pulumi-eks v2.8.1 sets
// bootstrapClusterCreatorAdminPermissions); EKS refuses a second entry for it, so listing it is
// warned about.
func (b *clusterBuilder) clusterAdmins(partition string, cluster *eks.Cluster) error {
	if len(b.args.AdminArns) == 0 {
		return nil
	}
	caller, err := aws.GetCallerIdentity(b.ctx, nil, b.parent)
	if err != nil {
		return fmt.Errorf("looking up who runs pulumi: %w", err)
	}
	session, err := iam.GetSessionContext(b.ctx, &iam.GetSessionContextArgs{Arn: caller.Arn}, b.parent)
	if err != nil {
		return fmt.Errorf("looking up the role behind %s: %w", caller.Arn, err)
	}
	for _, warning := range clusterspec.CreatorAdminWarnings(b.args.AdminArns, session.IssuerArn) {
		if err := b.ctx.Log.Warn(warning, nil); err != nil {
			return err
		}
	}
	for _, arn := range b.args.AdminArns {
		principal, err := clusterspec.ParseIamPrincipal(arn)
		if err != nil {
			return err
		}
		entryName := b.name + "-admin-" + principal.Account + "-" + principal.Kind + "-" + resourceSafe(principal.PathName)
		entry, err := awseks.NewAccessEntry(b.ctx, entryName, &awseks.AccessEntryArgs{
			ClusterName:  pulumi.String(b.clusterName),
			PrincipalArn: pulumi.String(arn),
			Type:         pulumi.String("STANDARD"),
			Tags:         b.tags(entryName),
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{cluster}))
		if err != nil {
			return err
		}
		association, err := awseks.NewAccessPolicyAssociation(b.ctx, entryName, &awseks.AccessPolicyAssociationArgs{
			ClusterName:  pulumi.String(b.clusterName),
			PrincipalArn: entry.PrincipalArn,
			PolicyArn:    pulumi.String(clusterspec.ClusterAdminPolicy(partition)),
			AccessScope:  &awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
		}, b.parent)
		if err != nil {
			return err
		}
		// The entry is behind its association.
		b.teardownNeeds = append(b.teardownNeeds, association)
	}
	return nil
}
