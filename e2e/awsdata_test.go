//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"testing"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/stacks"
	"eks-advanced-networking/test/awstwin"
	"eks-advanced-networking/test/awstwin/awsdata"
)

// assertFollowsTheAccountsData: where the twin's AWS data and the offline plan's mocks disagree
// (add-on versions, AMI ids, AMI release versions), the deployed stack holds the twin's. The program
// reads them through data sources at deploy time, so on AWS it follows AWS's answer; the mocks only
// stand in for an offline run. Each disagreement is listed, and there must be some, or this shows
// nothing.
func assertFollowsTheAccountsData(t *testing.T, stackName string, cfg map[string]string, a *awstwin.Account) {
	t.Helper()
	offline, err := plan.Run(plan.Options{Project: config.Project, Stack: stackName, Config: cfg}, stacks.Program(cfg))
	if err != nil {
		t.Fatal(err)
	}
	// planned is what the offline plan gives key on resources of typ whose inputs hold match.
	planned := func(typ, key string, match map[string]any) []string {
		var out []string
		for _, r := range offline.Resources {
			matches := true
			for k, v := range match {
				matches = matches && r.Inputs[k] == v
			}
			if v, ok := r.Inputs[key].(string); ok && r.Type == typ && v != "" && matches {
				out = append(out, v)
			}
		}
		return out
	}
	var disagreements []string
	// follows records what the account holds for what, which AWS's data must have given (fromAWS).
	follows := func(what, deployed string, fromAWS bool, mocked []string) {
		if !fromAWS {
			t.Errorf("%s: the account holds %q, which AWS's data did not give", what, deployed)
		}
		if !slices.Contains(mocked, deployed) {
			disagreements = append(disagreements, fmt.Sprintf("%s %s (the offline plan: %v)", what, deployed, mocked))
		}
	}
	for _, r := range a.Resources {
		switch r.Type {
		case "aws:eks/addon:Addon":
			cluster := a.Resources[fmt.Sprint(r.Inputs["clusterName"])]
			if cluster == nil {
				t.Fatalf("add-on %s of no cluster", r.ID)
			}
			offered, _ := awsdata.AddonVersions(fmt.Sprint(r.Inputs["addonName"]), fmt.Sprint(cluster.Inputs["version"]))
			if len(offered) == 0 {
				t.Fatalf("add-on %s: EKS offers none", r.ID)
			}
			version := fmt.Sprint(r.Inputs["addonVersion"])
			follows("add-on "+fmt.Sprint(r.Inputs["addonName"]), version, version == offered[0], planned(r.Type, "addonVersion", map[string]any{"addonName": r.Inputs["addonName"]}))
		case "aws:ec2/launchTemplate:LaunchTemplate":
			if image, _ := r.Inputs["imageId"].(string); image != "" {
				_, published := awsdata.ImageArchitecture(image)
				follows("launch template image", image, published, planned(r.Type, "imageId", nil))
			}
		case "aws:eks/nodeGroup:NodeGroup":
			if release, _ := r.Inputs["releaseVersion"].(string); release != "" {
				want, _ := awsdata.AmiParameter(fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2023/x86_64/standard/recommended/release_version", r.Inputs["version"]), a.AmiRelease)
				follows("node group release", release, release == want, planned(r.Type, "releaseVersion", nil))
			}
		}
	}
	slices.Sort(disagreements)
	t.Logf("the twin's AWS data and the offline plan's mocks disagree on, and the account follows AWS's data for: %v", disagreements)
	if len(disagreements) == 0 {
		t.Error("the twin's data and the offline plan's mocks agree on everything, so this check shows nothing")
	}
}
