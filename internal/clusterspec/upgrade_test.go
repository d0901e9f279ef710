package clusterspec

import (
	"strings"
	"testing"
)

func TestCheckVersionUpdate(t *testing.T) {
	groups := func(versions ...string) []RunningNodeGroup {
		var gs []RunningNodeGroup
		for i, v := range versions {
			gs = append(gs, RunningNodeGroup{Name: "ng-" + string(rune('a'+i)), Version: v})
		}
		return gs
	}
	for _, tc := range []struct {
		name    string
		running RunningCluster
		wanted  string
		// refused lists what the error must say; none: the update goes through.
		refused []string
	}{
		{"same version", RunningCluster{Name: "c", Version: "1.35", NodeGroups: groups("1.35")}, "1.35", nil},
		{"same version, a node group still behind: this up brings it along", RunningCluster{Name: "c", Version: "1.35", NodeGroups: groups("1.34")}, "1.35", nil},
		{"one minor up", RunningCluster{Name: "c", Version: "1.35", NodeGroups: groups("1.35", "1.35")}, "1.36", nil},
		{"one minor up, no node groups", RunningCluster{Name: "c", Version: "1.32", NodeGroups: nil}, "1.33", nil},
		{"two minors up", RunningCluster{Name: "c", Version: "1.33", NodeGroups: groups("1.33")}, "1.35",
			[]string{"runs Kubernetes 1.33", "one minor version at a time", "from 1.33 to 1.35", "set it to 1.34, then 1.35"}},
		{"three minors up", RunningCluster{Name: "c", Version: "1.32", NodeGroups: nil}, "1.35", []string{"set it to 1.33, then 1.34, then 1.35"}},
		{"down", RunningCluster{Name: "c", Version: "1.36", NodeGroups: groups("1.36")}, "1.35",
			[]string{"moves a cluster only up", "from 1.36 to 1.35", "set it to 1.36", "version rollback", "then set it to 1.35"}},
		{"a node group behind the control plane", RunningCluster{Name: "c", Version: "1.35", NodeGroups: groups("1.35", "1.34")}, "1.36",
			[]string{"node groups ng-b (1.34) do not", "set it to 1.35 and run pulumi up", "then set 1.36"}},
		{"a node group ahead of the control plane", RunningCluster{Name: "c", Version: "1.34", NodeGroups: groups("1.35")}, "1.35", []string{"ng-a (1.35)"}},
		{"minor 10 after minor 9 (numbers, not strings)", RunningCluster{Name: "c", Version: "1.9", NodeGroups: nil}, "1.10", nil},
		{"not a version", RunningCluster{Name: "c", Version: "1.35", NodeGroups: nil}, "1.35.2", []string{`"1.35.2" is not a Kubernetes version`}},
		{"EKS answers nonsense", RunningCluster{Name: "c", Version: "", NodeGroups: nil}, "1.35", []string{`EKS reports version "" for the cluster c`}},
	} {
		err := CheckVersionUpdate(tc.running, tc.wanted)
		if len(tc.refused) == 0 {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: allowed, want a refusal saying %q", tc.name, tc.refused)
			continue
		}
		for _, want := range tc.refused {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v\nwant it to say %q", tc.name, err, want)
			}
		}
	}
}

func TestNetworkConfigStaysAsTheClusterWasMade(t *testing.T) {
	running := RunningCluster{Name: "prod", Version: "1.35", IpFamily: Ipv4, ServiceIpv4Cidr: "172.20.0.0/16"}
	for _, tc := range []struct {
		name   string
		err    error
		refuse string
	}{
		{"the same family", CheckIpFamilyUpdate(running, Ipv4), ""},
		{"another family", CheckIpFamilyUpdate(running, Ipv6), "prod runs ipv4"},
		{"a cluster EKS describes without a family", CheckIpFamilyUpdate(RunningCluster{Name: "prod"}, Ipv6), ""},
		{"the same service block", CheckServiceCidrUpdate(running, "172.20.0.0/16"), ""},
		{"EKS's choice of block", CheckServiceCidrUpdate(running, ""), ""},
		{"another service block", CheckServiceCidrUpdate(running, "10.100.0.0/16"), "set it back to 172.20.0.0/16"},
		{"the same name", CheckNameUpdate(running, "prod", "eks-prod"), ""},
		{"another name", CheckNameUpdate(running, "prod-2", "eks-prod"), `cannot rename a cluster: prod-2 would replace it and everything on it; set it back to "prod", or pulumi destroy`},
		{"a rename away from the default name", CheckNameUpdate(RunningCluster{Name: "eks-prod"}, "prod", "eks-prod"), `set it back to "eks-prod" or leave it empty`},
	} {
		switch {
		case tc.refuse == "" && tc.err != nil:
			t.Errorf("%s: refused: %v", tc.name, tc.err)
		case tc.refuse != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.refuse)):
			t.Errorf("%s: got %v, want a refusal with %q", tc.name, tc.err, tc.refuse)
		}
	}
}
