package clusterspec

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"eks-advanced-networking/internal/settings"
)

var settingsDay = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// defaultSettings are the cluster's settings with every key at its default.
func defaultSettings(t *testing.T) Settings {
	t.Helper()
	var s Settings
	for _, k := range Keys {
		raw, ok := k.Default.(string)
		if !ok {
			raw = fmt.Sprint(k.Default)
			if list, isList := k.Default.([]any); isList {
				quoted := make([]string, len(list))
				for i, v := range list {
					quoted[i] = fmt.Sprintf("%q", v)
				}
				raw = "[" + strings.Join(quoted, ",") + "]"
			}
		}
		if err := k.Decode(&s, raw); err != nil {
			t.Fatalf("the default of %s does not decode: %v", k.Name, err)
		}
	}
	return s
}

// Each of the cluster's rules refuses its case on the cluster's family, naming the key and the value,
// and lets the nearest valid case through.
func TestClusterSettingsValidate(t *testing.T) {
	adminArn := "arn:aws:iam::123456789012:role/platform-admins"
	for _, tc := range []struct {
		name   string
		family IpFamily
		ipvlan bool
		change func(*Settings)
		// want is "key = value: reason part", or "" for valid settings.
		want string
	}{
		{"the defaults", Ipv6, false, func(*Settings) {}, ""},
		{"the defaults on IPv4", Ipv4, false, func(*Settings) {}, ""},
		{"a name with a dot", Ipv6, false, func(s *Settings) { s.Name = "prod.eks" }, `clusterName = "prod.eks": EKS names are`},
		{"a name of 100 characters", Ipv6, false, func(s *Settings) { s.Name = strings.Repeat("a", 100) }, ""},
		{"a name of 101 characters", Ipv6, false, func(s *Settings) { s.Name = strings.Repeat("a", 101) }, `clusterName = "aaaa`},
		{"a version YAML read as a number", Ipv6, false, func(s *Settings) { s.KubernetesVersion = "1.3" }, `kubernetesVersion = "1.3": EKS does not create clusters of this version; use one of 1.32 (extended support only, paid), 1.33 (extended support only, paid), 1.34, 1.35, 1.36 (YAML reads 1.30 as the number 1.3: quote the version)`},
		{"a version EKS no longer creates", Ipv6, false, func(s *Settings) { s.KubernetesVersion = "1.31" }, `kubernetesVersion = "1.31": EKS does not create clusters of this version`},
		{"a retention CloudWatch lacks", Ipv6, false, func(s *Settings) { s.LogRetentionDays = 2 }, `clusterLogRetentionDays = "2"`},
		{"retention for ever", Ipv6, false, func(s *Settings) { s.LogRetentionDays = 0 }, ""},
		{"an unknown log type", Ipv6, false, func(s *Settings) { s.LogTypes = []string{"api", "kubelet"} }, `clusterLogTypes = "kubelet": unknown log type; use any of api, audit, authenticator, controllerManager, scheduler`},
		{"an IPv6 block on an IPv4 cluster", Ipv4, false, func(s *Settings) { s.EndpointPublicAccessCidrs = []string{"2001:db8:7::/48"} }, `endpointPublicAccessCidrs = "2001:db8:7::/48"`},
		{"an IPv6 block on an IPv6 cluster", Ipv6, false, func(s *Settings) { s.EndpointPublicAccessCidrs = []string{"2001:db8:7::/48"} }, ""},
		{"more blocks than EKS takes", Ipv6, false, func(s *Settings) {
			for i := range MaxPublicAccessCidrs + 1 {
				s.EndpointPublicAccessCidrs = append(s.EndpointPublicAccessCidrs, fmt.Sprintf("198.51.%d.0/24", i))
			}
		}, `endpointPublicAccessCidrs = "41 blocks": EKS takes at most 40`},
		{"as many blocks as EKS takes", Ipv6, false, func(s *Settings) {
			for i := range MaxPublicAccessCidrs {
				s.EndpointPublicAccessCidrs = append(s.EndpointPublicAccessCidrs, fmt.Sprintf("198.51.%d.0/24", i))
			}
		}, ""},
		{"a private block with host bits", Ipv6, false, func(s *Settings) { s.EndpointPrivateAccessCidrs = []string{"10.20.0.1/16"} }, `endpointPrivateAccessCidrs = "10.20.0.1/16"`},
		{"an admin that is not an ARN", Ipv6, false, func(s *Settings) { s.AdminArns = []string{"platform-admins"} }, `clusterAdminArns = "platform-admins"`},
		{"an admin listed twice", Ipv6, false, func(s *Settings) { s.AdminArns = []string{adminArn, adminArn} }, `clusterAdminArns = "` + adminArn + `": listed twice`},
		{"a service block on an IPv6 cluster", Ipv6, false, func(s *Settings) { s.ServiceIpv4Cidr = "172.20.0.0/16" }, `serviceIpv4Cidr = "172.20.0.0/16": an IPv6 cluster takes its service block from EKS`},
		{"a service block on an IPv4 cluster", Ipv4, false, func(s *Settings) { s.ServiceIpv4Cidr = "172.20.0.0/16" }, ""},
		{"a service block of /25", Ipv4, false, func(s *Settings) { s.ServiceIpv4Cidr = "172.20.0.0/25" }, `serviceIpv4Cidr = "172.20.0.0/25": EKS takes an IPv4 block from /12 to /24`},
		{"an instance type EC2 lacks", Ipv6, false, func(s *Settings) { s.NodeInstanceType = "t3.mediun" }, `nodeInstanceType = "t3.mediun"`},
		{"a maximum below the minimum", Ipv6, false, func(s *Settings) { s.Nodes.MaxSize = 1 }, `nodeMaxSize = "1": must be at least nodeMinSize (2)`},
		{"no nodes wanted", Ipv6, false, func(s *Settings) { s.Nodes = NodeGroupSize{MinSize: 0, DesiredSize: 0, MaxSize: 2} }, `nodeDesiredSize = "0": the cluster's node group is where CoreDNS runs`},
		{"a group that may scale to zero", Ipv6, false, func(s *Settings) { s.Nodes = NodeGroupSize{MinSize: 0, DesiredSize: 1, MaxSize: 2} }, ""},
		{"a vpc-cni without ENABLE_V4_EGRESS", Ipv6, false, func(s *Settings) { s.VpcCniVersion = "v1.15.0-eksbuild.1" }, `vpcCniVersion = "v1.15.0-eksbuild.1"`},
		{"a vpc-cni without ipvlan, for Multus", Ipv4, true, func(s *Settings) { s.VpcCniVersion = "v1.20.2-eksbuild.1" }, `vpcCniVersion = "v1.20.2-eksbuild.1": vpc-cni v1.20.2 ships no ipvlan binary`},
		{"a vpc-cni without ipvlan, without Multus", Ipv4, false, func(s *Settings) { s.VpcCniVersion = "v1.20.2-eksbuild.1" }, ""},
		{"a coredns that is not a version", Ipv6, false, func(s *Settings) { s.CorednsVersion = "1.11" }, `corednsVersion = "1.11"`},
		{"nine spare prefixes", Ipv6, false, func(s *Settings) { s.WarmPrefixTarget = 9 }, `warmPrefixTarget = "9": use 1 to 8`},
		{"eight spare prefixes", Ipv6, false, func(s *Settings) { s.WarmPrefixTarget = 8 }, ""},
		{"prefix delegation on an IPv6 cluster", Ipv6, false, func(s *Settings) { s.PrefixDelegation = true }, `prefixDelegation = "true": an IPv6 cluster always hands out prefixes`},
		{"spare prefixes without prefix mode", Ipv4, false, func(s *Settings) { s.WarmPrefixTarget = 2 }, `warmPrefixTarget = "2": it sizes the spare /28 prefixes of prefix mode`},
		{"spare prefixes with prefix mode", Ipv4, false, func(s *Settings) { s.WarmPrefixTarget, s.PrefixDelegation = 2, true }, ""},
		{"prefix mode on a Xen instance", Ipv4, false, func(s *Settings) { s.PrefixDelegation, s.NodeInstanceType = true, "t2.medium" }, `prefixDelegation = "true": t2.medium is not a Nitro instance type`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSettings(t)
			tc.change(&s)
			err := settings.Errors("", s.Validate(ValidationContext{Today: settingsDay, Family: tc.family, Ipvlan: tc.ipvlan}))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v\nwant an error with %s", err, tc.want)
			}
		})
	}
}

// EKS's answer for latest is held to the pin's rules; a pinned vpc-cni is checked by Validate instead.
func TestCheckResolvedVpcCni(t *testing.T) {
	s := defaultSettings(t)
	ipv6 := ValidationContext{Family: Ipv6}
	if errs := s.CheckResolvedVpcCni("v1.23.2-eksbuild.1", ipv6); len(errs) != 0 {
		t.Errorf("a recent vpc-cni refused: %v", errs)
	}
	errs := s.CheckResolvedVpcCni("v1.15.0-eksbuild.1", ipv6)
	if len(errs) != 1 || errs[0].Field != KeyVpcCniVersion || !strings.Contains(errs[0].Detail, "EKS offers v1.15.0-eksbuild.1 as the latest vpc-cni for Kubernetes 1.35") {
		t.Errorf("an old answer: %v", errs)
	}
	if errs := s.CheckResolvedVpcCni("v1.20.3-eksbuild.1", ValidationContext{Family: Ipv4, Ipvlan: true}); len(errs) != 1 {
		t.Errorf("an answer without ipvlan for Multus: %v", errs)
	}
	s.VpcCniVersion = "v1.15.0-eksbuild.1"
	if errs := s.CheckResolvedVpcCni("v1.15.0-eksbuild.1", ipv6); len(errs) != 0 {
		t.Errorf("a pin is not EKS's answer to check: %v", errs)
	}
}

func TestClusterSettingsWarnings(t *testing.T) {
	s := defaultSettings(t)
	s.KubernetesVersion = "1.33"
	s.EndpointPublicAccessCidrs = []string{"198.51.100.7/32", "0.0.0.0/0", "::/0"}
	got := s.Warnings(ValidationContext{Today: settingsDay, Family: Ipv6})
	want := []string{
		"kubernetesVersion: Kubernetes 1.33 is in extended support only, which AWS charges extra for, until 2027-07-29; upgrade to a version in standard support",
		"endpointPublicAccessCidrs contains 0.0.0.0/0: the cluster's API endpoint is open to the whole internet",
		"endpointPublicAccessCidrs contains ::/0: the cluster's API endpoint is open to the whole internet",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q\nwant %q", got, want)
	}
	if got := defaultSettings(t).Warnings(ValidationContext{Today: settingsDay, Family: Ipv6}); len(got) != 0 {
		t.Errorf("the defaults warn: %q", got)
	}
}

func TestEksName(t *testing.T) {
	for _, tc := range []struct{ name, stack, want string }{
		{"", "ipv6.prod", "eks-ipv6-prod"},
		// Letters, digits, - and _ stay, to the ends of each range; the characters just outside go.
		{"", "az-AZ_09", "eks-az-AZ_09"},
		{"", "`{@[/:", "eks-------"},
		{"", strings.Repeat("s", 120), "eks-" + strings.Repeat("s", 96)},
		{"chapter", "ipv6", "chapter"},
	} {
		if got := (Settings{Name: tc.name}).EksName(tc.stack); got != tc.want {
			t.Errorf("name %q, stack %q: %q, want %q", tc.name, tc.stack, got, tc.want)
		}
	}
}
