package awstwin

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Requirement is something AWS needs in place, and finished, before it takes a resource, although
// the resource does not name it: a public NAT gateway needs its VPC's internet gateway attached, a
// cluster's add-ons, node groups and access entries need the cluster ACTIVE, an access policy needs
// its entry. A program must order these with a dependency edge; without one, the dependent's create
// fails whenever it comes first (Record.CreatingUntil). Whether it comes first is timing, so the
// e2e suite also checks every requirement against the Pulumi state's dependency graph, which does not
// depend on timing.
type Requirement struct {
	Dependent, Required string // resource ids in the account
	Why                 string
}

// Requirements are the account's requirements between resources a program manages (what AWS made
// on its own is no program's to order), sorted.
func (a *Account) Requirements() []Requirement {
	var out []Requirement
	need := func(dependent *Record, required *Record, why string) {
		if required != nil && dependent.Owner == "" && required.Owner == "" {
			out = append(out, Requirement{Dependent: dependent.ID, Required: required.ID, Why: why})
		}
	}
	for _, id := range a.sortedIDs() {
		r := a.Resources[id]
		switch r.Type {
		case typeNatGateway:
			if r.str("connectivityType") == "private" {
				continue
			}
			subnet := a.Resources[r.str("subnetId")]
			if subnet == nil {
				continue
			}
			for _, igw := range a.live(typeInternetGateway, func(g *Record) bool { return g.str("vpcId") == subnet.str("vpcId") }) {
				need(r, igw, "a public NAT gateway needs its VPC's internet gateway attached (Gateway.NotAttached)")
			}
		case typeAddon, typeNodeGroup, typeAccessEntry:
			cluster, _ := a.cluster(r.str("clusterName"))
			need(r, cluster, fmt.Sprintf("EKS takes a %s only on an ACTIVE cluster", kind(r.Type)))
			if r.Type == typeNodeGroup {
				for _, entry := range a.live(typeAccessEntry, func(e *Record) bool {
					return e.str("clusterName") == r.str("clusterName") && e.str("principalArn") == r.str("nodeRoleArn")
				}) {
					need(r, entry, "a node group's nodes join through their role's access entry; made after the node group, it collides with the one EKS makes (ResourceInUseException)")
				}
			}
		case typeAccessAssociation:
			need(r, a.Resources[r.str("clusterName")+":"+r.str("principalArn")], "an access policy needs its access entry")
		}
	}
	slices.SortFunc(out, func(x, y Requirement) int {
		return cmp.Or(strings.Compare(x.Dependent, y.Dependent), strings.Compare(x.Required, y.Required))
	})
	return out
}
