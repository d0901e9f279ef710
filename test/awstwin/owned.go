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
	a.addOwnedENIsFrom(owner, description, subnets, groups, 0, n)
}

// addOwnedENIsFrom places owner's network interfaces first to n-1, the subnets taking turns from
// the first: more of them continue the spread of those placed before.
func (a *Account) addOwnedENIsFrom(owner *Record, description string, subnets, groups []string, first, n int) {
	if len(subnets) == 0 {
		return
	}
	sgs := make([]any, len(groups))
	for i, g := range groups {
		sgs[i] = g
	}
	for i := first; i < n; i++ {
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
// the group's subnets, with its launch template's security groups. Those its instances hold already
// stay; when the group has shrunk, the last placed go.
func (a *Account) nodeENIs(group *Record) {
	desired := desiredSize(group)
	held := a.ownedBy(group.ID)
	for _, eni := range held[min(desired, len(held)):] {
		delete(a.Resources, eni.ID)
	}
	var groups []string
	if lt, ok := a.Resources[strOf(object(group.Inputs["launchTemplate"]), "id")]; ok {
		groups = stringList(lt.Inputs["vpcSecurityGroupIds"])
	}
	a.addOwnedENIsFrom(group, "node of "+group.ID, stringList(group.Inputs["subnetIds"]), groups, len(held), desired)
}

// desiredSize is a node group's scalingConfig.desiredSize.
func desiredSize(group *Record) int {
	f, _ := object(group.Inputs["scalingConfig"])["desiredSize"].(float64)
	return int(f)
}
