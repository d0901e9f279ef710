package lbcontroller

import "eks-advanced-networking/internal/clusterspec"

// IamPolicy is the controller's IAM policy as its project publishes it for v3.5.0
// (kubernetes-sigs/aws-load-balancer-controller, docs/install/iam_policy.json at tag v3.5.0), with
// the partition of the stack's region in its ARNs: 16 statements that let it manage load balancers,
// target groups, listeners and the security groups it creates, each scoped by the
// elbv2.k8s.aws/cluster tag where upstream scopes it.
func IamPolicy(partition string) clusterspec.PolicyDocument {
	arn := func(rest string) string { return "arn:" + partition + ":" + rest }
	return clusterspec.PolicyDocument{Version: "2012-10-17", Statement: []clusterspec.Statement{
		{
			Effect: "Allow",
			Action: []string{
				"iam:CreateServiceLinkedRole",
			},
			Resource:  []string{"*"},
			Condition: map[string]map[string]clusterspec.ConditionValue{"StringEquals": {"iam:AWSServiceName": {"elasticloadbalancing.amazonaws.com"}}},
		},
		{
			Effect: "Allow",
			Action: []string{
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
			},
			Resource: []string{"*"},
		},
		{
			Effect: "Allow",
			Action: []string{
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
			},
			Resource: []string{"*"},
		},
		{
			Effect: "Allow",
			Action: []string{
				"ec2:AuthorizeSecurityGroupIngress",
				"ec2:RevokeSecurityGroupIngress",
			},
			Resource: []string{"*"},
		},
		{
			Effect: "Allow",
			Action: []string{
				"ec2:CreateSecurityGroup",
			},
			Resource: []string{"*"},
		},
		{
			Effect: "Allow",
			Action: []string{
				"ec2:CreateTags",
			},
			Resource:  []string{arn("ec2:*:*:security-group/*")},
			Condition: map[string]map[string]clusterspec.ConditionValue{"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": {"false"}}, "StringEquals": {"ec2:CreateAction": {"CreateSecurityGroup"}}},
		},
		{
			Effect: "Allow",
			Action: []string{
				"ec2:CreateTags",
				"ec2:DeleteTags",
			},
			Resource:  []string{arn("ec2:*:*:security-group/*")},
			Condition: map[string]map[string]clusterspec.ConditionValue{"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": {"true"}, "aws:ResourceTag/elbv2.k8s.aws/cluster": {"false"}}},
		},
		{
			Effect: "Allow",
			Action: []string{
				"ec2:AuthorizeSecurityGroupIngress",
				"ec2:RevokeSecurityGroupIngress",
				"ec2:DeleteSecurityGroup",
			},
			Resource:  []string{"*"},
			Condition: map[string]map[string]clusterspec.ConditionValue{"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": {"false"}}},
		},
		{
			Effect: "Allow",
			Action: []string{
				"elasticloadbalancing:CreateLoadBalancer",
				"elasticloadbalancing:CreateTargetGroup",
			},
			Resource:  []string{"*"},
			Condition: map[string]map[string]clusterspec.ConditionValue{"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": {"false"}}},
		},
		{
			Effect: "Allow",
			Action: []string{
				"elasticloadbalancing:CreateListener",
				"elasticloadbalancing:DeleteListener",
				"elasticloadbalancing:CreateRule",
				"elasticloadbalancing:DeleteRule",
			},
			Resource: []string{"*"},
		},
		{
			Effect: "Allow",
			Action: []string{
				"elasticloadbalancing:AddTags",
				"elasticloadbalancing:RemoveTags",
			},
			Resource:  []string{arn("elasticloadbalancing:*:*:targetgroup/*/*"), arn("elasticloadbalancing:*:*:loadbalancer/net/*/*"), arn("elasticloadbalancing:*:*:loadbalancer/app/*/*")},
			Condition: map[string]map[string]clusterspec.ConditionValue{"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": {"true"}, "aws:ResourceTag/elbv2.k8s.aws/cluster": {"false"}}},
		},
		{
			Effect: "Allow",
			Action: []string{
				"elasticloadbalancing:AddTags",
				"elasticloadbalancing:RemoveTags",
			},
			Resource: []string{arn("elasticloadbalancing:*:*:listener/net/*/*/*"), arn("elasticloadbalancing:*:*:listener/app/*/*/*"), arn("elasticloadbalancing:*:*:listener-rule/net/*/*/*"), arn("elasticloadbalancing:*:*:listener-rule/app/*/*/*")},
		},
		{
			Effect: "Allow",
			Action: []string{
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
			},
			Resource:  []string{"*"},
			Condition: map[string]map[string]clusterspec.ConditionValue{"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": {"false"}}},
		},
		{
			Effect: "Allow",
			Action: []string{
				"elasticloadbalancing:AddTags",
			},
			Resource:  []string{arn("elasticloadbalancing:*:*:targetgroup/*/*"), arn("elasticloadbalancing:*:*:loadbalancer/net/*/*"), arn("elasticloadbalancing:*:*:loadbalancer/app/*/*")},
			Condition: map[string]map[string]clusterspec.ConditionValue{"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": {"false"}}, "StringEquals": {"elasticloadbalancing:CreateAction": {"CreateTargetGroup", "CreateLoadBalancer"}}},
		},
		{
			Effect: "Allow",
			Action: []string{
				"elasticloadbalancing:RegisterTargets",
				"elasticloadbalancing:DeregisterTargets",
			},
			Resource: []string{arn("elasticloadbalancing:*:*:targetgroup/*/*")},
		},
		{
			Effect: "Allow",
			Action: []string{
				"elasticloadbalancing:SetWebAcl",
				"elasticloadbalancing:ModifyListener",
				"elasticloadbalancing:AddListenerCertificates",
				"elasticloadbalancing:RemoveListenerCertificates",
				"elasticloadbalancing:ModifyRule",
				"elasticloadbalancing:SetRulePriorities",
			},
			Resource: []string{"*"},
		},
	}}
}
