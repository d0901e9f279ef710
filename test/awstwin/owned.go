package awstwin

import "fmt"

// AWS services make network interfaces in the program's subnets on their own. They keep a subnet
// ("has dependencies and cannot be deleted") and a security group ("has a dependent object") in
// use until their owner's delete has completed, which a destroy that deletes the network first
// would meet.

// eksControlPlaneENIs is how many of EKS's cross-account network interfaces the twin places for a
// cluster: EKS creates up to four in the subnets given to the cluster, with its security groups
// (EKS user guide, network-reqs: "Amazon EKS creates up to four elastic network interfaces").
const eksControlPlaneENIs = 2

// ownedBy lists the records an AWS service made for owner, sorted by id.
func (a *Account) ownedBy(owner string) []*Record {
	var out []*Record
	for _, id := range a.sortedIDs() {
		if r := a.Resources[id]; r.Owner == owner {
			out = append(out, r)
		}
	}
	return out
}

// addOwnedENIs places n network interfaces for owner, one subnet after another.
func (a *Account) addOwnedENIs(owner *Record, description string, subnets, groups []string, n int) {
	if len(subnets) == 0 {
		return
	}
	sgs := make([]any, len(groups))
	for i, g := range groups {
		sgs[i] = g
	}
	for i := range n {
		eni := &Record{Type: typeNetworkInterface, ID: a.nextID("eni"), Owner: owner.ID, Outputs: map[string]any{},
			Inputs: map[string]any{"subnetId": subnets[i%len(subnets)], "securityGroups": sgs,
				"description": fmt.Sprintf("%s (%d)", description, i+1), "requesterManaged": true}}
		a.Resources[eni.ID] = eni
	}
}

// dropOwnedENIs removes owner's network interfaces at once: the instances that held them are gone.
func (a *Account) dropOwnedENIs(owner string) {
	for _, r := range a.ownedBy(owner) {
		delete(a.Resources, r.ID)
	}
}

// nodeENIs places a node group's instances' primary network interfaces: one per desired node, in
// the group's subnets, with its launch template's security groups.
func (a *Account) nodeENIs(group *Record) {
	desired := 0
	if f, ok := object(group.Inputs["scalingConfig"])["desiredSize"].(float64); ok {
		desired = int(f)
	}
	var groups []string
	if lt, ok := a.Resources[strOf(object(group.Inputs["launchTemplate"]), "id")]; ok {
		groups = stringList(lt.Inputs["vpcSecurityGroupIds"])
	}
	a.addOwnedENIs(group, "node of "+group.ID, stringList(group.Inputs["subnetIds"]), groups, desired)
}
