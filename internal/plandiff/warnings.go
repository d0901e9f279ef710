package plandiff

import (
	"fmt"
	"slices"
	"strings"

	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/replacement"
)

// What holds the workloads: losing one drains or deletes pods.
var (
	clusterTypes   = []string{"eks:index:Cluster", "aws:eks/cluster:Cluster"}
	nodeGroupTypes = []string{"eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup"}
)

func warnings(steps []Step) []string {
	var out []string
	for _, st := range steps {
		r := st.Resource
		what := ""
		switch {
		case slices.Contains(clusterTypes, r.Type):
			what = "the EKS cluster"
		case slices.Contains(nodeGroupTypes, r.Type):
			what = "the node group"
		default:
			continue
		}
		subject := fmt.Sprintf("%s `%s` (%s)", what, r.Name, r.Type)
		switch {
		case st.Op == Replace && what == "the EKS cluster":
			out = append(out, fmt.Sprintf("%s is **replaced** (%s): a new control plane, and every Kubernetes object in the cluster is created again in it", subject, reasons(st)))
		case st.Op == Replace:
			out = append(out, fmt.Sprintf("%s is **replaced** (%s): its nodes are drained and their pods move to the new group's nodes", subject, reasons(st)))
		case st.Op == Delete && what == "the EKS cluster":
			out = append(out, subject+" is **deleted**, with everything running in it")
		case st.Op == Delete:
			out = append(out, subject+" is **deleted**: its pods must fit on the remaining nodes")
		case st.MayReplace:
			out = append(out, fmt.Sprintf("%s may be replaced: %s", subject, unknownReasons(st)))
		}
	}
	return append(out, collisions(steps)...)
}

func reasons(st Step) string {
	var out []string
	for _, c := range st.Changes {
		if c.Verdict == replacement.Replaces {
			out = append(out, "`"+c.Path+"`")
		}
	}
	return strings.Join(out, ", ")
}

// unknownReasons lists the changes no rule classifies, grouped by why.
func unknownReasons(st Step) string {
	var reasons []string
	paths := map[string][]string{}
	for _, c := range st.Changes {
		if c.Verdict == replacement.Unknown {
			if _, ok := paths[c.Reason]; !ok {
				reasons = append(reasons, c.Reason)
			}
			paths[c.Reason] = append(paths[c.Reason], "`"+c.Path+"`")
		}
	}
	var out []string
	for _, r := range reasons {
		out = append(out, fmt.Sprintf("%s (%s)", strings.Join(paths[r], ", "), r))
	}
	return strings.Join(out, "; ")
}

// collisions finds a created resource that takes the unique name of a deleted one. Pulumi creates
// before it deletes (a delete runs once nothing needs the resource), so the create meets the old
// resource and AWS or the API server refuses it: ResourceInUseException for an EKS cluster,
// ResourceAlreadyExistsException for a log group, AlreadyExists for a Kubernetes object.
func collisions(steps []Step) []string {
	deleted := map[string]plan.Resource{}
	for _, st := range steps {
		if st.Op == Delete {
			if key := uniqueName(st.Resource); key != "" {
				deleted[key] = st.Resource
			}
		}
	}
	var out []string
	for _, st := range steps {
		if st.Op != Create {
			continue
		}
		key := uniqueName(st.Resource)
		old, ok := deleted[key]
		if key == "" || !ok {
			continue
		}
		out = append(out, fmt.Sprintf("the new `%s` (%s) takes the name `%s` of the `%s` this update deletes: Pulumi deletes only after it creates, so the create will fail while the old one exists. Destroy the stack first, or give the resource its old URN with an alias",
			st.Resource.Name, st.Resource.Type, key[strings.IndexByte(key, ' ')+1:], old.Name))
	}
	return out
}

// uniqueName is a resource's name where its kind allows only one: "<kind> <name>", or "".
func uniqueName(r plan.Resource) string {
	named := func(kind string, parts ...string) string {
		for _, p := range parts {
			if p == "" || p == plan.Computed || p == plan.Secret {
				return ""
			}
		}
		return kind + " " + strings.Join(parts, "/")
	}
	switch r.Type {
	case "eks:index:Cluster", "aws:eks/cluster:Cluster":
		return named("eks-cluster", r.String("name"))
	case "aws:cloudwatch/logGroup:LogGroup", "aws:iam/role:Role":
		return named(r.Type, r.String("name"))
	case "aws:ec2/securityGroup:SecurityGroup":
		return named(r.Type, r.String("vpcId"), r.String("name"))
	}
	if strings.HasPrefix(r.Type, "kubernetes:") && r.Custom && named("", r.String("metadata.name")) != "" {
		if ns := r.String("metadata.namespace"); ns != "" {
			return r.Type + " " + ns + "/" + r.String("metadata.name")
		}
		return r.Type + " " + r.String("metadata.name")
	}
	return ""
}
