package verify

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/workload"
)

var (
	ipv4Default = Target{Host: "ipv4.google.com", Port: 80}
	ipv6Default = Target{Host: "ipv6.google.com", Port: 80}
)

func names(checks []Check) []string {
	var out []string
	for _, c := range checks {
		out = append(out, c.Name)
	}
	return out
}

func env(c Check, name string) (string, bool) {
	for _, e := range c.Job.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func byName(t *testing.T, checks []Check, name string) Check {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %s among %v", name, names(checks))
	return Check{}
}

// ipv4Egress decides which IPv4 path is checked, and none turns the check around.
func TestIpv6ChecksFollowIpv4Egress(t *testing.T) {
	common := []string{"node-internal-ip-ipv6", "pod-address-in-node-prefix", "ipv6-target"}
	for _, tc := range []struct {
		name            string
		nodeSnat, nat64 bool
		ipv4            []string
	}{
		{"node-snat", true, false, []string{"ipv4-via-node-snat"}},
		{"nat64", false, true, []string{"ipv4-via-nat64"}},
		{"both", true, true, []string{"ipv4-via-node-snat", "ipv4-via-nat64"}},
		{"none", false, false, []string{"ipv4-unreachable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checks, err := Checks(Input{Image: testImage, Ipv6: &Ipv6Input{NodeSnat: tc.nodeSnat, Nat64: tc.nat64, Ipv4Target: ipv4Default, Ipv6Target: ipv6Default}})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := names(checks), append(slices.Clone(common), tc.ipv4...); !reflect.DeepEqual(got, want) {
				t.Errorf("checks %v, want %v", got, want)
			}
			for _, name := range tc.ipv4 {
				c := byName(t, checks, name)
				if host, _ := env(c, "TARGET_HOST"); host != "ipv4.google.com" {
					t.Errorf("%s targets %q, want verifyIpv4Target's host", name, host)
				}
			}
			if host, _ := env(byName(t, checks, "ipv6-target"), "TARGET_HOST"); host != "ipv6.google.com" {
				t.Errorf("ipv6-target targets %q", host)
			}
		})
	}
}

func TestPodPrefixCheckRunsBesideCoreDnsInTheHostNetwork(t *testing.T) {
	checks, _ := Checks(Input{Image: testImage, Ipv6: &Ipv6Input{NodeSnat: true, Ipv4Target: ipv4Default, Ipv6Target: ipv6Default}})
	spec := byName(t, checks, "pod-address-in-node-prefix").Job.Spec.Template.Spec
	if !spec.HostNetwork || spec.Affinity == nil || spec.Affinity.PodAffinity == nil {
		t.Fatalf("spec %+v: want host network and affinity to CoreDNS", spec)
	}
	term := spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0]
	if term.LabelSelector.MatchLabels["k8s-app"] != "kube-dns" || !slices.Equal(term.Namespaces, []string{"kube-system"}) || term.TopologyKey != "kubernetes.io/hostname" {
		t.Errorf("affinity %+v", term)
	}
	for _, name := range []string{"ipv6-target", "ipv4-via-node-snat", "node-internal-ip-ipv6"} {
		if byName(t, checks, name).Job.Spec.Template.Spec.HostNetwork {
			t.Errorf("%s runs in the host network; it must see a pod's network", name)
		}
	}
}

// denyEgressPolicy and allowDnsEgress flip what the policy checks expect, and only what they
// should: deploy1 to deploy2 and the control stay allowed.
func TestPolicyChecksFollowTheSwitches(t *testing.T) {
	for _, tc := range []struct {
		name                             string
		in                               PolicyInput
		deploy2To1, dns, control, toDst2 string
	}{
		{"no policy", PolicyInput{Calico: true, Enforced: true}, "allowed", "allowed", "allowed", "allowed"},
		{"deny egress", PolicyInput{Calico: true, Enforced: true, DenyEgress: true}, "denied", "denied", "allowed", "allowed"},
		{"deny egress, DNS allowed", PolicyInput{Calico: true, Enforced: true, DenyEgress: true, AllowDns: true}, "denied", "allowed", "allowed", "allowed"},
		{"VPC CNI engine", PolicyInput{Enforced: true, DenyEgress: true}, "denied", "denied", "allowed", "allowed"},
		{"no engine: the policy is not enforced", PolicyInput{DenyEgress: true}, "allowed", "allowed", "allowed", "allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checks, err := Checks(Input{Image: testImage, KubernetesVersion: "1.35", Policy: &tc.in})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"deploy2-to-deploy1-tcp": tc.deploy2To1,
				"deploy2-dns":            tc.dns, "deploy1-serves": tc.control, "deploy1-to-deploy2-tcp": tc.toDst2,
			}
			for name, expect := range want {
				if got, _ := env(byName(t, checks, name), "EXPECT"); got != expect {
					t.Errorf("%s expects %s, want %s", name, got, expect)
				}
			}
			if has := slices.Contains(names(checks), "calico-available"); has != tc.in.Calico {
				t.Errorf("calico-available present %v, want %v", has, tc.in.Calico)
			}
		})
	}
}

// The chapter's policy selects every pod of deploy2, the check's included: the check runs there,
// labelled as the demo's pods, and targets the other namespace's pod.
func TestPolicyChecksRunWhereThePolicyApplies(t *testing.T) {
	checks, _ := Checks(Input{Image: testImage, KubernetesVersion: "1.35", Policy: &PolicyInput{Enforced: true, DenyEgress: true}})
	for _, tc := range []struct{ name, namespace, target string }{
		{"deploy2-to-deploy1-tcp", "deploy2", "deploy1"},
		{"deploy1-to-deploy2-tcp", "deploy1", "deploy2"},
		{"deploy1-serves", Namespace, "deploy1"},
		{"deploy2-dns", "deploy2", ""},
	} {
		c := byName(t, checks, tc.name)
		if c.Job.Namespace != tc.namespace || c.TargetPod != tc.target {
			t.Errorf("%s runs in %s against %q, want %s against %q", tc.name, c.Job.Namespace, c.TargetPod, tc.namespace, tc.target)
		}
		if tc.namespace != Namespace && c.Job.Spec.Template.Labels["app"] != tc.namespace {
			t.Errorf("%s's pod is labelled %v, want app=%s", tc.name, c.Job.Spec.Template.Labels, tc.namespace)
		}
		if _, ok := env(c, TargetPodEnv); tc.target != "" && !ok {
			t.Errorf("%s has no %s to fill in", tc.name, TargetPodEnv)
		}
	}
	for ns, pod := range TargetPods(testImage) {
		if pod.Namespace != ns || pod.Labels["app"] != ns || !strings.Contains(strings.Join(pod.Spec.Containers[0].Command, " "), "httpd -f -p 8080") {
			t.Errorf("target pod %s: %+v", ns, pod)
		}
	}
}

func TestCalicoCheckWaitsForTheOperatorsStatus(t *testing.T) {
	checks, err := Checks(Input{Image: testImage, KubernetesVersion: "1.35", Policy: &PolicyInput{Calico: true, Enforced: true}})
	if err != nil {
		t.Fatal(err)
	}
	spec := byName(t, checks, "calico-available").Job.Spec.Template.Spec
	if len(spec.InitContainers) != 1 || len(spec.Containers) != 1 {
		t.Fatalf("containers %+v %+v", spec.InitContainers, spec.Containers)
	}
	for i, c := range []corev1.Container{spec.InitContainers[0], spec.Containers[0]} {
		if c.Image != "registry.k8s.io/kubectl:v1.35.0" || !slices.Equal(c.Command, CalicoStatusCommands[i]) {
			t.Errorf("container %d: %s %v", i, c.Image, c.Command)
		}
	}
	if spec.ServiceAccountName != calicoReader {
		t.Errorf("service account %q", spec.ServiceAccountName)
	}
	if _, err := Checks(Input{Image: testImage, Policy: &PolicyInput{Calico: true}}); err == nil {
		t.Error("a Calico check without a Kubernetes version was accepted")
	}
	// The reader may read tigerastatuses and nothing else.
	var roles int
	for _, obj := range Objects(checks) {
		if role, ok := obj.(interface{ GetName() string }); ok && strings.HasSuffix(role.GetName(), calicoReader) {
			roles++
		}
	}
	if roles != 3 {
		t.Errorf("%d service account, role and binding objects for the reader, want 3", roles)
	}
}

func TestMultusChecksUseThePlansFirstAddress(t *testing.T) {
	n := chapterNetwork(t)
	checks, _ := Checks(Input{Image: testImage, Multus: &MultusInput{Network: n}})
	if got := names(checks); !slices.Equal(got, []string{"multus-net1", "multus-address-on-eni"}) {
		t.Fatalf("checks %v", got)
	}
	net1 := byName(t, checks, "multus-net1")
	if net1.Job.Spec.Template.Annotations["k8s.v1.cni.cncf.io/networks"] != "ipvlan-private-a" || net1.Job.Spec.Template.Spec.HostNetwork {
		t.Errorf("multus-net1 is not a pod on the network: %+v", net1.Job.Spec.Template)
	}
	eni := byName(t, checks, "multus-address-on-eni")
	if !eni.Job.Spec.Template.Spec.HostNetwork {
		t.Error("multus-address-on-eni must run in the host network to read the instance metadata")
	}
	for _, c := range checks {
		if first, _ := env(c, "FIRST_ADDRESS"); first != "192.168.96.20" {
			t.Errorf("%s checks %s, want the plan's first address 192.168.96.20", c.Name, first)
		}
		sel := c.Job.Spec.Template.Spec.NodeSelector
		if sel["topology.kubernetes.io/zone"] != "eu-central-1a" || sel["eks-advanced-networking/multus"] != "true" {
			t.Errorf("%s selects %v, want the zone's Multus node", c.Name, sel)
		}
	}
}

// Every Job fails fast and loudly, is replaced after a failure, never blocks destroy, and runs a
// check the script knows.
func TestEveryCheckIsABoundedJobTheScriptKnows(t *testing.T) {
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z0-9-]+)\) check_`).FindAllStringSubmatch(Script, -1) {
		known[m[1]] = true
	}
	checks, err := Checks(Input{Image: testImage,
		KubernetesVersion: "1.35",
		Ipv6:              &Ipv6Input{NodeSnat: true, Nat64: true, Ipv4Target: ipv4Default, Ipv6Target: ipv6Default},
		Policy:            &PolicyInput{Calico: true, Enforced: true, DenyEgress: true},
		Multus:            &MultusInput{Network: chapterNetwork(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	none, _ := Checks(Input{Image: testImage, Ipv6: &Ipv6Input{Ipv4Target: ipv4Default, Ipv6Target: ipv6Default}})
	checks = append(checks, none...)
	seen := map[string]bool{}
	for _, c := range checks {
		job := c.Job
		if job.Name != "verify-"+c.Name || c.Shows == "" {
			t.Errorf("%s: job %s, shows %q", c.Name, job.Name, c.Shows)
		}
		if *job.Spec.BackoffLimit != 0 || *job.Spec.ActiveDeadlineSeconds != DeadlineSeconds || job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: backoff %d deadline %d restart %s", c.Name, *job.Spec.BackoffLimit, *job.Spec.ActiveDeadlineSeconds, job.Spec.Template.Spec.RestartPolicy)
		}
		if job.Annotations["pulumi.com/replaceUnready"] != "true" || job.Annotations["pulumi.com/deletionPropagationPolicy"] != "background" {
			t.Errorf("%s: annotations %v", c.Name, job.Annotations)
		}
		for _, container := range append(job.Spec.Template.Spec.InitContainers, job.Spec.Template.Spec.Containers...) {
			if container.TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError {
				t.Errorf("%s: a failure would not show the check's output", c.Name)
			}
			if container.Image == testImage {
				if cmd := container.Command; len(cmd) != 5 || cmd[2] != Script || !known[cmd[4]] {
					t.Errorf("%s runs %q, which checks.sh does not know (known: %v)", c.Name, cmd[len(cmd)-1], known)
				}
			}
		}
		seen[c.Name] = true
	}
	if len(seen) != 13 {
		t.Errorf("%d distinct checks: %v", len(seen), seen)
	}
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in       string
		ipv4Only bool
		want     Target
		err      string
	}{
		{"ipv4.google.com:80", true, Target{"ipv4.google.com", 80}, ""},
		{"proxy.corp.example:3128", true, Target{"proxy.corp.example", 3128}, ""},
		{"[2001:db8::80]:8080", false, Target{"2001:db8::80", 8080}, ""},
		{"198.51.100.7:80", true, Target{}, "name an IPv4-only host"},
		{"198.51.100.7:80", false, Target{}, "an IPv4 address"},
		{"ipv4.google.com", true, Target{}, "not host:port"},
		{"ipv4.google.com:0", true, Target{}, "1 to 65535"},
		{"ipv4.google.com:http", true, Target{}, "1 to 65535"},
		{"bad_name.example:80", false, Target{}, "not a DNS name"},
		{"-lead.example:80", false, Target{}, "not a DNS name"},
		{"a..b:80", false, Target{}, "not a DNS name"},
	} {
		got, err := ParseTarget(tc.in, tc.ipv4Only)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseTarget(%q) error %v, want one saying %q", tc.in, err, tc.err)
		}
	}
}

// testImage is a private mirror, as a user would set busyboxImage: it must reach every busybox container.
const testImage = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/mirror/busybox:1.37"

// Every pod the checks define is admitted by the real PodSecurity checks at its namespace's level:
// `restricted`, except the host-network checks, which live in the one namespace whose exception says
// why. Every busybox container runs the configured image.
func TestChecksMeetTheirNamespacesPodSecurityLevel(t *testing.T) {
	n := chapterNetwork(t)
	checks, err := Checks(Input{Image: testImage, KubernetesVersion: "1.35",
		Ipv6:   &Ipv6Input{NodeSnat: true, Nat64: true, Ipv4Target: Target{"ipv4.example", 80}, Ipv6Target: Target{"ipv6.example", 80}},
		Policy: &PolicyInput{Calico: true, Enforced: true, DenyEgress: true},
		Multus: &MultusInput{Network: n},
	})
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]workload.Level{
		// Namespaces this package does not create: the demo's (restricted) and the NADs' (default).
		"deploy1": workload.Restricted, "deploy2": workload.Restricted, multus.NadNamespace: workload.Restricted,
	}
	for _, obj := range Objects(checks) {
		if ns, ok := obj.(*corev1.Namespace); ok {
			levels[ns.Name] = workload.Level(ns.Labels[workload.EnforceLabel])
			if ns.Labels[workload.AuditLabel] != ns.Labels[workload.EnforceLabel] || ns.Labels[workload.WarnLabel] != ns.Labels[workload.EnforceLabel] {
				t.Errorf("namespace %s: labels %v, want enforce, audit and warn at one level", ns.Name, ns.Labels)
			}
		}
	}
	if levels[Namespace] != workload.Restricted || levels[HostNetworkNamespace] != workload.Privileged {
		t.Errorf("levels %v: want %s restricted, %s privileged", levels, Namespace, HostNetworkNamespace)
	}
	pods := 0
	for _, c := range checks {
		spec := &c.Job.Spec.Template.Spec
		level, ok := levels[c.Job.Namespace]
		if !ok {
			t.Errorf("%s runs in %s, which has no level", c.Name, c.Job.Namespace)
			continue
		}
		if (level == workload.Privileged) != spec.HostNetwork {
			t.Errorf("%s: host network %v in a %s namespace", c.Name, spec.HostNetwork, level)
		}
		// Below the namespace's level, each pod still meets restricted in all but the host network.
		restrictedBut := *spec
		restrictedBut.HostNetwork = false
		if v, err := workload.Violations(workload.Restricted, &c.Job.Spec.Template.ObjectMeta, &restrictedBut); err != nil || len(v) > 0 {
			t.Errorf("%s: refused at restricted (host network aside): %v %v", c.Name, v, err)
		}
		for _, container := range spec.Containers {
			if !strings.Contains(container.Image, "kubectl") && container.Image != testImage {
				t.Errorf("%s runs %s, not the configured image", c.Name, container.Image)
			}
		}
		pods++
	}
	for ns, pod := range TargetPods(testImage) {
		if v, err := workload.Violations(levels[ns], &pod.ObjectMeta, &pod.Spec); err != nil || len(v) > 0 {
			t.Errorf("target pod in %s refused: %v %v", ns, v, err)
		}
	}
	if pods < 10 {
		t.Errorf("only %d check pods were looked at", pods)
	}
	if _, err := Checks(Input{KubernetesVersion: "1.35", Ipv6: &Ipv6Input{Ipv4Target: Target{"ipv4.example", 80}, Ipv6Target: Target{"ipv6.example", 80}}}); err == nil ||
		!strings.Contains(err.Error(), "image") {
		t.Errorf("checks without an image: %v, want an error naming the image", err)
	}
}
