package awstwin

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// A process on an instance gets a token from `aws eks get-token` that EKS's authenticator maps to
// its node, system:node:<private DNS name> in system:nodes, only through an EC2_LINUX access entry
// of the node role on the token's cluster, and only while the instance runs.
func TestANodesTokenIsItsNode(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 2, 0)
	a, inst, other := n.a, instances[0], instances[1]
	// A second cluster in the same subnets, where the node role has no entry.
	eksCluster(t, a, "other-cluster", object(a.Resources["chapter"].Inputs["vpcConfig"])["subnetIds"].([]any)...)
	a.Settle(time.Now().Add(time.Hour)) // the clusters ACTIVE
	tokenOf := func(a *Account, instance, cluster string) string {
		t.Helper()
		run, _ := cliAgainst(t, a, map[string]string{TokenEnv: "the-deployers-token", InstanceEnv: instance})
		code, out, stderr := run("eks", "get-token", "--region", "eu-central-1", "--cluster-name", cluster, "--query", "status.token", "--output", "text")
		if code != 0 {
			t.Fatalf("get-token on %s: %d %s", instance, code, stderr)
		}
		return out
	}
	if _, ok := a.Authenticate(tokenOf(a, inst.ID, "chapter")); ok {
		t.Error("a node role without an access entry authenticates")
	}
	roleArn := a.Resources["node-role"].str("arn")
	mustCreate(t, a, typeAccessEntry, map[string]any{"clusterName": "chapter", "principalArn": roleArn, "type": "EC2_LINUX"})
	for _, i := range []*Instance{inst, other} {
		user, ok := a.Authenticate(tokenOf(a, i.ID, "chapter"))
		if want := (KubernetesUser{Name: "system:node:" + i.Node, Groups: []string{"system:nodes"}}); !ok || !reflect.DeepEqual(user, want) {
			t.Errorf("%s's token authenticates as %+v (%v), want %+v", i.ID, user, ok, want)
		}
	}
	// The same role name and instance, signed in another account.
	claims, _ := json.Marshal(nodeTokenClaims{CallerArn: "arn:aws:sts::999999999999:assumed-role/node-role/" + other.ID, Cluster: "chapter"})
	otherAccounts := tokenPrefix + base64.RawURLEncoding.EncodeToString(claims)
	for name, token := range map[string]string{
		"a token for another cluster":                    tokenOf(a, inst.ID, "other-cluster"),
		"the deployer's token":                           "the-deployers-token",
		"a token that is not base64":                     tokenPrefix + "!!",
		"a token of another account's role of that name": otherAccounts,
	} {
		if user, ok := a.Authenticate(token); ok {
			t.Errorf("%s authenticates as %+v", name, user)
		}
	}
	// Outside an instance the CLI hands out the deployer's token.
	run, _ := cliAgainst(t, a, map[string]string{TokenEnv: "the-deployers-token"})
	if code, out, _ := run("--region", "eu-central-1", "eks", "get-token", "--cluster-name", "chapter", "--output", "json", "--query", "status.token"); code != 0 || out != `"the-deployers-token"` {
		t.Errorf("the deployer's get-token: %d %s", code, out)
	}
	// A terminated instance's token no longer authenticates, nor an unknown instance's get one.
	token := tokenOf(a, inst.ID, "chapter")
	a.terminateInstances([]string{inst.Node})
	if _, ok := a.Authenticate(token); ok {
		t.Error("a terminated instance's token authenticates")
	}
	run, _ = cliAgainst(t, a, map[string]string{InstanceEnv: "i-0000000000000dead"})
	if code, _, stderr := run("eks", "get-token", "--cluster-name", "chapter"); code != 254 || stderr == "" {
		t.Errorf("get-token on an unknown instance: %d %s", code, stderr)
	}
}

// A STANDARD entry for the node role does not make its sessions nodes.
func TestOnlyAnEc2LinuxEntryMakesANode(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 1, 0)
	a := n.a
	a.Settle(time.Now().Add(time.Hour))
	mustCreate(t, a, typeAccessEntry, map[string]any{"clusterName": "chapter", "principalArn": a.Resources["node-role"].str("arn"), "type": "STANDARD"})
	token, err := a.InstanceToken(instances[0].ID, "chapter")
	if err != nil {
		t.Fatal(err)
	}
	if user, ok := a.Authenticate(token); ok {
		t.Errorf("a STANDARD entry made %+v", user)
	}
}
