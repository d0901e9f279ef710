package awstwin

import (
	"fmt"
	"net/netip"
	"strings"
)

// Invariants are what must hold of an account whose network and cluster work, computed from the
// account alone (never from the program or its plan), each a violation in words; none is good:
//
//   - every route reaches a target that exists, is usable and is in the route table's VPC (EC2
//     marks others blackhole);
//   - a subnet whose table routes to an internet gateway is public: 0.0.0.0/0, and ::/0 when it
//     has an IPv6 block, go there; any other subnet with an IPv6 block sends ::/0 to an
//     egress-only internet gateway, and 0.0.0.0/0 to a NAT gateway when its VPC has one;
//   - a subnet with DNS64 routes 64:ff9b::/96 to a NAT gateway, or IPv4-only names resolve to
//     addresses nothing routes (terraform-aws-modules/terraform-aws-vpc#972);
//   - every node group's instances let the control plane reach the kubelet (TCP 10250) from the
//     cluster's security groups (EKS User Guide, sec-group-reqs);
//   - every Multus ENI (tagged multus=true) is in a subnet of the zone its Zone tag names, and
//     tagged for the VPC CNI to leave alone and with its cluster, which the attach script looks up.
//   - no two interfaces of an instance hold one device index, and every interface attached to an
//     instance the account launched is in that instance's zone.
func (a *Account) Invariants() []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, rt := range a.live(typeRouteTable, nil) {
		for _, r := range a.routesOf(rt.ID) {
			target, id := routeTarget(r)
			t, ok := a.Resources[id]
			switch {
			case !ok || !t.usable():
				bad("route table %s: %s goes to %s, which is not there (blackhole)", rt.ID, routeDestination(r), id)
			case target != typeNatGateway && t.str("vpcId") != rt.str("vpcId"),
				target == typeNatGateway && a.vpcOfSubnet(t.str("subnetId")) != rt.str("vpcId"):
				bad("route table %s: %s goes to %s in another VPC", rt.ID, routeDestination(r), id)
			}
		}
	}
	for _, subnet := range a.live(typeSubnet, nil) {
		routes := map[string]string{} // destination -> target type
		if table := a.tableOf(subnet.ID); table != "" {
			for _, r := range a.routesOf(table) {
				target, _ := routeTarget(r)
				routes[routeDestination(r)] = target
			}
		}
		hasV6 := subnet.str("ipv6CidrBlock") != ""
		public := routes["0.0.0.0/0"] == typeInternetGateway || routes["::/0"] == typeInternetGateway
		vpcHasNat := len(a.live(typeNatGateway, func(n *Record) bool { return a.vpcOfSubnet(n.str("subnetId")) == subnet.str("vpcId") })) > 0
		switch {
		case public:
			if routes["0.0.0.0/0"] != typeInternetGateway || hasV6 && routes["::/0"] != typeInternetGateway {
				bad("public subnet %s: 0.0.0.0/0 to %q and ::/0 to %q, want the internet gateway for each family it has", subnet.ID, routes["0.0.0.0/0"], routes["::/0"])
			}
		default:
			if hasV6 && routes["::/0"] != typeEgressOnlyIgw {
				bad("private subnet %s: ::/0 goes to %q, want an egress-only internet gateway", subnet.ID, routes["::/0"])
			}
			if vpcHasNat && routes["0.0.0.0/0"] != typeNatGateway {
				bad("private subnet %s: 0.0.0.0/0 goes to %q, want a NAT gateway", subnet.ID, routes["0.0.0.0/0"])
			}
		}
		if dns64, _ := subnet.Inputs["enableDns64"].(bool); dns64 && routes["64:ff9b::/96"] != typeNatGateway {
			bad("subnet %s has DNS64 on but 64:ff9b::/96 goes to %q, not a NAT gateway", subnet.ID, routes["64:ff9b::/96"])
		}
	}
	for _, ng := range a.live(typeNodeGroup, nil) {
		cluster, err := a.cluster(ng.str("clusterName"))
		if err != nil {
			bad("node group %s: %s", ng.ID, err.Message)
			continue
		}
		vpc := object(cluster.Outputs["vpcConfig"])
		controlPlane := append(stringList(object(cluster.Inputs["vpcConfig"])["securityGroupIds"]), strOf(vpc, "clusterSecurityGroupId"))
		if !a.allowsIngress(a.nodeSecurityGroups(ng, strOf(vpc, "clusterSecurityGroupId")), 10250, controlPlane) {
			bad("node group %s: nothing lets the control plane (%v) reach the kubelet on TCP 10250", ng.ID, controlPlane)
		}
	}
	for _, eni := range a.live(typeNetworkInterface, func(e *Record) bool { return strOf(object(e.Inputs["tags"]), "multus") == "true" }) {
		tags := object(eni.Inputs["tags"])
		subnet := a.Resources[eni.str("subnetId")]
		switch {
		case subnet == nil || subnet.str("availabilityZone") != strOf(tags, "Zone"):
			bad("Multus ENI %s: Zone tag %q, but its subnet %s is not in that zone", eni.ID, strOf(tags, "Zone"), eni.str("subnetId"))
		case strOf(tags, "node.k8s.amazonaws.com/no_manage") != "true" || strOf(tags, "cluster") == "":
			bad("Multus ENI %s: tags %v lack no_manage=true or its cluster", eni.ID, tags)
		}
	}
	held := map[string]string{} // instance and device index -> interface
	for _, eni := range a.live(typeNetworkInterface, func(e *Record) bool { return e.Outputs["attachedTo"] != nil }) {
		instance, _ := eni.Outputs["attachedTo"].(string)
		slot := fmt.Sprintf("%s at device index %d", instance, deviceIndexOf(eni))
		if other, taken := held[slot]; taken {
			bad("%s and %s are both attached to %s", other, eni.ID, slot)
		}
		held[slot] = eni.ID
		if inst := a.Instances[instance]; inst != nil {
			if subnet := a.Resources[eni.str("subnetId")]; subnet == nil || subnet.str("availabilityZone") != inst.Zone {
				bad("%s is attached to %s in %s from subnet %s of another zone", eni.ID, instance, inst.Zone, eni.str("subnetId"))
			}
		}
	}
	return out
}

func (a *Account) routesOf(table string) []*Record {
	return a.live(typeRoute, func(r *Record) bool { return r.str("routeTableId") == table })
}

// tableOf is the route table a subnet's association names, once that association is made; "" for
// none (the VPC's main table).
func (a *Account) tableOf(subnet string) string {
	for _, assoc := range a.live(typeRouteAssociation, func(s *Record) bool { return s.str("subnetId") == subnet && s.usable() }) {
		return assoc.str("routeTableId")
	}
	return ""
}

func (a *Account) vpcOfSubnet(id string) string {
	if s := a.Resources[id]; s != nil {
		return s.str("vpcId")
	}
	return ""
}

func routeDestination(r *Record) string {
	if d := r.str("destinationCidrBlock"); d != "" {
		return d
	}
	return r.str("destinationIpv6CidrBlock")
}

// routeTarget is the type and id of what a route sends its traffic to.
func routeTarget(r *Record) (string, string) {
	for _, t := range []struct{ key, typ string }{{"natGatewayId", typeNatGateway}, {"egressOnlyGatewayId", typeEgressOnlyIgw}, {"gatewayId", typeInternetGateway}, {"networkInterfaceId", typeNetworkInterface}} {
		if id := r.str(t.key); id != "" {
			return t.typ, id
		}
	}
	return "", ""
}

// nodeSecurityGroups are a node group's instances' security groups: its launch template's, else the
// cluster security group EKS gives nodes without one.
func (a *Account) nodeSecurityGroups(ng *Record, clusterSg string) []string {
	if lt := a.Resources[strOf(object(ng.Inputs["launchTemplate"]), "id")]; lt != nil {
		if sgs := stringList(lt.Inputs["vpcSecurityGroupIds"]); len(sgs) > 0 {
			return sgs
		}
	}
	return []string{clusterSg}
}

// allowsIngress: one of groups lets TCP port in from one of sources, by a rule that names the source
// group, a group's own members when the source is that group (EKS's cluster security group allows
// itself everything), or a CIDR that holds the VPC.
func (a *Account) allowsIngress(groups []string, port int, sources []string) bool {
	for _, g := range groups {
		sg := a.Resources[g]
		if sg == nil {
			continue
		}
		vpcCidr, _ := netip.ParsePrefix(a.Resources[sg.str("vpcId")].str("cidrBlock"))
		for _, rule := range a.ingressRules(sg) {
			if !rule.covers(port) {
				continue
			}
			for _, src := range sources {
				if rule.from == src || rule.self && src == g {
					return true
				}
			}
			if cidr, err := netip.ParsePrefix(rule.cidr); err == nil && vpcCidr.IsValid() && cidr.Bits() <= vpcCidr.Bits() && cidr.Contains(vpcCidr.Addr()) {
				return true
			}
		}
	}
	return false
}

type ingress struct {
	protocol     string
	fromPort, to int
	from, cidr   string
	self         bool
}

func (r ingress) covers(port int) bool {
	p := strings.ToLower(r.protocol)
	return p == "-1" || p == "all" || (p == "tcp" || p == "6") && r.fromPort <= port && port <= r.to
}

// ingressRules are a group's inbound rules, in all three ways pulumi-aws writes them: inline,
// aws:ec2/securityGroupRule and aws:vpc/securityGroupIngressRule.
func (a *Account) ingressRules(sg *Record) []ingress {
	num := func(v any) int { f, _ := v.(float64); return int(f) }
	var out []ingress
	for _, in := range anyList(sg.Inputs["ingress"]) {
		m := object(in)
		self, _ := m["self"].(bool)
		r := ingress{protocol: strOf(m, "protocol"), fromPort: num(m["fromPort"]), to: num(m["toPort"]), self: self}
		for _, src := range stringList(m["securityGroups"]) {
			r.from = src
			out = append(out, r)
		}
		for _, c := range stringList(m["cidrBlocks"]) {
			out = append(out, ingress{protocol: r.protocol, fromPort: r.fromPort, to: r.to, cidr: c})
		}
		if self {
			out = append(out, r)
		}
	}
	for _, r := range a.live(typeLegacyRule, func(r *Record) bool { return r.str("securityGroupId") == sg.ID && r.str("type") == "ingress" }) {
		self, _ := r.Inputs["self"].(bool)
		rule := ingress{protocol: r.str("protocol"), fromPort: num(r.Inputs["fromPort"]), to: num(r.Inputs["toPort"]), from: r.str("sourceSecurityGroupId"), self: self}
		out = append(out, rule)
		for _, c := range stringList(r.Inputs["cidrBlocks"]) {
			out = append(out, ingress{protocol: rule.protocol, fromPort: rule.fromPort, to: rule.to, cidr: c})
		}
	}
	for _, r := range a.live(typeIngressRule, func(r *Record) bool { return r.str("securityGroupId") == sg.ID }) {
		out = append(out, ingress{protocol: r.str("ipProtocol"), fromPort: num(r.Inputs["fromPort"]), to: num(r.Inputs["toPort"]),
			from: r.str("referencedSecurityGroupId"), cidr: r.str("cidrIpv4")})
	}
	return out
}
