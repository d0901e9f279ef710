package awstwin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliAgainst saves the account to a state file and returns a runner of aws command lines against it
// (status, stdout, stderr), and a reader of the account as the CLI left it.
func cliAgainst(t *testing.T, a *Account, env map[string]string) (func(args ...string) (int, string, string), func() *Account) {
	t.Helper()
	state := filepath.Join(t.TempDir(), "account.json")
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == StateEnv {
			return state
		}
		return env[k]
	}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr strings.Builder
		code := CLI(args, getenv, &stdout, &stderr)
		return code, strings.TrimSuffix(stdout.String(), "\n"), stderr.String()
	}
	reload := func() *Account {
		saved, err := LoadAccount(state)
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}
	return run, reload
}

// The calls our Multus unit makes (internal/multus attach-eni.sh), word for word, answer as the unit
// reads them; the attach acts on the account, and EC2's refusal comes back as the CLI prints it.
func TestTheCliAnswersTheMultusUnitsCalls(t *testing.T) {
	n, instances := nodesOf(t, "ipv4", "t3.medium", "", 2, 0)
	a, inst, other := n.a, instances[0], instances[1]
	multus := mustCreate(t, a, typeNetworkInterface, map[string]any{"subnetId": n.subnet,
		"tags": map[string]any{"cluster": "eks-ipv4-multus", "multus": "true", "Zone": "eu-central-1a", "node.k8s.amazonaws.com/no_manage": "true"}})
	a.GrowVpcCniEnis(map[string]int{inst.Node: 1}) // the VPC CNI's ENI at 1
	var plugs []plugged
	plug = func(p plugged) error { plugs = append(plugs, p); return nil }
	t.Cleanup(func() { plug = plugInterface })
	run, reload := cliAgainst(t, a, map[string]string{TokenEnv: "twin-token", InstanceEnv: inst.ID})
	describe := func(filters ...string) []string {
		args := []string{"ec2", "describe-network-interfaces", "--region", "eu-central-1", "--filters",
			"Name=tag:cluster,Values=eks-ipv4-multus", "Name=tag:multus,Values=true", "Name=tag:Zone,Values=eu-central-1a"}
		return append(append(args, filters...), "--query", "NetworkInterfaces[0].NetworkInterfaceId", "--output", "text")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{describe("Name=attachment.instance-id,Values=" + inst.ID), "None"},
		{describe("Name=status,Values=available"), multus},
		{[]string{"ec2", "describe-instances", "--region", "eu-central-1", "--instance-ids", inst.ID,
			"--query", "Reservations[0].Instances[0].NetworkInterfaces[].Attachment.DeviceIndex", "--output", "text"}, "0\t1"},
		{[]string{"ec2", "describe-network-interfaces", "--region", "eu-central-1", "--network-interface-ids", multus,
			"--query", "NetworkInterfaces[0].MacAddress", "--output", "text"}, a.Resources[multus].str("macAddress")},
		{[]string{"ec2", "describe-instances", "--region", "eu-central-1", "--instance-ids", inst.ID,
			"--query", "Reservations[0].Instances[0].PrivateDnsName", "--output", "text"}, inst.Node},
		{[]string{"ec2", "describe-network-interfaces", "--network-interface-ids", multus, "--query", "NetworkInterfaces[0].[AvailabilityZone, Status]", "--output", "text"},
			"eu-central-1a\tavailable"},
		{[]string{"ec2", "describe-instances", "--query", "Reservations[].Instances[].InstanceId", "--output", "text"}, inst.ID + "\t" + other.ID},
		{[]string{"ec2", "describe-instances", "--instance-ids", other.ID, "--query", "Reservations[].Instances[].InstanceId", "--output", "text"}, other.ID},
		{[]string{"ec2", "describe-instances", "--instance-ids", inst.ID, "--query",
			"Reservations[0].Instances[0].NetworkInterfaces[?Attachment.DeviceIndex==`1`].Attachment.DeleteOnTermination", "--output", "text"}, "true"},
	} {
		code, out, stderr := run(tc.args...)
		if code != 0 || out != tc.want {
			t.Errorf("aws %s: %d %q %s, want %q", strings.Join(tc.args, " "), code, out, stderr, tc.want)
		}
	}

	attach := func(instance, index string) (int, string, string) {
		return run("ec2", "attach-network-interface", "--region", "eu-central-1", "--network-interface-id", multus,
			"--instance-id", instance, "--device-index", index)
	}
	code, _, stderr := attach(inst.ID, "1")
	if code != 254 || stderr != "\nAn error occurred (InvalidParameterValue) when calling the AttachNetworkInterface operation: Instance '"+inst.ID+"' already has an interface attached at device index '1'.\n" {
		t.Errorf("attach at the CNI's index: %d %q", code, stderr)
	}
	if code, out, stderr := attach(inst.ID, "2"); code != 0 || !strings.Contains(out, `"AttachmentId": "eni-attach-`) || stderr != "" {
		t.Errorf("attach at 2: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := attach(other.ID, "1"); code != 254 || !strings.Contains(stderr, "(InvalidNetworkInterface.InUse)") {
		t.Errorf("attach of an ENI in use: %d %q", code, stderr)
	}
	// Plugged into this machine only: the instance the CLI runs on (InstanceEnv) attached it.
	if len(plugs) != 1 || plugs[0] != (plugged{mac: a.Resources[multus].str("macAddress"), index: 2}) {
		t.Errorf("plugged %+v, want the Multus ENI's MAC at index 2 once", plugs)
	}
	saved := reload()
	if got := saved.Resources[multus].Outputs; got["attachedTo"] != inst.ID || deviceIndexOf(saved.Resources[multus]) != 2 {
		t.Errorf("the account after the attach: %v", got)
	}
	if code, out, _ := run(describe("Name=attachment.instance-id,Values=" + inst.ID)...); code != 0 || out != multus {
		t.Errorf("after the attach, this instance's Multus ENI: %d %q", code, out)
	}
	if code, out, _ := run(describe("Name=status,Values=available")...); code != 0 || out != "None" {
		t.Errorf("after the attach, an available one: %d %q", code, out)
	}
}

func TestTheCliRefusesWhatItDoesNotSimulate(t *testing.T) {
	run, _ := cliAgainst(t, NewAccount("eu-central-1"), nil)
	if code, _, stderr := run("ec2", "terminate-instances", "--instance-ids", "i-1"); code != 252 || !strings.Contains(stderr, `does not simulate "ec2 terminate-instances"`) {
		t.Errorf("an unsimulated call: %d %q", code, stderr)
	}
	if code, _, stderr := run("ec2", "describe-network-interfaces", "--filters", "Name=owner-id,Values=1"); code != 254 || !strings.Contains(stderr, "The filter 'owner-id' is invalid") {
		t.Errorf("an unknown filter: %d %q", code, stderr)
	}
	if code, _, stderr := run("ec2", "describe-instances", "--instance-ids", "i-0nothere"); code != 254 || !strings.Contains(stderr, "(InvalidInstanceID.NotFound)") {
		t.Errorf("an unknown instance: %d %q", code, stderr)
	}
	if code, _, stderr := run("ec2"); code != 252 || !strings.Contains(stderr, `does not simulate "ec2 "`) {
		t.Errorf("a service without an operation: %d %q", code, stderr)
	}
	if code, out, _ := run("--version"); code != 0 || !strings.HasPrefix(out, "aws-cli/2") {
		t.Errorf("--version: %d %q", code, out)
	}
}
