package awstwin

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// How a process on a node authenticates to its cluster's API server. `aws eks get-token` on an
// instance signs an STS GetCallerIdentity request with the instance profile's credentials, whose
// caller is the session of the node role named after the instance; EKS's authenticator asks STS who
// signed and maps that role through its access entry. An EC2_LINUX entry maps it to the Kubernetes
// user system:node:{{EC2PrivateDNSName}} in the group system:nodes, the private DNS name being the
// instance's, looked up by the session name (EKS API reference, CreateAccessEntry, type: "Amazon EKS
// grants the necessary permissions to the node for you"; aws-iam-authenticator README, "EC2PrivateDNSName").
// So the API server's NodeRestriction and Node authorizer see a node, which may change only its own
// Node object, and there not its taints.

// tokenPrefix starts an EKS token: "k8s-aws-v1." and the presigned URL, base64url without padding
// (aws-iam-authenticator pkg/token/token.go, v1Prefix).
const tokenPrefix = "k8s-aws-v1." //nolint:gosec // G101: the token format's prefix, not a credential

// nodeTokenClaims is what the twin's token says, in place of a presigned URL: the signer, as STS
// would name it, and the cluster the token is for (the x-k8s-aws-id header EKS's token signs).
type nodeTokenClaims struct {
	CallerArn string `json:"callerArn"`
	Cluster   string `json:"cluster"`
}

// InstanceToken is the token `aws eks get-token --cluster-name cluster` gives a process on the
// instance: its caller is the node role's session named after the instance.
func (a *Account) InstanceToken(instanceID, cluster string) (string, *Error) {
	inst, ok := a.Instances[instanceID]
	if !ok {
		return "", awsErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", instanceID)
	}
	ng, ok := a.Resources[inst.NodeGroup]
	if !ok {
		return "", awsErr("AccessDenied", "the instance %s has no instance profile (its node group %s is gone)", instanceID, inst.NodeGroup)
	}
	roleArn := ng.str("nodeRoleArn")
	role := roleArn[strings.LastIndex(roleArn, "/")+1:]
	b, err := json.Marshal(nodeTokenClaims{
		CallerArn: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", AccountID, role, instanceID), Cluster: cluster})
	if err != nil {
		return "", awsErr("InternalError", "%v", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// KubernetesUser is who the API server takes a request to be.
type KubernetesUser struct {
	Name   string
	Groups []string
}

// Authenticate is EKS's authenticator on a token: the Kubernetes user of a node's token whose role
// has an EC2_LINUX access entry on the token's cluster, for an instance that runs. Any other token
// is not the twin's to authenticate (false), and nor is a principal without such an entry: EKS
// answers 401 for it. Other entry types are not modelled here; the deployer's token is the suite's
// own.
func (a *Account) Authenticate(token string) (KubernetesUser, bool) {
	encoded, ok := strings.CutPrefix(token, tokenPrefix)
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if !ok || err != nil {
		return KubernetesUser{}, false
	}
	var claims nodeTokenClaims
	if err := json.Unmarshal(raw, &claims); err != nil {
		return KubernetesUser{}, false
	}
	// arn:aws:sts::<account>:assumed-role/<role>/<session>
	parts := strings.Split(claims.CallerArn, "/")
	if len(parts) != 3 || parts[0] != "arn:aws:sts::"+AccountID+":assumed-role" {
		return KubernetesUser{}, false
	}
	// STS names the role without its path; the access entry names the role's ARN.
	role, noRole := a.role(parts[1])
	cluster, noCluster := a.activeCluster(claims.Cluster)
	if noRole != nil || noCluster != nil {
		return KubernetesUser{}, false
	}
	session := parts[2]
	entries := a.live(typeAccessEntry, func(e *Record) bool {
		return e.str("clusterName") == cluster.ID && e.str("principalArn") == role.str("arn") && e.str("type") == "EC2_LINUX"
	})
	inst, running := a.Instances[session]
	if len(entries) == 0 || !running {
		return KubernetesUser{}, false
	}
	return KubernetesUser{Name: "system:node:" + inst.Node, Groups: []string{"system:nodes"}}, true
}
