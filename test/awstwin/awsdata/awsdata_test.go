package awsdata

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"testing"
)

// Every fixture names its source and decodes.
func TestEveryFixtureNamesItsSource(t *testing.T) {
	names, err := fs.Glob(files, "*.json")
	if err != nil || len(names) < 6 {
		t.Fatalf("fixtures %v, %v", names, err)
	}
	for _, name := range names {
		raw, _ := files.ReadFile(name)
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if doc["_source"] == nil || fmt.Sprint(doc["_source"]) == "" {
			t.Errorf("%s names no _source", name)
		}
	}
}

// What the twin creates clusters with has the data a cluster needs: for each Kubernetes version, a
// default of every add-on and each architecture's AMI in every release.
func TestEveryVersionHasAddonsAndAmis(t *testing.T) {
	build := regexp.MustCompile(`^v1\.\d+\.\d+-eksbuild\.\d+$`)
	for _, k8s := range []string{"1.32", "1.33", "1.34", "1.35", "1.36"} {
		for _, addon := range []string{"coredns", "kube-proxy", "vpc-cni"} {
			offered, byDefault := AddonVersions(addon, k8s)
			if byDefault == "" || len(offered) == 0 {
				t.Errorf("%s for %s: offered %v, default %q", addon, k8s, offered, byDefault)
			}
			for _, v := range offered {
				if !build.MatchString(v) {
					t.Errorf("%s %s is not an EKS build", addon, v)
				}
			}
		}
		for _, release := range AmiReleases() {
			for _, arch := range []string{"x86_64", "arm64"} {
				name := fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2023/%s/standard/recommended/", k8s, arch)
				image, ok := AmiParameter(name+"image_id", release)
				version, ok2 := AmiParameter(name+"release_version", release)
				if got, _ := ImageArchitecture(image); !ok || !ok2 || got != arch || version[:len(k8s)] != k8s {
					t.Errorf("%s in %s: image %q (%s), release %q", name, release, image, got, version)
				}
			}
		}
	}
}

// The generated instance types carry EC2's numbers: spot checks against the documentation page's
// rows for the types the presets and tests use.
func TestInstanceTypesCarryEc2sNumbers(t *testing.T) {
	for name, want := range map[string][5]int{ // vCPUs, MiB, ENIs, IPv4 per ENI, arm64 (1) or x86_64 (0)
		"t3.medium": {2, 4096, 3, 6, 0}, "t3.large": {2, 8192, 3, 12, 0}, "m5.large": {2, 8192, 3, 10, 0},
		"m7g.large": {2, 8192, 3, 10, 1}, "t4g.medium": {2, 4096, 3, 6, 1},
	} {
		got, ok := Instance(name)
		arm := 0
		if got.Architecture() == "arm64" {
			arm = 1
		}
		if !ok || [5]int{got.VCpuInfo.DefaultVCpus, got.MemoryInfo.SizeInMiB, got.NetworkInfo.MaximumNetworkInterfaces, got.NetworkInfo.Ipv4AddressesPerInterface, arm} != want {
			t.Errorf("%s: %+v, want %v", name, got, want)
		}
	}
	if _, ok := Instance("x9.huge"); ok {
		t.Error("an instance type EC2 does not have is described")
	}
	if p, ok := PartitionOf("eu-central-1"); !ok || p.Partition != "aws" || p.DNSSuffix != "amazonaws.com" {
		t.Errorf("eu-central-1: %+v", p)
	}
	if c := Caller(); c.Account != "123456789012" || c.Arn != "arn:aws:iam::123456789012:user/Alice" {
		t.Errorf("caller %+v", c)
	}
}

// Lookups answer for what they were asked: a region's own partition and name, one Kubernetes
// version's add-on versions, and the newest AMI release when none is named.
func TestLookupsAnswerForWhatTheyWereAsked(t *testing.T) {
	if p, ok := PartitionOf("cn-north-1"); !ok || p.Partition != "aws-cn" || p.DNSSuffix != "amazonaws.com.cn" || p.RegionDescription != "China (Beijing)" {
		t.Errorf("cn-north-1: %+v %v", p, ok)
	}
	if p, ok := PartitionOf("eu-central-1"); !ok || p.Partition != "aws" || p.RegionDescription != "Europe (Frankfurt)" {
		t.Errorf("eu-central-1: %+v %v", p, ok)
	}
	if _, ok := PartitionOf("eu-central-9"); ok {
		t.Errorf("a region no partition has was found")
	}
	if got, _ := AddonVersions("kube-proxy", "1.35"); len(got) != 1 || got[0][:len("v1.35.")] != "v1.35." {
		t.Errorf("kube-proxy for 1.35: %v, want its one 1.35 build", got)
	}
	releases := AmiReleases()
	if len(releases) < 2 {
		t.Fatalf("AMI releases %v; the test needs two", releases)
	}
	name := "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/release_version"
	newest, _ := AmiParameter(name, "")
	named, _ := AmiParameter(name, releases[len(releases)-1])
	older, _ := AmiParameter(name, releases[0])
	if newest == "" || newest != named || newest == older {
		t.Errorf("the release version for no release named is %q; the newest release's is %q, the oldest's %q", newest, named, older)
	}
}
