package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/lbcontroller"
	"eks-advanced-networking/internal/settings"
)

// LoadBalancerControllerType is the component's type token.
const LoadBalancerControllerType = "eks-advanced-networking:loadbalancer:LoadBalancerController"

// LoadBalancerControllerArgs configure the AWS Load Balancer Controller.
type LoadBalancerControllerArgs struct {
	ClusterName string
	Region      string
	// VpcId is the cluster's VPC (nil on an existing cluster: the controller then finds it itself).
	VpcId pulumi.StringInput
	// OidcProviderArn and OidcIssuer are the cluster's, for the IRSA role this component creates.
	// Leave them nil and give RoleArn on a cluster whose IRSA role exists already.
	OidcProviderArn, OidcIssuer pulumi.StringInput
	// Settings are the chart's version and source and an existing role (RoleArn), as the stack
	// file's keys set them; they are checked as the stack file's are.
	lbcontroller.Settings
	// SkipAwait stops Pulumi from waiting for the controller's Deployment (a cluster with no nodes).
	SkipAwait bool
	Tags      map[string]string
}

// LoadBalancerController is the AWS Load Balancer Controller: AWS's chart, on an IRSA role trusted
// only by kube-system/aws-load-balancer-controller and carrying the controller's published IAM
// policy. It needs an AWS and a Kubernetes provider among opts (pulumi.Providers).
//
// Its webhooks intercept Services and pods (the Service mutator with failurePolicy Fail, for every
// namespace), so whatever creates those must wait for Ready; on destroy that order deletes them,
// and the load balancers the controller made for them, before the controller.
type LoadBalancerController struct {
	pulumi.ResourceState

	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
	ready   []pulumi.Resource
}

// Ready is what to depend on for the controller to serve: its chart. Go only.
func (c *LoadBalancerController) Ready() []pulumi.Resource { return c.ready }

// NewLoadBalancerController validates the arguments and registers the controller.
func NewLoadBalancerController(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, opts ...pulumi.ResourceOption) (*LoadBalancerController, error) {
	if args == nil {
		return nil, fmt.Errorf("LoadBalancerController %s: args are required", name)
	}
	bad := func(field, value, reason string) error {
		return fmt.Errorf("LoadBalancerController %s: %s = %q: %s", name, field, value, reason)
	}
	if args.ClusterName == "" || args.Region == "" {
		return nil, bad("ClusterName", args.ClusterName, "the cluster's name and region are required")
	}
	if (args.RoleArn == "") == (args.OidcProviderArn == nil || args.OidcIssuer == nil) {
		return nil, bad("RoleArn", args.RoleArn, "give either the cluster's OIDC provider and issuer (a role is created) or an existing role, not both")
	}
	if err := settings.Errors("LoadBalancerController "+name+": ", args.Validate()); err != nil {
		return nil, err
	}
	source, err := args.ChartSource()
	if err != nil {
		return nil, err
	}
	staticValues, err := lbcontroller.ChartValues(args.ClusterName, args.Region).Map()
	if err != nil {
		return nil, err
	}
	c := &LoadBalancerController{}
	if err := ctx.RegisterComponentResource(LoadBalancerControllerType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	roleArn := pulumi.String(args.RoleArn).ToStringOutput()
	var roleReady []pulumi.Resource
	if args.RoleArn == "" {
		role, policy, err := loadBalancerControllerRole(ctx, name, args, parent)
		if err != nil {
			return nil, err
		}
		roleArn, roleReady = role.Arn, []pulumi.Resource{role, policy}
	}

	// The static values, with the role ARN and the VPC id, which are outputs, added.
	values := pulumi.ToMap(staticValues)
	serviceAccount := pulumi.ToMap(staticValues["serviceAccount"].(map[string]any))
	serviceAccount["annotations"] = pulumi.StringMap{"eks.amazonaws.com/role-arn": roleArn}
	values["serviceAccount"] = serviceAccount
	if args.VpcId != nil {
		values["vpcId"] = args.VpcId
	}
	controllerChart := chartArgs(source, lbcontroller.Chart, args.Version, lbcontroller.Namespace)
	controllerChart.Values = values
	controllerChart.SkipAwait = pulumi.Bool(args.SkipAwait)
	// The controller starts with its permissions in place (the role and its policy).
	chart, err := helmv4.NewChart(ctx, name, controllerChart, parent, pulumi.DependsOn(roleReady))
	if err != nil {
		return nil, err
	}
	c.ready = []pulumi.Resource{chart}
	c.RoleArn = roleArn
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"roleArn": c.RoleArn})
}

// loadBalancerControllerRole is the controller's IRSA role with its IAM policy inline.
func loadBalancerControllerRole(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, parent pulumi.ResourceOrInvokeOption) (*iam.Role, *iam.RolePolicy, error) {
	partition, err := aws.GetPartition(ctx, nil, parent)
	if err != nil {
		return nil, nil, err
	}
	trust := pulumi.All(args.OidcProviderArn, args.OidcIssuer).ApplyT(func(v []any) (string, error) {
		doc, err := clusterspec.IrsaTrustPolicy(v[0].(string), v[1].(string), lbcontroller.Namespace, lbcontroller.ServiceAccount)
		if err != nil {
			return "", err
		}
		return doc.JSON()
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Description:      pulumi.String("AWS Load Balancer Controller (" + lbcontroller.Namespace + "/" + lbcontroller.ServiceAccount + ") of " + args.ClusterName),
		AssumeRolePolicy: trust,
		Tags:             nameTags(name, args.Tags),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	policy, err := lbcontroller.IamPolicy(partition.Partition)
	if err != nil {
		return nil, nil, err
	}
	doc, err := policy.JSON()
	if err != nil {
		return nil, nil, err
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{Role: role.Name, Policy: pulumi.String(doc)}, parent)
	return role, rolePolicy, err
}
