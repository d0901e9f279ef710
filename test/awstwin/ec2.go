package awstwin

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// The EC2 network resources. Error codes and messages are EC2's, from the sources cited per rule
// (tpa = hashicorp/terraform-provider-aws, which pulumi-aws bridges).

const (
	typeVpc              = "aws:ec2/vpc:Vpc"
	typeSubnet           = "aws:ec2/subnet:Subnet"
	typeInternetGateway  = "aws:ec2/internetGateway:InternetGateway"
	typeEgressOnlyIgw    = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
	typeEip              = "aws:ec2/eip:Eip"
	typeNatGateway       = "aws:ec2/natGateway:NatGateway"
	typeRouteTable       = "aws:ec2/routeTable:RouteTable"
	typeRoute            = "aws:ec2/route:Route"
	typeRouteAssociation = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	typeSecurityGroup    = "aws:ec2/securityGroup:SecurityGroup"
	typeIngressRule      = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	typeEgressRule       = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	// typeLegacyRule is the older rule resource (ingress or egress by its type), which pulumi-eks uses.
	typeLegacyRule       = "aws:ec2/securityGroupRule:SecurityGroupRule"
	typeNetworkInterface = "aws:ec2/networkInterface:NetworkInterface"
	typeLaunchTemplate   = "aws:ec2/launchTemplate:LaunchTemplate"
	typeCidrReservation  = "aws:ec2/subnetCidrReservation:SubnetCidrReservation"
	typeEniAttachment    = "aws:ec2/networkInterfaceAttachment:NetworkInterfaceAttachment"
)

// nat64Prefix is the only IPv6 destination a NAT gateway may be the target of (RFC 6052's prefix,
// for NAT64; eksctl #4603).
var nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")

// notFound is EC2's error for an id that names nothing.
func notFound(typ, id string) *Error {
	switch typ {
	case typeVpc:
		return awsErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	case typeSubnet:
		return awsErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
	case typeInternetGateway:
		return awsErr("InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist", id)
	case typeEgressOnlyIgw:
		return awsErr("InvalidGatewayID.NotFound", "The gateway ID '%s' does not exist", id)
	case typeEip:
		return awsErr("InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist", id)
	case typeNatGateway:
		return awsErr("InvalidNatGatewayID.NotFound", "The natGateway ID '%s' does not exist", id)
	case typeRouteTable:
		return awsErr("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist", id)
	case typeSecurityGroup:
		return awsErr("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	case typeNetworkInterface:
		return awsErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
	}
	return awsErr("InvalidParameterValue", "%s %s does not exist", kind(typ), id)
}

// mustExist is the record id names, which must be of typ; an empty id is a missing parameter.
func (a *Account) mustExist(typ, param, id string) (*Record, *Error) {
	if id == "" {
		return nil, awsErr("MissingParameter", "The request must contain the parameter %s", param)
	}
	return a.get(id, typ)
}

func prefixOf(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	return p, err == nil
}

func contains(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

func init() {
	register(typeVpc, handler{prefix: "vpc", took: quick,
		create: func(a *Account, r *Record) *Error {
			cidr := r.str("cidrBlock")
			p, ok := prefixOf(cidr)
			// A VPC's IPv4 block is /16 to /28 (API_CreateVpc; grycap/im#1011 for the wording).
			if !ok || !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 28 || p.Masked() != p {
				return awsErr("InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr)
			}
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:vpc/%s", a.Region, AccountID, r.ID)
			r.Outputs["ownerId"] = AccountID
			r.Outputs["mainRouteTableId"] = "rtb-main" + r.ID[len("vpc"):]
			r.Outputs["defaultSecurityGroupId"] = "sg-default" + r.ID[len("vpc"):]
			if b, _ := r.Inputs["assignGeneratedIpv6CidrBlock"].(bool); b {
				assignVpcIpv6(a, r)
			}
			return nil
		},
		// An Amazon-provided IPv6 block asked for later is associated in place, as pulumi-aws does it
		// (AssociateVpcCidrBlock; terraform-provider-aws internal/service/ec2/vpc_.go, resourceVPCUpdate).
		// Giving it back is not simulated.
		update: func(a *Account, old, r *Record) *Error {
			wanted, _ := r.Inputs["assignGeneratedIpv6CidrBlock"].(bool)
			had, _ := old.Inputs["assignGeneratedIpv6CidrBlock"].(bool)
			switch {
			case wanted && !had:
				assignVpcIpv6(a, r)
			case had && !wanted:
				return awsErr("NotSimulated", "the AWS twin does not disassociate a VPC's IPv6 block (DisassociateVpcCidrBlock)")
			}
			return nil
		},
		// "The vpc 'vpc-…' has dependencies and cannot be deleted." (pulumi-zephyr/zephyr-app#9).
		delete: func(a *Account, r *Record) *Error {
			inVpc := func(rec *Record) bool { return rec.str("vpcId") == r.ID }
			blocking := dependents(a.live(typeSubnet, inVpc), a.live(typeInternetGateway, inVpc), a.live(typeEgressOnlyIgw, inVpc),
				a.live(typeSecurityGroup, inVpc), a.live(typeRouteTable, inVpc))
			if len(blocking) > 0 {
				return awsErr("DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted. (twin: %s)", r.ID, strings.Join(blocking, ", "))
			}
			return nil
		},
	})

	register(typeSubnet, handler{prefix: "subnet", took: quick,
		create: func(a *Account, r *Record) *Error {
			vpc, err := a.mustExist(typeVpc, "VpcId", r.str("vpcId"))
			if err != nil {
				return err
			}
			if err := a.checkSubnetBlocks(vpc, r); err != nil {
				return err
			}
			if az := r.str("availabilityZone"); az != "" && !strings.HasPrefix(az, a.Region) {
				return awsErr("InvalidParameterValue", "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %sa, %sb, %sc.", az, a.Region, a.Region, a.Region)
			}
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", a.Region, AccountID, r.ID)
			r.Outputs["ownerId"] = AccountID
			if r.str("ipv6CidrBlock") != "" {
				r.Outputs["ipv6CidrBlockAssociationId"] = "subnet-cidr-assoc" + r.ID[len("subnet"):]
			}
			return nil
		},
		// A /64 given to a subnet later is associated in place (AssociateSubnetCidrBlock).
		update: func(a *Account, old, r *Record) *Error {
			vpc, err := a.mustExist(typeVpc, "VpcId", r.str("vpcId"))
			if err != nil {
				return err
			}
			if err := a.checkSubnetBlocks(vpc, r); err != nil {
				return err
			}
			if r.str("ipv6CidrBlock") != "" {
				r.Outputs["ipv6CidrBlockAssociationId"] = "subnet-cidr-assoc" + r.ID[len("subnet"):]
			}
			return nil
		},
		// "The subnet 'subnet-…' has dependencies and cannot be deleted." while network interfaces
		// (a NAT gateway's among them) are in it (tpa website/docs/r/subnet).
		delete: func(a *Account, r *Record) *Error {
			inSubnet := func(rec *Record) bool { return rec.str("subnetId") == r.ID }
			blocking := dependents(a.live(typeNatGateway, inSubnet), a.live(typeNetworkInterface, inSubnet))
			if len(blocking) > 0 {
				return awsErr("DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted. (twin: %s)", r.ID, strings.Join(blocking, ", "))
			}
			return nil
		},
	})

	register(typeInternetGateway, handler{prefix: "igw", took: gateway,
		create: func(a *Account, r *Record) *Error {
			if id := r.str("vpcId"); id != "" {
				if _, err := a.mustExist(typeVpc, "VpcId", id); err != nil {
					return err
				}
				if other := a.live(typeInternetGateway, func(o *Record) bool { return o.str("vpcId") == id }); len(other) > 0 {
					return awsErr("Resource.AlreadyAssociated", "resource %s is already attached to network %s", other[0].ID, id)
				}
			}
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:internet-gateway/%s", a.Region, AccountID, r.ID)
			r.Outputs["ownerId"] = AccountID
			return nil
		},
		update: func(a *Account, old, r *Record) *Error {
			if old.str("vpcId") != r.str("vpcId") && old.str("vpcId") != "" {
				if err := detachable(a, old); err != nil {
					return err
				}
			}
			return nil
		},
		// Detaching while the VPC has public addresses mapped (a NAT gateway's EIP) is refused
		// (hashicorp/terraform#1303; tpa ec2/vpc_internet_gateway.go).
		delete: detachable,
	})

	register(typeEgressOnlyIgw, handler{prefix: "eigw", took: gateway,
		create: func(a *Account, r *Record) *Error {
			_, err := a.mustExist(typeVpc, "VpcId", r.str("vpcId"))
			return err
		},
		update: func(a *Account, old, r *Record) *Error { return nil },
	})

	register(typeEip, handler{prefix: "eipalloc", took: quick,
		create: func(a *Account, r *Record) *Error {
			r.Outputs["allocationId"] = r.ID
			r.Outputs["publicIp"] = fmt.Sprintf("3.%d.%d.%d", 64+a.Sequence%64, a.Sequence/64%256, 1+a.Sequence%254)
			r.Outputs["domain"] = "vpc"
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:elastic-ip/%s", a.Region, AccountID, r.ID)
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return nil },
		// Releasing an address a NAT gateway still holds (even one being deleted) is refused
		// (bc:ec2 ReleaseAddress; eformat/sno-for-100#5).
		delete: func(a *Account, r *Record) *Error {
			if users := a.live(typeNatGateway, func(n *Record) bool { return n.str("allocationId") == r.ID }); len(users) > 0 {
				if users[0].DeletingUntil != nil {
					return awsErr("AuthFailure", "You do not have permission to access the specified resource.")
				}
				return awsErr("InvalidIPAddress.InUse", "Address %s is in use by %s.", r.ID, users[0].ID)
			}
			return nil
		},
	})

	register(typeNatGateway, handler{prefix: "nat", took: natGateway,
		create: func(a *Account, r *Record) *Error {
			subnet, err := a.mustExist(typeSubnet, "SubnetId", r.str("subnetId"))
			if err != nil {
				return err
			}
			if r.str("connectivityType") != "private" {
				eip, err := a.mustExist(typeEip, "AllocationId", r.str("allocationId"))
				if err != nil {
					return err
				}
				if users := a.live(typeNatGateway, func(n *Record) bool { return n.str("allocationId") == eip.ID }); len(users) > 0 {
					return awsErr("Resource.AlreadyAssociated", "Elastic IP address [%s] is already associated", eip.ID)
				}
				// The call succeeds and the gateway fails; pulumi-aws's waiter then reports the failure
				// (API_NatGateway failureCode; tpa ec2/wait.go).
				vpcID := subnet.str("vpcId")
				// An internet gateway is attached once its create (create, attach, wait) has finished.
				if len(a.live(typeInternetGateway, func(g *Record) bool { return g.str("vpcId") == vpcID && g.usable() })) == 0 {
					return awsErr("Gateway.NotAttached", "creating EC2 NAT Gateway: waiting for completion: unexpected state 'failed', wanted target 'available'. last error: Gateway.NotAttached: Network %s has no Internet gateway attached", vpcID)
				}
				r.Outputs["publicIp"] = eip.Outputs["publicIp"]
			}
			r.Outputs["networkInterfaceId"] = "eni-" + r.ID[len("nat-"):]
			r.Outputs["privateIp"] = firstHost(subnet.str("cidrBlock"), 10)
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return nil },
	})

	register(typeRouteTable, handler{prefix: "rtb", took: quick,
		create: func(a *Account, r *Record) *Error {
			if _, err := a.mustExist(typeVpc, "VpcId", r.str("vpcId")); err != nil {
				return err
			}
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:route-table/%s", a.Region, AccountID, r.ID)
			r.Outputs["ownerId"] = AccountID
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return nil },
		delete: func(a *Account, r *Record) *Error {
			if assoc := a.live(typeRouteAssociation, func(s *Record) bool { return s.str("routeTableId") == r.ID }); len(assoc) > 0 {
				return awsErr("DependencyViolation", "The routeTable '%s' has dependencies and cannot be deleted.", r.ID)
			}
			return nil
		},
	})

	register(typeRoute, handler{prefix: "r", took: quick,
		create: func(a *Account, r *Record) *Error { return a.checkRoute(r) },
		update: func(a *Account, old, r *Record) *Error { return a.checkRoute(r) },
	})

	register(typeRouteAssociation, handler{prefix: "rtbassoc", took: quick,
		create: func(a *Account, r *Record) *Error {
			rt, err := a.mustExist(typeRouteTable, "RouteTableId", r.str("routeTableId"))
			if err != nil {
				return err
			}
			subnet, err := a.mustExist(typeSubnet, "SubnetId", r.str("subnetId"))
			if err != nil {
				return err
			}
			if rt.str("vpcId") != subnet.str("vpcId") {
				return awsErr("InvalidParameterValue", "route table %s and subnet %s belong to different networks", rt.ID, subnet.ID)
			}
			if other := a.live(typeRouteAssociation, func(s *Record) bool { return s.str("subnetId") == subnet.ID }); len(other) > 0 {
				return awsErr("Resource.AlreadyAssociated", "the specified association for route table %s conflicts with an existing association", rt.ID)
			}
			return nil
		},
		update: func(a *Account, old, r *Record) *Error {
			_, err := a.mustExist(typeRouteTable, "RouteTableId", r.str("routeTableId"))
			return err
		},
	})

	register(typeSecurityGroup, handler{prefix: "sg", took: quick,
		create: func(a *Account, r *Record) *Error {
			vpc, err := a.mustExist(typeVpc, "VpcId", r.str("vpcId"))
			if err != nil {
				return err
			}
			name := r.str("name")
			if name == "" {
				name = r.ID
			}
			if dup := a.live(typeSecurityGroup, func(g *Record) bool { return g.str("vpcId") == vpc.ID && g.str("name") == name }); len(dup) > 0 {
				return awsErr("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpc.ID)
			}
			r.Outputs["name"] = name
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", a.Region, AccountID, r.ID)
			r.Outputs["ownerId"] = AccountID
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return nil },
		// "resource sg-… has a dependent object" while another group's rule, an ENI or a launch
		// template names it (bc:ec2 DeleteSecurityGroup; tpa#1671).
		delete: func(a *Account, r *Record) *Error {
			refersTo := func(rec *Record) bool {
				return rec.str("referencedSecurityGroupId") == r.ID && rec.str("securityGroupId") != r.ID
			}
			uses := func(key string) func(*Record) bool {
				return func(rec *Record) bool { return containsString(rec.Inputs[key], r.ID) }
			}
			refersToLegacy := func(rec *Record) bool {
				return rec.str("sourceSecurityGroupId") == r.ID && rec.str("securityGroupId") != r.ID
			}
			blocking := dependents(a.live(typeIngressRule, refersTo), a.live(typeEgressRule, refersTo), a.live(typeLegacyRule, refersToLegacy),
				a.live(typeNetworkInterface, uses("securityGroups")), a.live(typeLaunchTemplate, uses("vpcSecurityGroupIds")))
			if len(blocking) > 0 {
				return awsErr("DependencyViolation", "resource %s has a dependent object (twin: %s)", r.ID, strings.Join(blocking, ", "))
			}
			// Its own rules go with it.
			for _, rule := range append(append(a.live(typeIngressRule, nil), a.live(typeEgressRule, nil)...), a.live(typeLegacyRule, nil)...) {
				if rule.str("securityGroupId") == r.ID {
					delete(a.Resources, rule.ID)
				}
			}
			return nil
		},
	})

	for _, typ := range []string{typeIngressRule, typeEgressRule} {
		register(typ, handler{prefix: "sgr", took: quick,
			create: func(a *Account, r *Record) *Error { return a.checkRule(r) },
			update: func(a *Account, old, r *Record) *Error { return nil },
		})
	}

	register(typeLegacyRule, handler{prefix: "sgrule", took: quick,
		create: func(a *Account, r *Record) *Error {
			group, err := a.mustExist(typeSecurityGroup, "GroupId", r.str("securityGroupId"))
			if err != nil {
				return err
			}
			if src := r.str("sourceSecurityGroupId"); src != "" {
				if _, err := a.get(src, typeSecurityGroup); err != nil {
					return err
				}
			}
			key := legacyRuleKey(r)
			for _, other := range a.live(typeLegacyRule, func(o *Record) bool { return o.str("securityGroupId") == group.ID && o.ID != r.ID }) {
				if legacyRuleKey(other) == key {
					return awsErr("InvalidPermission.Duplicate", "the specified rule %q already exists", key)
				}
			}
			return nil
		},
	})

	register(typeNetworkInterface, handler{prefix: "eni", took: durations{create: 1e9, delete: 2e9},
		create: func(a *Account, r *Record) *Error {
			subnet, err := a.mustExist(typeSubnet, "SubnetId", r.str("subnetId"))
			if err != nil {
				return err
			}
			for _, sg := range stringList(r.Inputs["securityGroups"]) {
				if _, err := a.get(sg, typeSecurityGroup); err != nil {
					return err
				}
			}
			block, _ := prefixOf(subnet.str("cidrBlock"))
			for _, ip := range stringList(r.Inputs["privateIpLists"]) {
				addr, err := netip.ParseAddr(ip)
				if err != nil || !block.Contains(addr) {
					return awsErr("InvalidParameterValue", "Address %s does not fall within the subnet's address range", ip)
				}
			}
			r.Outputs["macAddress"] = macAddress(a.Sequence)
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return nil },
		delete: func(a *Account, r *Record) *Error {
			if r.Outputs["attachedTo"] != nil {
				return awsErr("InvalidParameterValue", "Network interface '%s' is currently in use.", r.ID)
			}
			return nil
		},
	})

	// An ENI attached to an instance the program names (multusAttachment instances). An instance a
	// node group launched gets EC2's checks (AttachNetworkInterface); any other is outside the
	// account, so only the ENI's side and the attachments the account knows of are checked.
	register(typeEniAttachment, handler{prefix: "eni-attach", took: durations{create: 5e9, delete: 5e9},
		create: func(a *Account, r *Record) *Error {
			instance, device := r.str("instanceId"), r.Inputs["deviceIndex"]
			index, _ := device.(float64)
			if _, ok := a.Instances[instance]; ok {
				if _, err := a.AttachNetworkInterface(r.str("networkInterfaceId"), instance, int(index)); err != nil {
					return err
				}
				r.Outputs["attachmentId"] = r.ID
				return nil
			}
			eni, err := a.mustExist(typeNetworkInterface, "NetworkInterfaceId", r.str("networkInterfaceId"))
			if err != nil {
				return err
			}
			if eni.Outputs["attachedTo"] != nil {
				// tpa#27513
				return awsErr("InvalidNetworkInterface.InUse", "Interface: [%s] in use.", eni.ID)
			}
			if slices.ContainsFunc(a.attachedTo(instance), func(e *Record) bool { return deviceIndexOf(e) == int(index) }) {
				// tpa#906
				return awsErr("InvalidParameterValue", "Instance '%s' already has an interface attached at device index '%v'.", instance, device)
			}
			eni.Outputs["attachedTo"] = instance
			eni.Outputs["deviceIndex"] = device
			r.Outputs["attachmentId"] = r.ID
			return nil
		},
		delete: func(a *Account, r *Record) *Error {
			if eni, ok := a.Resources[r.str("networkInterfaceId")]; ok {
				delete(eni.Outputs, "attachedTo")
				delete(eni.Outputs, "deviceIndex")
			}
			return nil
		},
	})

	register(typeLaunchTemplate, handler{prefix: "lt", took: quick,
		create: func(a *Account, r *Record) *Error {
			for _, sg := range stringList(r.Inputs["vpcSecurityGroupIds"]) {
				if _, err := a.get(sg, typeSecurityGroup); err != nil {
					return err
				}
			}
			r.Outputs["latestVersion"] = 1.0
			r.Outputs["defaultVersion"] = 1.0
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:launch-template/%s", a.Region, AccountID, r.ID)
			return nil
		},
		// Every change is a new version (API_CreateLaunchTemplateVersion); updateDefaultVersion
		// moves the default along.
		update: func(a *Account, old, r *Record) *Error {
			latest, _ := old.Outputs["latestVersion"].(float64)
			r.Outputs["latestVersion"] = latest + 1
			r.Outputs["defaultVersion"] = latest + 1
			return nil
		},
	})

	register(typeCidrReservation, handler{prefix: "scr", took: quick,
		create: func(a *Account, r *Record) *Error {
			subnet, err := a.mustExist(typeSubnet, "SubnetId", r.str("subnetId"))
			if err != nil {
				return err
			}
			block, _ := prefixOf(subnet.str("cidrBlock"))
			res, ok := prefixOf(r.str("cidrBlock"))
			if !ok || !contains(block, res) {
				return awsErr("InvalidParameterValue", "Reservation CIDR %s is not within the subnet's CIDR %s", r.str("cidrBlock"), block)
			}
			// "Reservation CIDR … has overlap with existing reserved CIDR block" (tpa#45304).
			for _, other := range a.live(typeCidrReservation, func(o *Record) bool { return o.str("subnetId") == subnet.ID }) {
				if p, ok := prefixOf(other.str("cidrBlock")); ok && p.Overlaps(res) {
					return awsErr("InvalidParameterValue", "Reservation CIDR %s has overlap with existing reserved CIDR block %s", res, p)
				}
			}
			return nil
		},
	})
}

// checkSubnetBlocks: the IPv4 block inside the VPC's and clear of its other subnets; the IPv6 block a
// /64 inside the VPC's /56, also clear.
func (a *Account) checkSubnetBlocks(vpc, r *Record) *Error {
	cidr := r.str("cidrBlock")
	block, ok := prefixOf(cidr)
	vpcBlock, _ := prefixOf(vpc.str("cidrBlock"))
	// "The CIDR '10.10.1.0/24' is invalid." (pulumi/pulumi-awsx#111)
	if !ok || !block.Addr().Is4() || !contains(vpcBlock, block) || block.Bits() > 28 {
		return awsErr("InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr)
	}
	siblings := a.live(typeSubnet, func(s *Record) bool { return s.str("vpcId") == vpc.ID && s.ID != r.ID })
	for _, s := range siblings {
		// "The CIDR '10.0.1.0/24' conflicts with another subnet" (hashicorp/terraform#33470)
		if other, ok := prefixOf(s.str("cidrBlock")); ok && other.Overlaps(block) {
			return awsErr("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", cidr)
		}
	}
	v6 := r.str("ipv6CidrBlock")
	if v6 == "" {
		return nil
	}
	p6, ok := prefixOf(v6)
	vpc6, hasV6 := prefixOf(vpc.str("ipv6CidrBlock"))
	if ok && p6.Bits() != 64 {
		// tpa#28775: an Amazon-provided /56 takes /64 subnets only.
		return awsErr("InvalidParameterValue", "invalid value for parameter ipv6-cidr-block: %s", v6)
	}
	if !ok || !hasV6 || !contains(vpc6, p6) {
		// tpa#31913
		return awsErr("InvalidSubnet.Range", "The IPv6 CIDR '%s' is invalid.", v6)
	}
	for _, s := range siblings {
		if other, ok := prefixOf(s.str("ipv6CidrBlock")); ok && other.Overlaps(p6) {
			return awsErr("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", v6)
		}
	}
	return nil
}

// checkRoute: the table and target exist in the same VPC, one route per destination, and a NAT
// gateway is an IPv6 target only for NAT64's 64:ff9b::/96.
func (a *Account) checkRoute(r *Record) *Error {
	rt, err := a.mustExist(typeRouteTable, "RouteTableId", r.str("routeTableId"))
	if err != nil {
		return err
	}
	dest := r.str("destinationCidrBlock")
	v6 := false
	if dest == "" {
		dest, v6 = r.str("destinationIpv6CidrBlock"), true
	}
	p, ok := prefixOf(dest)
	if !ok || p.Addr().Is6() != v6 {
		return awsErr("InvalidParameterValue", "Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", dest)
	}
	for _, other := range a.live(typeRoute, func(o *Record) bool { return o.str("routeTableId") == rt.ID && o.ID != r.ID }) {
		if other.str("destinationCidrBlock") == dest || other.str("destinationIpv6CidrBlock") == dest {
			// RouteAlreadyExists (tpa ec2/errors.go)
			return awsErr("RouteAlreadyExists", "The route identified by %s already exists.", dest)
		}
	}
	targets := map[string]string{
		"gatewayId": typeInternetGateway, "natGatewayId": typeNatGateway, "egressOnlyGatewayId": typeEgressOnlyIgw,
		"networkInterfaceId": typeNetworkInterface,
	}
	named := 0
	for _, key := range []string{"egressOnlyGatewayId", "gatewayId", "natGatewayId", "networkInterfaceId"} {
		id := r.str(key)
		if id == "" {
			continue
		}
		named++
		target, err := a.get(id, targets[key])
		if err != nil {
			return err
		}
		if vpc := target.str("vpcId"); vpc != "" && vpc != rt.str("vpcId") {
			return awsErr("InvalidParameterValue", "route table %s and network gateway %s belong to different networks", rt.ID, id)
		}
		if key == "natGatewayId" && v6 && p != nat64Prefix {
			// eksctl #4603: only 64:ff9b::/96 may go to a NAT gateway.
			return awsErr("InvalidParameterValue", "A NAT gateway can only be the target of an IPv6 route for the 64:ff9b::/96 prefix, not %s.", dest)
		}
		if key == "egressOnlyGatewayId" && !v6 {
			return awsErr("InvalidParameterValue", "An egress-only internet gateway can only be the target of an IPv6 route, not %s.", dest)
		}
	}
	if named != 1 {
		return awsErr("InvalidParameterCombination", "The request must contain exactly one of gatewayId, natGatewayId, egressOnlyInternetGatewayId, networkInterfaceId")
	}
	return nil
}

// checkRule: the group and any referenced group exist, and the same rule is not there already
// (terraform-aws-modules/terraform-aws-security-group#351 for the wording).
func (a *Account) checkRule(r *Record) *Error {
	group, err := a.mustExist(typeSecurityGroup, "GroupId", r.str("securityGroupId"))
	if err != nil {
		return err
	}
	if ref := r.str("referencedSecurityGroupId"); ref != "" {
		if _, err := a.get(ref, typeSecurityGroup); err != nil {
			return err
		}
	}
	key := ruleKey(r)
	for _, other := range a.live(r.Type, func(o *Record) bool { return o.str("securityGroupId") == group.ID && o.ID != r.ID }) {
		if ruleKey(other) == key {
			return awsErr("InvalidPermission.Duplicate", "the specified rule %q already exists", key)
		}
	}
	r.Outputs["arn"] = fmt.Sprintf("arn:aws:ec2:%s:%s:security-group-rule/%s", a.Region, AccountID, r.ID)
	r.Outputs["securityGroupRuleId"] = r.ID
	return nil
}

func legacyRuleKey(r *Record) string {
	peer := strings.Join(stringList(r.Inputs["cidrBlocks"]), ",") + strings.Join(stringList(r.Inputs["ipv6CidrBlocks"]), ",") + r.str("sourceSecurityGroupId")
	if b, _ := r.Inputs["self"].(bool); b {
		peer += r.str("securityGroupId")
	}
	return fmt.Sprintf("%s peer: %s, %s, from port: %v, to port: %v, ALLOW", r.str("type"), peer, strings.ToUpper(r.str("protocol")), r.Inputs["fromPort"], r.Inputs["toPort"])
}

func ruleKey(r *Record) string {
	peer := r.str("cidrIpv4") + r.str("cidrIpv6") + r.str("referencedSecurityGroupId") + r.str("prefixListId")
	protocol := strings.ToUpper(r.str("ipProtocol"))
	if protocol == "-1" {
		protocol = "ALL"
	}
	return fmt.Sprintf("peer: %s, %s, from port: %v, to port: %v, ALLOW", peer, protocol, r.Inputs["fromPort"], r.Inputs["toPort"])
}

// detachable refuses to detach an internet gateway while its VPC has public addresses mapped.
func detachable(a *Account, igw *Record) *Error {
	vpcID := igw.str("vpcId")
	for _, nat := range a.live(typeNatGateway, nil) {
		subnet, ok := a.Resources[nat.str("subnetId")]
		if ok && subnet.str("vpcId") == vpcID && nat.str("connectivityType") != "private" {
			return awsErr("DependencyViolation", "Network %s has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.", vpcID)
		}
	}
	return nil
}

func firstHost(cidr string, offset int) string {
	p, ok := prefixOf(cidr)
	if !ok {
		return ""
	}
	addr := p.Addr()
	for i := 0; i < offset; i++ {
		addr = addr.Next()
	}
	return addr.String()
}

func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func containsString(v any, s string) bool {
	for _, e := range stringList(v) {
		if e == s {
			return true
		}
	}
	return false
}

// assignVpcIpv6 gives the VPC an Amazon-provided /56 from the region's pool.
func assignVpcIpv6(a *Account, r *Record) {
	r.Outputs["ipv6CidrBlock"] = fmt.Sprintf("2a05:d014:ec6:%02x00::/56", a.Sequence%256)
	r.Outputs["ipv6AssociationId"] = "vpc-cidr-assoc" + r.ID[len("vpc"):]
}
