package components

import (
	"fmt"
	"strings"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
)

func (b *clusterBuilder) nodeRole(partition string) (*iam.Role, error) {
	trust, err := clusterspec.ServiceTrustPolicy("ec2.amazonaws.com").JSON()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(b.ctx, b.name+"-nodes", &iam.RoleArgs{
		Description:      pulumi.String("EKS nodes of " + b.clusterName + " (the VPC CNI's permissions are on its IRSA role)"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             b.tags(b.name + "-nodes"),
	}, b.parent)
	if err != nil {
		return nil, err
	}
	for _, arn := range clusterspec.NodeManagedPolicies(partition) {
		policyName := arn[strings.LastIndex(arn, "/")+1:]
		attachment, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-nodes-"+policyName, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(arn),
		}, b.parent)
		if err != nil {
			return nil, err
		}
		b.teardownNeeds = append(b.teardownNeeds, attachment)
	}
	return role, nil
}

// oidcProvider registers the cluster's OIDC issuer with IAM for IRSA.
func (b *clusterBuilder) oidcProvider(described awseks.LookupClusterResultOutput) (*iam.OpenIdConnectProvider, pulumi.StringOutput, error) {
	issuer := described.Identities().ApplyT(func(ids []awseks.GetClusterIdentity) (string, error) {
		if len(ids) == 0 || len(ids[0].Oidcs) == 0 || ids[0].Oidcs[0].Issuer == "" {
			return "", fmt.Errorf("cluster %s has no OIDC issuer", b.clusterName)
		}
		return ids[0].Oidcs[0].Issuer, nil
	}).(pulumi.StringOutput)
	provider, err := iam.NewOpenIdConnectProvider(b.ctx, b.name, &iam.OpenIdConnectProviderArgs{
		Url:           issuer,
		ClientIdLists: pulumi.ToStringArray([]string{"sts.amazonaws.com"}),
		Tags:          b.tags(b.name),
	}, b.parent)
	return provider, issuer, err
}

// vpcCniRole is the aws-node service account's IRSA role, trusted for exactly that service account.
func (b *clusterBuilder) vpcCniRole(partition string, oidc *iam.OpenIdConnectProvider, issuer pulumi.StringOutput) (*iam.Role, error) {
	trust := pulumi.All(oidc.Arn, issuer).ApplyT(func(v []any) (string, error) {
		doc, err := clusterspec.IrsaTrustPolicy(v[0].(string), v[1].(string), "kube-system", "aws-node")
		if err != nil {
			return "", err
		}
		return doc.JSON()
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(b.ctx, b.name+"-vpc-cni", &iam.RoleArgs{
		Description:      pulumi.String("VPC CNI (kube-system/aws-node) of " + b.clusterName),
		AssumeRolePolicy: trust,
		Tags:             b.tags(b.name + "-vpc-cni"),
	}, b.parent)
	if err != nil {
		return nil, err
	}
	return role, b.family.cniPolicy(b.ctx, b.name+"-vpc-cni", partition, role, b.parent)
}
