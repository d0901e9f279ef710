package clusterspec

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// PolicyDocument is an IAM policy. Typed, so documents come from json.Marshal and never from strings
// pasted together; maps in it (conditions) are written with sorted keys.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement.
type Statement struct {
	Sid       string                               `json:"Sid,omitempty"`
	Effect    string                               `json:"Effect"`
	Principal *Principal                           `json:"Principal,omitempty"`
	Action    []string                             `json:"Action"`
	Resource  []string                             `json:"Resource,omitempty"`
	Condition map[string]map[string]ConditionValue `json:"Condition,omitempty"`
}

// ConditionValue is a condition key's value: one string, or a list of strings (any of them matches).
// One value is written as a string, as AWS's own documents do. An Action or a Resource element
// takes the same two forms, and a published document is read through it.
type ConditionValue []string

// MarshalJSON writes one value as a string, several as a list.
func (v ConditionValue) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return json.Marshal(v[0])
	}
	return json.Marshal([]string(v))
}

// UnmarshalJSON reads a string or a list of strings.
func (v *ConditionValue) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*v = ConditionValue{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*v = many
	return nil
}

// String is the value, several joined by commas.
func (v ConditionValue) String() string { return strings.Join(v, ",") }

// Principal names who may assume a role.
type Principal struct {
	Federated string `json:"Federated,omitempty"`
	Service   string `json:"Service,omitempty"`
}

const policyVersion = "2012-10-17"

// JSON renders the document.
func (d PolicyDocument) JSON() (string, error) {
	b, err := json.Marshal(d)
	return string(b), err
}

// VpcCniIpv6Actions are what the VPC CNI needs on an IPv6 cluster, besides ec2:CreateTags on network
// interfaces. Source: amazon-vpc-cni-k8s docs/iam-policy.md, "IPv6 mode". DescribeSubnets and
// DescribeSecurityGroups are needed since v1.22.1 (without them aws-node crash-loops; eksctl #8835,
// #8837). There is no AWS-managed IPv6 CNI policy.
var VpcCniIpv6Actions = []string{
	"ec2:AssignIpv6Addresses",
	"ec2:DescribeInstanceTypes",
	"ec2:DescribeInstances",
	"ec2:DescribeNetworkInterfaces",
	"ec2:DescribeSecurityGroups",
	"ec2:DescribeSubnets",
	"ec2:DescribeTags",
	"ec2:ModifyNetworkInterfaceAttribute",
}

// VpcCniIpv6Policy is the VPC CNI's IPv6 policy. ec2:CreateTags is limited to network interfaces.
func VpcCniIpv6Policy(partition string) PolicyDocument {
	return PolicyDocument{Version: policyVersion, Statement: []Statement{
		{Sid: "IPv6Addresses", Effect: "Allow", Action: slices.Clone(VpcCniIpv6Actions), Resource: []string{"*"}},
		{Sid: "TagNetworkInterfaces", Effect: "Allow", Action: []string{"ec2:CreateTags"},
			Resource: []string{fmt.Sprintf("arn:%s:ec2:*:*:network-interface/*", partition)}},
	}}
}

// ServiceTrustPolicy lets an AWS service (ec2.amazonaws.com for nodes) assume a role.
func ServiceTrustPolicy(service string) PolicyDocument {
	return PolicyDocument{Version: policyVersion, Statement: []Statement{{
		Effect: "Allow", Principal: &Principal{Service: service}, Action: []string{"sts:AssumeRole"},
	}}}
}

// IrsaTrustPolicy lets one Kubernetes service account assume a role through the cluster's OIDC
// provider (IAM roles for service accounts), and nothing else: both sub and aud are pinned.
func IrsaTrustPolicy(oidcProviderArn, issuerURL, namespace, serviceAccount string) (PolicyDocument, error) {
	issuer := strings.TrimPrefix(issuerURL, "https://")
	if issuer == "" || strings.Contains(issuer, "://") {
		return PolicyDocument{}, fmt.Errorf("OIDC issuer %q is not an https URL", issuerURL)
	}
	return PolicyDocument{Version: policyVersion, Statement: []Statement{{
		Effect:    "Allow",
		Principal: &Principal{Federated: oidcProviderArn},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]ConditionValue{"StringEquals": {
			issuer + ":sub": {"system:serviceaccount:" + namespace + ":" + serviceAccount},
			issuer + ":aud": {"sts.amazonaws.com"},
		}},
	}}}, nil
}

// NodeManagedPolicies are the AWS-managed policies a node role needs when the CNI's permissions come
// through IRSA instead (least privilege: the node role never gets them).
func NodeManagedPolicies(partition string) []string {
	return []string{
		fmt.Sprintf("arn:%s:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly", partition),
		fmt.Sprintf("arn:%s:iam::aws:policy/AmazonEKSWorkerNodePolicy", partition),
	}
}

// MultusEniAttachPolicy lets a node find ENIs and attach those tagged for this cluster, and only to
// instances of this cluster (EKS tags managed node group instances eks:cluster-name). Attaching
// touches both resources, so each gets its own condition.
func MultusEniAttachPolicy(partition, clusterName string) PolicyDocument {
	return PolicyDocument{Version: policyVersion, Statement: []Statement{
		{Sid: "FindMultusEnis", Effect: "Allow", Action: []string{"ec2:DescribeNetworkInterfaces"}, Resource: []string{"*"}},
		{Sid: "AttachOnlyThisClustersEnis", Effect: "Allow", Action: []string{"ec2:AttachNetworkInterface"},
			Resource:  []string{fmt.Sprintf("arn:%s:ec2:*:*:network-interface/*", partition)},
			Condition: map[string]map[string]ConditionValue{"StringEquals": {"aws:ResourceTag/cluster": {clusterName}}}},
		{Sid: "AttachOnlyToThisClustersNodes", Effect: "Allow", Action: []string{"ec2:AttachNetworkInterface"},
			Resource:  []string{fmt.Sprintf("arn:%s:ec2:*:*:instance/*", partition)},
			Condition: map[string]map[string]ConditionValue{"StringEquals": {"aws:ResourceTag/eks:cluster-name": {clusterName}}}},
	}}
}
