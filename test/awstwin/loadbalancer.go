package awstwin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
)

// What the AWS Load Balancer Controller makes in the account for a Service of class
// service.k8s.aws/nlb (kubernetes-sigs/aws-load-balancer-controller, docs/guide/service/nlb.md): a
// network load balancer in the subnets whose role tag its scheme names (kubernetes.io/role/elb for
// internet-facing, kubernetes.io/role/internal-elb for internal; docs/deploy/subnet_discovery.md),
// a frontend security group of its own (docs/deploy/security_groups.md), and ELB's network
// interface in each of those subnets. No program manages them: the controller deletes them when the
// Service goes, so a Service dropped from Pulumi's state without being deleted leaves them, billed,
// in the VPC, where its subnets and the VPC cannot be deleted.

// TypeLoadBalancer records a load balancer the controller made.
const TypeLoadBalancer = "aws:lb/loadBalancer:LoadBalancer"

// LoadBalancerControllerOwner owns the controller's load balancers.
const LoadBalancerControllerOwner = "aws-load-balancer-controller"

// AddServiceLoadBalancer makes the load balancer for service ("namespace/name") with scheme
// "internet-facing" or "internal", once; a second call returns the first one.
func (a *Account) AddServiceLoadBalancer(service, scheme string) (*Record, *Error) {
	if lb := a.serviceLoadBalancer(service); lb != nil {
		return lb, nil
	}
	role := "kubernetes.io/role/elb"
	if scheme == "internal" {
		role = "kubernetes.io/role/internal-elb"
	}
	var subnets []string
	vpc := ""
	for _, s := range a.live(typeSubnet, func(s *Record) bool { return s.DeletingUntil == nil && strOf(object(s.Inputs["tags"]), role) == "1" }) {
		subnets = append(subnets, s.ID)
		vpc = s.str("vpcId")
	}
	if len(subnets) == 0 {
		// The controller's event: "Failed build model due to unable to resolve at least one subnet".
		return nil, awsErr("SubnetNotFound", "unable to resolve at least one subnet (no subnet tagged %s=1)", role)
	}
	sum := sha256.Sum256([]byte(service))
	name := "k8s-" + hex.EncodeToString(sum[:5])
	lb := &Record{Type: TypeLoadBalancer, ID: fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/%s/%s", a.Region, AccountID, name, hex.EncodeToString(sum[5:13])),
		Owner: LoadBalancerControllerOwner, Outputs: map[string]any{},
		Inputs: map[string]any{"service": service, "scheme": scheme, "subnets": toAnyList(subnets)}}
	a.Resources[lb.ID] = lb
	sg := &Record{Type: typeSecurityGroup, ID: a.nextID("sg"), Owner: lb.ID, Outputs: map[string]any{},
		Inputs: map[string]any{"vpcId": vpc, "name": name, "description": "[k8s] Managed SecurityGroup for LoadBalancer"}}
	a.Resources[sg.ID] = sg
	lb.Inputs["securityGroups"] = []any{sg.ID}
	a.addOwnedENIs(lb, "ELB net/"+name, subnets, []string{sg.ID}, len(subnets))
	return lb, nil
}

// RemoveServiceLoadBalancer deletes service's load balancer, its security group and interfaces.
func (a *Account) RemoveServiceLoadBalancer(service string) {
	lb := a.serviceLoadBalancer(service)
	if lb == nil {
		return
	}
	for _, owned := range a.ownedBy(lb.ID) {
		delete(a.Resources, owned.ID)
	}
	delete(a.Resources, lb.ID)
}

// ServiceLoadBalancers lists the controller's load balancers, by service.
func (a *Account) ServiceLoadBalancers() []string {
	var out []string
	for _, lb := range a.live(TypeLoadBalancer, nil) {
		out = append(out, lb.str("service"))
	}
	slices.Sort(out)
	return out
}

func (a *Account) serviceLoadBalancer(service string) *Record {
	for _, lb := range a.live(TypeLoadBalancer, func(r *Record) bool { return r.str("service") == service }) {
		return lb
	}
	return nil
}

func toAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
