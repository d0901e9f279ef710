package lbcontroller

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"eks-advanced-networking/internal/clusterspec"
)

// IamPolicyTag is the release whose published IAM policy upstream/iam_policy.json is: the controller
// project's docs/install/iam_policy.json at that tag (kubernetes-sigs/aws-load-balancer-controller,
// commit 11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4; Apache License 2.0, upstream/LICENSE). A chart
// bump brings its policy along: a test holds the tag to DefaultVersion.
const IamPolicyTag = "v3.5.0"

//go:embed upstream/iam_policy.json
var publishedIamPolicy []byte

// IamPolicy is the controller's IAM policy as its project publishes it (IamPolicyTag), with the
// partition of the stack's region in its ARNs: the statements that let it manage load balancers,
// target groups, listeners and the security groups it creates, each scoped by the
// elbv2.k8s.aws/cluster tag where upstream scopes it.
func IamPolicy(partition string) (clusterspec.PolicyDocument, error) {
	var published struct {
		Version   string
		Statement []struct {
			Effect    string
			Action    clusterspec.ConditionValue // one string or a list, as a condition value
			Resource  clusterspec.ConditionValue
			Condition map[string]map[string]clusterspec.ConditionValue
		}
	}
	if err := json.Unmarshal(publishedIamPolicy, &published); err != nil {
		return clusterspec.PolicyDocument{}, fmt.Errorf("the load balancer controller's published IAM policy: %w", err)
	}
	doc := clusterspec.PolicyDocument{Version: published.Version}
	for _, s := range published.Statement {
		resources := make([]string, len(s.Resource))
		for i, r := range s.Resource {
			// Upstream writes the commercial partition; GovCloud and China have their own.
			resources[i] = strings.Replace(r, "arn:aws:", "arn:"+partition+":", 1)
		}
		doc.Statement = append(doc.Statement, clusterspec.Statement{Effect: s.Effect, Action: s.Action, Resource: resources, Condition: s.Condition})
	}
	return doc, nil
}
