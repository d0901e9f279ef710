package lbcontroller

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// publishedActions are the actions of kubernetes-sigs/aws-load-balancer-controller
// docs/install/iam_policy.json at tag v3.5.0, statement by statement, in its order.
var publishedActions = []string{
	"iam:CreateServiceLinkedRole",
	"ec2:DescribeAccountAttributes",
	"ec2:DescribeAddresses",
	"ec2:DescribeAvailabilityZones",
	"ec2:DescribeInternetGateways",
	"ec2:DescribeVpcs",
	"ec2:DescribeVpcPeeringConnections",
	"ec2:DescribeSubnets",
	"ec2:DescribeSecurityGroups",
	"ec2:DescribeInstances",
	"ec2:DescribeNetworkInterfaces",
	"ec2:DescribeTags",
	"ec2:GetCoipPoolUsage",
	"ec2:DescribeCoipPools",
	"ec2:GetSecurityGroupsForVpc",
	"ec2:DescribeIpamPools",
	"ec2:DescribeRouteTables",
	"elasticloadbalancing:DescribeLoadBalancers",
	"elasticloadbalancing:DescribeLoadBalancerAttributes",
	"elasticloadbalancing:DescribeListeners",
	"elasticloadbalancing:DescribeListenerCertificates",
	"elasticloadbalancing:DescribeSSLPolicies",
	"elasticloadbalancing:DescribeRules",
	"elasticloadbalancing:DescribeTargetGroups",
	"elasticloadbalancing:DescribeTargetGroupAttributes",
	"elasticloadbalancing:DescribeTargetHealth",
	"elasticloadbalancing:DescribeTags",
	"elasticloadbalancing:DescribeTrustStores",
	"elasticloadbalancing:DescribeListenerAttributes",
	"elasticloadbalancing:DescribeCapacityReservation",
	"cognito-idp:DescribeUserPoolClient",
	"acm:ListCertificates",
	"acm:DescribeCertificate",
	"iam:ListServerCertificates",
	"iam:GetServerCertificate",
	"waf-regional:GetWebACL",
	"waf-regional:GetWebACLForResource",
	"waf-regional:AssociateWebACL",
	"waf-regional:DisassociateWebACL",
	"wafv2:GetWebACL",
	"wafv2:GetWebACLForResource",
	"wafv2:AssociateWebACL",
	"wafv2:DisassociateWebACL",
	"shield:GetSubscriptionState",
	"shield:DescribeProtection",
	"shield:CreateProtection",
	"shield:DeleteProtection",
	"ec2:AuthorizeSecurityGroupIngress",
	"ec2:RevokeSecurityGroupIngress",
	"ec2:CreateSecurityGroup",
	"ec2:CreateTags",
	"ec2:CreateTags",
	"ec2:DeleteTags",
	"ec2:AuthorizeSecurityGroupIngress",
	"ec2:RevokeSecurityGroupIngress",
	"ec2:DeleteSecurityGroup",
	"elasticloadbalancing:CreateLoadBalancer",
	"elasticloadbalancing:CreateTargetGroup",
	"elasticloadbalancing:CreateListener",
	"elasticloadbalancing:DeleteListener",
	"elasticloadbalancing:CreateRule",
	"elasticloadbalancing:DeleteRule",
	"elasticloadbalancing:AddTags",
	"elasticloadbalancing:RemoveTags",
	"elasticloadbalancing:AddTags",
	"elasticloadbalancing:RemoveTags",
	"elasticloadbalancing:ModifyLoadBalancerAttributes",
	"elasticloadbalancing:SetIpAddressType",
	"elasticloadbalancing:SetSecurityGroups",
	"elasticloadbalancing:SetSubnets",
	"elasticloadbalancing:DeleteLoadBalancer",
	"elasticloadbalancing:ModifyTargetGroup",
	"elasticloadbalancing:ModifyTargetGroupAttributes",
	"elasticloadbalancing:DeleteTargetGroup",
	"elasticloadbalancing:ModifyListenerAttributes",
	"elasticloadbalancing:ModifyCapacityReservation",
	"elasticloadbalancing:ModifyIpPools",
	"elasticloadbalancing:AddTags",
	"elasticloadbalancing:RegisterTargets",
	"elasticloadbalancing:DeregisterTargets",
	"elasticloadbalancing:SetWebAcl",
	"elasticloadbalancing:ModifyListener",
	"elasticloadbalancing:AddListenerCertificates",
	"elasticloadbalancing:RemoveListenerCertificates",
	"elasticloadbalancing:ModifyRule",
	"elasticloadbalancing:SetRulePriorities",
}

// The policy grants exactly the published actions, in the published statements, and its ARNs follow
// the partition.
func TestIamPolicyIsThePublishedOne(t *testing.T) {
	doc := IamPolicy("aws")
	if len(doc.Statement) != 16 {
		t.Errorf("%d statements, want the published 16", len(doc.Statement))
	}
	var actions []string
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || len(s.Action) == 0 || len(s.Resource) == 0 {
			t.Errorf("statement %+v", s)
		}
		actions = append(actions, s.Action...)
	}
	if !slices.Equal(actions, publishedActions) {
		for i := range max(len(actions), len(publishedActions)) {
			var got, want string
			if i < len(actions) {
				got = actions[i]
			}
			if i < len(publishedActions) {
				want = publishedActions[i]
			}
			if got != want {
				t.Errorf("action %d: %q, published %q", i, got, want)
			}
		}
	}
	raw, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	// An inline role policy may hold 10240 bytes (IAM quota "Role policy size").
	if len(raw) > 10240 {
		t.Errorf("the policy is %d bytes; an inline role policy holds 10240", len(raw))
	}
	// The one list-valued condition of the published document stays a list.
	if !strings.Contains(raw, `"elasticloadbalancing:CreateAction":["CreateTargetGroup","CreateLoadBalancer"]`) {
		t.Error("the CreateAction condition is not the published list")
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(raw), &back); err != nil {
		t.Fatal(err)
	}
	cn, _ := IamPolicy("aws-cn").JSON()
	if strings.Contains(cn, "arn:aws:") || !strings.Contains(cn, "arn:aws-cn:elasticloadbalancing:*:*:targetgroup/*/*") {
		t.Error("ARNs do not follow the partition")
	}
}
