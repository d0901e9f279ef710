package replacement

import (
	"slices"
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		typ, path string
		want      Verdict
		reason    string // a part of the reason, when it matters
	}{
		{"aws:ec2/subnet:Subnet", "cidrBlock", Replaces, "cidrBlock"},
		{"aws:ec2/subnet:Subnet", "enableDns64", InPlace, ""},
		{"aws:ec2/subnet:Subnet", "tags.Name", InPlace, ""},
		{"aws:eks/nodeGroup:NodeGroup", "instanceTypes[0]", Replaces, "instanceTypes"},
		{"aws:eks/nodeGroup:NodeGroup", "scalingConfig.desiredSize", InPlace, ""},
		{"aws:s3/bucket:Bucket", "bucket", Unknown, "no ForceNew list"},
		{"eks:index:ManagedNodeGroup", "instanceTypes[0]", Replaces, "aws:eks/nodeGroup:NodeGroup inside: instanceTypes"},
		{"eks:index:ManagedNodeGroup", "nodeGroupName", Replaces, "nodeGroupName"},
		{"eks:index:ManagedNodeGroup", "cluster", Replaces, "cluster"},
		{"eks:index:ManagedNodeGroup", "scalingConfig.desiredSize", InPlace, ""},
		{"eks:index:ManagedNodeGroup", "launchTemplate.version", InPlace, ""},
		{"eks:index:ManagedNodeGroup", "kubeletExtraArgs", Unknown, "kubeletExtraArgs"},
		{"eks:index:Cluster", "ipFamily", Replaces, "aws:eks/cluster:Cluster inside: ipFamily"},
		{"eks:index:Cluster", "name", Replaces, "name"},
		{"eks:index:Cluster", "version", InPlace, ""},
		{"eks:index:Cluster", "publicAccessCidrs[0]", InPlace, ""},
		{"eks:index:Cluster", "privateSubnetIds[1]", Unknown, "privateSubnetIds into vpcConfig.subnetIds"},
		{"eks:index:Cluster", "instanceRoles[0]", Unknown, "pulumi-eks builds other children from instanceRoles"},
		{"kubernetes:apps/v1:Deployment", "spec.template.spec.containers[0].image", InPlace, ""},
		{"kubernetes:apps/v1:Deployment", "spec.selector.matchLabels.app", Replaces, ".spec.selector"},
		{"kubernetes:apps/v1:Deployment", "metadata.name", Replaces, ".metadata.name"},
		{"kubernetes:apps/v1:Deployment", "metadata.labels.app", InPlace, ""},
		{"kubernetes:batch/v1:Job", "spec.template.spec.containers[0].args[1]", Replaces, ".spec.template"},
		{"kubernetes:core/v1:Pod", "spec.containers[2].image", Replaces, ".spec.containers[*].image"},
		{"kubernetes:core/v1:Pod", "spec.containers[2].name", InPlace, ""},
		{"kubernetes:core/v1:ConfigMap", "data.config", Replaces, ".data"},
		{"kubernetes:core/v1:Service", "spec.ports[0].port", InPlace, ""},
		{"kubernetes:operator.tigera.io/v1:Installation", "spec.calicoNetwork.bgp", InPlace, ""},
		{"kubernetes:operator.tigera.io/v1:Installation", "metadata.namespace", Replaces, ".metadata.namespace"},
		{"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "roleRef.name", Replaces, ".roleRef"},
		{"kubernetes:helm.sh/v4:Chart", "values.replicas", Unknown, "deploy time"},
		{"pulumi:providers:aws", "region", Replaces, "every resource"},
		{"pulumi:providers:kubernetes", "kubeconfig", Unknown, "provider"},
		{"random:index/randomId:RandomId", "byteLength", Unknown, "random:index/randomId:RandomId"},
	} {
		got, reason := Of(tc.typ, tc.path)
		if got != tc.want || !strings.Contains(reason, tc.reason) {
			t.Errorf("Of(%s, %s) = %v, %q; want %v with %q", tc.typ, tc.path, got, reason, tc.want, tc.reason)
		}
	}
}

func TestSplit(t *testing.T) {
	for path, want := range map[string][]string{
		"a":                  {"a"},
		"a.b":                {"a", "b"},
		"a[0].b":             {"a", "[0]", "b"},
		"a[0][1]":            {"a", "[0]", "[1]"},
		"spec.containers[*]": {"spec", "containers", "[*]"},
		"tags.Name":          {"tags", "Name"},
	} {
		if got := Split(path); !slices.Equal(got, want) {
			t.Errorf("Split(%q) = %q, want %q", path, got, want)
		}
	}
}

// Every pulumi-eks component with mapped inputs names the AWS resource inside it, and the AWS table
// has rules for that resource; without them each mapped input would read as "unknown". (That each
// target key is an input of that resource, the table cannot tell: it holds only the ForceNew ones.)
func TestEKSTablesPointAtKnownAWSTypes(t *testing.T) {
	for typ := range eksComponentInputs {
		inner, ok := EKSInner(typ)
		if !ok {
			t.Fatalf("%s maps inputs but names no AWS resource inside", typ)
		}
		if _, ok := AWSForceNew(inner); !ok {
			t.Errorf("%s: the AWS table has no %s", typ, inner)
		}
	}
}
