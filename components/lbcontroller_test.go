package components

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/lbcontroller"
	"eks-advanced-networking/internal/plan"
)

const typeChart = "kubernetes:helm.sh/v4:Chart"

func runLoadBalancerController(t *testing.T, args LoadBalancerControllerArgs, demo *LoadBalancerDemoArgs) (*plan.Plan, error) {
	t.Helper()
	return runProgram(t, func(ctx *pulumi.Context) error {
		c, err := NewLoadBalancerController(ctx, "lbc", &args)
		if err != nil || demo == nil {
			return err
		}
		d, err := NewLoadBalancerDemo(ctx, "lb-demo", demo, pulumi.DependsOn(c.Ready()))
		if err == nil && (d == nil || d.Address == (pulumi.StringOutput{})) {
			return fmt.Errorf("NewLoadBalancerDemo gave neither an error nor a demo with its address output: %v", d)
		}
		return err
	})
}

var lbcArgs = LoadBalancerControllerArgs{
	ClusterName: "chapter", Region: "eu-central-1", VpcId: pulumi.String("vpc-0abc"),
	OidcProviderArn: pulumi.String("arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABC"),
	OidcIssuer:      pulumi.String("https://oidc.eks.eu-central-1.amazonaws.com/id/ABC"),
	Settings:        lbcontroller.Settings{Version: lbcontroller.DefaultVersion, ChartRepository: lbcontroller.Repository},
}

// A bad chart version is refused before anything registers, in the stack file's words.
func TestLoadBalancerControllerRefusesAsTheStackFileDoes(t *testing.T) {
	args := lbcArgs
	args.Version = "v3.5.0"
	p, err := runLoadBalancerController(t, args, nil)
	if err == nil || !strings.HasPrefix(err.Error(), `LoadBalancerController lbc: loadBalancerControllerVersion = "v3.5.0": not a chart version`) || len(p.Resources) != 0 {
		t.Errorf("err %v, %d resources", err, len(p.Resources))
	}
	sameAsTheStackFile(t, err, "LoadBalancerController lbc: ", "loadBalancerControllerVersion", map[string]string{"scenario": "ipv4-calico", "vpcIpv6": "false",
		"loadBalancerController": "true", "loadBalancerControllerVersion": "v3.5.0"})
}

// The controller runs on an IRSA role trusted by its service account alone, with the published
// policy, and its chart waits for both.
func TestLoadBalancerController(t *testing.T) {
	p, err := runLoadBalancerController(t, lbcArgs, &LoadBalancerDemoArgs{AddressType: lbcontroller.DualStack, SourceRanges: []string{"198.51.100.7/32"}})
	if err != nil {
		t.Fatal(err)
	}
	role := get(t, p, typeRole, "lbc")
	var trust clusterspec.PolicyDocument
	if err := json.Unmarshal([]byte(role.String("assumeRolePolicy")), &trust); err != nil {
		t.Fatal(err)
	}
	if sub := trust.Statement[0].Condition["StringEquals"]["oidc.eks.eu-central-1.amazonaws.com/id/ABC:sub"]; sub.String() != "system:serviceaccount:kube-system:aws-load-balancer-controller" {
		t.Errorf("trust policy sub %v", sub)
	}
	policy := get(t, p, typeRolePolicy, "lbc")
	published, err := lbcontroller.IamPolicy("aws")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := published.JSON()
	hasInputs(t, policy, map[string]any{"role": role.ID, "policy": want})

	chart := get(t, p, typeChart, "lbc")
	hasInputs(t, chart, map[string]any{
		"chart": "aws-load-balancer-controller", "version": "3.5.0", "repositoryOpts.repo": "https://aws.github.io/eks-charts",
		"namespace": "kube-system", "values.clusterName": "chapter", "values.region": "eu-central-1", "values.vpcId": "vpc-0abc",
		"values.serviceAccount.name": "aws-load-balancer-controller", "values.serviceAccount.create": true,
		"values.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn": "arn:aws:iam::" + plan.AccountID + ":role/" + role.ID,
		"values.keepTLSSecret": true, "values.fullnameOverride": "aws-load-balancer-controller",
	})
	for _, dep := range []plan.Resource{role, policy} {
		if !chart.DependsOn(dep.URN) {
			t.Errorf("the chart does not wait for %s %s", dep.Type, dep.Name)
		}
	}

	// The demo: an NLB with IP targets, dual-stack, internet-facing for the given ranges only, after
	// the controller (whose webhooks intercept the Service and the pods).
	service := get(t, p, "kubernetes:core/v1:Service", "lb-demo-service")
	hasInputs(t, service, map[string]any{
		"spec.type": "LoadBalancer", "spec.loadBalancerClass": "service.k8s.aws/nlb", "spec.loadBalancerSourceRanges": []any{"198.51.100.7/32"},
		"metadata.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-nlb-target-type": "ip",
		"metadata.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-ip-address-type": "dualstack",
		"metadata.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-scheme":          "internet-facing",
	})
	demo := get(t, p, LoadBalancerDemoType, "lb-demo")
	if !demo.DependsOn(chart.URN) {
		t.Error("the demo does not wait for the controller")
	}
}

// On an existing cluster the role is given: no IAM resource.
func TestLoadBalancerControllerWithAnExistingRole(t *testing.T) {
	args := lbcArgs
	args.OidcProviderArn, args.OidcIssuer, args.VpcId, args.RoleArn = nil, nil, nil, "arn:aws:iam::123456789012:role/lbc"
	p, err := runLoadBalancerController(t, args, &LoadBalancerDemoArgs{AddressType: lbcontroller.Ipv4})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.ByType(typeRole)) + len(p.ByType(typeRolePolicy)); n != 0 {
		t.Errorf("%d IAM resources with an existing role", n)
	}
	hasInputs(t, get(t, p, typeChart, "lbc"), map[string]any{"values.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn": "arn:aws:iam::123456789012:role/lbc", "values.vpcId": nil})
	hasInputs(t, get(t, p, "kubernetes:core/v1:Service", "lb-demo-service"), map[string]any{
		"metadata.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-scheme": "internal", "spec.loadBalancerSourceRanges": nil,
	})
	args.OidcProviderArn = lbcArgs.OidcProviderArn
	args.OidcIssuer = lbcArgs.OidcIssuer
	if _, err := runLoadBalancerController(t, args, nil); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("role and OIDC provider both: %v", err)
	}
}
