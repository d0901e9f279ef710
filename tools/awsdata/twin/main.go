// Command twin writes the AWS twin's data fixtures (test/awstwin/awsdata) from AWS's own published
// data, in the shapes of AWS's API responses:
//
//   - ec2-describe-instance-types.json: every type on the EC2 documentation's "General purpose
//     instances" page (docs.aws.amazon.com/ec2/latest/instancetypes/gp.html), as karpenter-provider-aws
//     v1.15.2 recorded it in hack/code/bandwidth_gen/example/gp.html: vCPUs, memory, architecture,
//     ENIs and IPv4 addresses per ENI;
//   - partitions.json: each partition's DNS suffix and regions, from hashicorp/aws-sdk-go-base's
//     endpoints (the AWS SDKs' partition data, which pulumi-aws answers getPartition and getRegion from).
//
// Run it from tools/awsdata:
//
//	go run ./twin -out ../../test/awstwin/awsdata
package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/aws-sdk-go-base/v2/endpoints"
)

// gpPage is AWS's documentation page as karpenter recorded it; the module is only downloaded, never
// built (it needs a newer Go than this repository's).
const (
	gpModule = "github.com/aws/karpenter-provider-aws@v1.15.2"
	gpFile   = "hack/code/bandwidth_gen/example/gp.html"
)

func main() {
	out := flag.String("out", "", "the directory to write the fixtures to")
	flag.Parse()
	if *out == "" {
		log.Fatal("-out is required")
	}
	page, err := readGpPage()
	if err != nil {
		log.Fatal(err)
	}
	types, err := instanceTypes(page)
	if err != nil {
		log.Fatal(err)
	}
	if err := writeJSON(filepath.Join(*out, "ec2-describe-instance-types.json"), types); err != nil {
		log.Fatal(err)
	}
	if err := writeJSON(filepath.Join(*out, "partitions.json"), partitions()); err != nil {
		log.Fatal(err)
	}
}

// readGpPage reads the page from the module's zip, which go mod download verifies against the
// checksum database. The toolchain check fails (the module needs a newer Go to build), so the zip is
// read instead of the extracted tree.
func readGpPage() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", gpModule)
	cmd.Dir = os.TempDir() // outside this module, whose build list does not hold it
	// Never switch toolchains for a module only read: the check then fails the same way everywhere.
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	cmd.Stderr = os.Stderr
	raw, _ := cmd.Output() // exits 1 for the toolchain check; the JSON says what was downloaded
	var mod struct{ Zip, Sum, Error string }
	if err := json.Unmarshal(raw, &mod); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", gpModule, err)
	}
	if mod.Zip == "" || mod.Sum == "" {
		return "", fmt.Errorf("go mod download %s: %s", gpModule, mod.Error)
	}
	z, err := zip.OpenReader(mod.Zip)
	if err != nil {
		return "", err
	}
	defer z.Close()
	f, err := z.Open(gpModule + "/" + gpFile)
	if err != nil {
		return "", err
	}
	defer f.Close()
	page, err := io.ReadAll(f)
	return string(page), err
}

// The shapes below are EC2's DescribeInstanceTypes response (API reference, InstanceTypeInfo), limited
// to the fields the page gives.
type describeInstanceTypes struct {
	Source        string             `json:"_source"`
	InstanceTypes []instanceTypeInfo `json:"InstanceTypes"`
}

type instanceTypeInfo struct {
	InstanceType  string `json:"InstanceType"`
	Hypervisor    string `json:"Hypervisor,omitempty"`
	BareMetal     bool   `json:"BareMetal"`
	ProcessorInfo struct {
		SupportedArchitectures []string `json:"SupportedArchitectures"`
	} `json:"ProcessorInfo"`
	VCpuInfo struct {
		DefaultVCpus int `json:"DefaultVCpus"`
	} `json:"VCpuInfo"`
	MemoryInfo struct {
		SizeInMiB int `json:"SizeInMiB"`
	} `json:"MemoryInfo"`
	NetworkInfo struct {
		MaximumNetworkInterfaces  int  `json:"MaximumNetworkInterfaces"`
		Ipv4AddressesPerInterface int  `json:"Ipv4AddressesPerInterface"`
		Ipv6Supported             bool `json:"Ipv6Supported"`
	} `json:"NetworkInfo"`
}

var (
	rowPattern  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellPattern = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	supPattern  = regexp.MustCompile(`(?s)<sup>.*?</sup>`)
	tagPattern  = regexp.MustCompile(`<[^>]+>`)
	archPattern = regexp.MustCompile(`\((x86_64|arm64|x86_64_mac|arm64_mac)\)`)
)

// table returns the rows of the table under the heading with the given id, each as its cells' text.
// Rows of one cell (a family's caption) are left out.
func table(page, headingID string) ([][]string, error) {
	start := strings.Index(page, `<h2 id="`+headingID+`"`)
	if start < 0 {
		return nil, fmt.Errorf("%s: no heading %q", gpFile, headingID)
	}
	end := strings.Index(page[start:], "</table>")
	if end < 0 {
		return nil, fmt.Errorf("%s: the table under %q does not end", gpFile, headingID)
	}
	var rows [][]string
	for _, row := range rowPattern.FindAllStringSubmatch(page[start:start+end], -1) {
		var cells []string
		for _, c := range cellPattern.FindAllStringSubmatch(row[1], -1) {
			text := tagPattern.ReplaceAllString(supPattern.ReplaceAllString(c[1], ""), "")
			cells = append(cells, strings.TrimSpace(html.UnescapeString(text)))
		}
		if len(cells) > 1 {
			rows = append(rows, cells)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: the table under %q has no rows", gpFile, headingID)
	}
	return rows, nil
}

func instanceTypes(page string) (describeInstanceTypes, error) {
	out := describeInstanceTypes{Source: "docs.aws.amazon.com/ec2/latest/instancetypes/gp.html as recorded in " + gpModule + " " + gpFile + "; generated by tools/awsdata/twin"}
	summary, err := table(page, "gp_summary")
	if err != nil {
		return out, err
	}
	// Instance family (M5) → hypervisor and architecture.
	hypervisor, arch := map[string]string{}, map[string]string{}
	for _, r := range summary {
		if len(r) < 3 {
			return out, fmt.Errorf("gp_summary row %v: want at least 3 cells", r)
		}
		family := strings.ToLower(r[0])
		hypervisor[family] = strings.ToLower(r[1])
		if m := archPattern.FindStringSubmatch(r[2]); m != nil {
			arch[family] = m[1]
		}
	}
	hardware, err := table(page, "gp_hardware")
	if err != nil {
		return out, err
	}
	byName := map[string]*instanceTypeInfo{}
	var names []string
	for _, r := range hardware {
		if len(r) < 5 {
			return out, fmt.Errorf("gp_hardware row %v: want at least 5 cells", r)
		}
		name := r[0]
		family, size, _ := strings.Cut(name, ".")
		memory, err := strconv.ParseFloat(r[2], 64)
		if err != nil {
			return out, fmt.Errorf("%s: memory %q: %w", name, r[2], err)
		}
		vcpus, err := strconv.Atoi(r[4])
		if err != nil {
			return out, fmt.Errorf("%s: vCPUs %q: %w", name, r[4], err)
		}
		a, ok := arch[family]
		if !ok {
			return out, fmt.Errorf("%s: no architecture for family %s", name, family)
		}
		info := &instanceTypeInfo{InstanceType: name, Hypervisor: hypervisor[family], BareMetal: strings.HasPrefix(size, "metal")}
		if info.BareMetal {
			info.Hypervisor = "" // EC2 names no hypervisor for a metal type
		}
		info.ProcessorInfo.SupportedArchitectures = []string{a}
		info.VCpuInfo.DefaultVCpus = vcpus
		info.MemoryInfo.SizeInMiB = int(memory * 1024)
		byName[name] = info
		names = append(names, name)
	}
	network, err := table(page, "gp_network")
	if err != nil {
		return out, err
	}
	for _, r := range network {
		if len(r) < 9 {
			return out, fmt.Errorf("gp_network row %v: want 9 cells", r)
		}
		info, ok := byName[r[0]]
		if !ok {
			continue // a type the hardware table does not list has no vCPUs to give
		}
		if info.NetworkInfo.MaximumNetworkInterfaces, err = strconv.Atoi(r[6]); err != nil {
			return out, fmt.Errorf("%s: network interfaces %q: %w", r[0], r[6], err)
		}
		if info.NetworkInfo.Ipv4AddressesPerInterface, err = strconv.Atoi(r[7]); err != nil {
			return out, fmt.Errorf("%s: addresses per interface %q: %w", r[0], r[7], err)
		}
		info.NetworkInfo.Ipv6Supported = r[8] == "✓"
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		if byName[n].NetworkInfo.MaximumNetworkInterfaces == 0 {
			return out, fmt.Errorf("%s: the network table does not list it", n)
		}
		out.InstanceTypes = append(out.InstanceTypes, *byName[n])
	}
	return out, nil
}

type partition struct {
	Partition string   `json:"partition"`
	DNSSuffix string   `json:"dnsSuffix"`
	Regions   []region `json:"regions"`
}

type region struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func partitions() any {
	var out []partition
	for _, p := range endpoints.DefaultPartitions() {
		q := partition{Partition: p.ID(), DNSSuffix: p.DNSSuffix()}
		for id, r := range p.Regions() {
			q.Regions = append(q.Regions, region{Name: id, Description: r.Description()})
		}
		slices.SortFunc(q.Regions, func(a, b region) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b partition) int { return strings.Compare(a.Partition, b.Partition) })
	return struct {
		Source     string      `json:"_source"`
		Partitions []partition `json:"partitions"`
	}{"github.com/hashicorp/aws-sdk-go-base/v2/endpoints (the AWS SDKs' partition data); generated by tools/awsdata/twin", out}
}

func writeJSON(path string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
