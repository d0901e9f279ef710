package awstwin

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// What a managed node needs to join its cluster. EKS takes the CreateNodegroup call; the group then
// fails when its instances do not register, and pulumi-aws's waiter reports the group's health issue
// (tpa internal/service/eks/node_group.go, waitNodegroupCreated; EKS API reference, Issue code
// NodeCreationFailure). The twin checks when the create's modelled time is up (Provider.finishCreate).

// nodeJoinPolicies are the managed policies a node role needs (EKS User Guide, create-node-role):
// the worker policy, and one of the ECR policies to pull the pause and add-on images.
var nodeJoinPolicies = [][]string{
	{"AmazonEKSWorkerNodePolicy"},
	{"AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPullOnly"},
}

func nodeCreationFailure(ng *Record, format string, args ...any) *Error {
	return awsErr("NodeCreationFailure", "waiting for EKS Node Group (%s:%s) create: unexpected state 'CREATE_FAILED', wanted target 'ACTIVE'. last error: NodeCreationFailure: Instances failed to join the kubernetes cluster (%s)",
		ng.str("clusterName"), ng.str("nodeGroupName"), fmt.Sprintf(format, args...))
}

// checkNodesCanJoin: the node role holds the policies a node needs, every subnet of the group has a
// route out (to ECR, STS and the cluster's endpoint) through a gateway whose create has finished,
// and the user data of a group whose launch template names the AMI, which EKS leaves as it is, is
// a NodeConfig nodeadm accepts.
func (a *Account) checkNodesCanJoin(ng *Record) *Error {
	role, err := a.role(ng.str("nodeRoleArn"))
	if err != nil {
		return err
	}
	var attached []string
	for _, p := range a.live(typeRolePolicyAttach, func(p *Record) bool { return p.str("role") == role.ID && p.usable() }) {
		attached = append(attached, p.str("policyArn")[strings.LastIndex(p.str("policyArn"), "/")+1:])
	}
	for _, anyOf := range nodeJoinPolicies {
		if !slices.ContainsFunc(anyOf, func(p string) bool { return slices.Contains(attached, p) }) {
			return nodeCreationFailure(ng, "the node role %s has none of %v attached", role.ID, anyOf)
		}
	}
	for _, subnet := range stringList(ng.Inputs["subnetIds"]) {
		if !a.hasRouteOut(subnet) {
			return nodeCreationFailure(ng, "subnet %s has no route to the internet through an available gateway", subnet)
		}
	}
	if a.checkUserData == nil {
		return nil
	}
	if lt := a.Resources[strOf(object(ng.Inputs["launchTemplate"]), "id")]; lt != nil && lt.str("imageId") != "" {
		if err := a.checkUserData(lt.str("userData")); err != nil {
			return nodeCreationFailure(ng, "nodeadm refuses the launch template's user data: %v", err)
		}
	}
	return nil
}

// hasRouteOut: the subnet's route table sends 0.0.0.0/0 to a NAT gateway or an internet gateway,
// or ::/0 to an egress-only or internet gateway, each created and usable. A subnet without an
// association of its own uses its VPC's main table, which holds only the local route here.
func (a *Account) hasRouteOut(subnet string) bool {
	out := map[string][]string{"0.0.0.0/0": {typeNatGateway, typeInternetGateway}, "::/0": {typeEgressOnlyIgw, typeInternetGateway}}
	for _, r := range a.routesOf(a.tableOf(subnet)) {
		target, id := routeTarget(r)
		if g, ok := a.Resources[id]; ok && r.usable() && g.usable() && slices.Contains(out[routeDestination(r)], target) {
			return true
		}
	}
	return false
}

// decodedUserData is a launch template's user data as the instance gets it: EC2 takes it base64.
func decodedUserData(userData string) string {
	if raw, err := base64.StdEncoding.DecodeString(userData); err == nil {
		return string(raw)
	}
	return userData
}

// checkAddonHealthy: a CoreDNS add-on needs a node to run on, a node group of its cluster whose
// create has finished, with nodes, and no NoSchedule or NoExecute taint CoreDNS does not tolerate.
// Without one EKS reports the add-on DEGRADED with InsufficientNumberOfReplicas (EKS API reference,
// AddonIssue), which fails pulumi-aws's wait for ACTIVE (tpa internal/service/eks/addon.go).
func (a *Account) checkAddonHealthy(addon *Record) *Error {
	if addon.str("addonName") != "coredns" {
		return nil
	}
	for _, ng := range a.live(typeNodeGroup, func(g *Record) bool { return g.str("clusterName") == addon.str("clusterName") && g.usable() }) {
		if desired, _ := object(ng.Inputs["scalingConfig"])["desiredSize"].(float64); desired < 1 {
			continue
		}
		schedulable := true
		for _, t := range anyList(ng.Inputs["taints"]) {
			taint := object(t)
			tolerated := slices.ContainsFunc(corednsTolerations, func(t corev1.Toleration) bool { return t.Key == strOf(taint, "key") })
			if strOf(taint, "effect") != "PREFER_NO_SCHEDULE" && !tolerated {
				schedulable = false
			}
		}
		if schedulable {
			return nil
		}
	}
	return awsErr("InsufficientNumberOfReplicas", "waiting for EKS Add-On (%s:coredns) create: unexpected state 'DEGRADED', wanted target 'ACTIVE'. last error: InsufficientNumberOfReplicas: The add-on is unhealthy because it doesn't have the desired number of replicas (no node CoreDNS can run on)", addon.str("clusterName"))
}

// NodeadmUserDataCheck runs the real nodeadm's `config check` on user data, as the node would read
// it at boot.
func NodeadmUserDataCheck(nodeadm string) func(userData string) error {
	return func(userData string) error {
		dir, err := os.MkdirTemp("", "twin-user-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "user-data")
		if err := os.WriteFile(path, []byte(decodedUserData(userData)), 0o600); err != nil {
			return err
		}
		out, err := exec.Command(nodeadm, "config", "check", "--config-source", "file://"+path).CombinedOutput() //nolint:gosec // the nodeadm the twin is configured with
		if err != nil {
			return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
}
