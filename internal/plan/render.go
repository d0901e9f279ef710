package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"sigs.k8s.io/yaml"
)

// hiddenInputs are left out of the text view: noise that every AWS resource carries. The JSON view
// keeps everything.
var hiddenInputs = map[string]bool{"tags": true, "tagsAll": true}

const maxValueWidth = 72

// WriteJSON writes the plan as one indented JSON object. encoding/json sorts map keys, and resources
// are sorted by URN, so the bytes are stable.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// WriteText writes a tree like `pulumi preview`: type, name and the inputs that matter, then a count.
func (p *Plan) WriteText(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Offline plan of stack %s (Pulumi mocks; no AWS account, no network)\n\n", p.Stack)
	roots := p.roots()
	if len(roots) > 0 {
		// The stack resource itself never reaches the mocks; its URN is every root's parent.
		stack := resource.URN(roots[0].Parent)
		fmt.Fprintf(&b, " +  %s  %s\n", stack.Type(), stack.Name())
	}
	for i, r := range roots {
		p.writeNode(&b, r, "", i == len(roots)-1)
	}
	custom, components := 0, 0
	for _, r := range p.Resources {
		if r.Custom {
			custom++
		} else {
			components++
		}
	}
	if len(p.Outputs) > 0 {
		b.WriteString("\nOutputs:\n")
		for _, k := range slices.Sorted(maps.Keys(p.Outputs)) {
			fmt.Fprintf(&b, "    %s: %s\n", k, compact(p.Outputs[k], 0))
		}
	}
	fmt.Fprintf(&b, "\nResources:\n    + %d to create (%d resources, %d components)\n", len(p.Resources), custom, components)
	var remote []string
	for _, r := range p.Resources {
		if r.Remote {
			remote = append(remote, r.Type+" "+r.Name)
		}
	}
	if len(remote) > 0 {
		fmt.Fprintf(&b, "\nNot shown: the children of remote components (%s).\n"+
			"Their providers create them at deploy time; the mocks see only the components' inputs. The README lists what pulumi-eks creates.\n",
			strings.Join(remote, ", "))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// roots are resources whose parent is not itself in the plan (the stack, which the mocks never see).
func (p *Plan) roots() []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if _, ok := p.ByURN(r.Parent); !ok {
			out = append(out, r)
		}
	}
	return out
}

func (p *Plan) writeNode(b *bytes.Buffer, r Resource, indent string, last bool) {
	branch, next := "├─ ", "│  "
	if last {
		branch, next = "└─ ", "   "
	}
	fmt.Fprintf(b, " +  %s%s%s  %s", indent, branch, r.Type, r.Name)
	if r.Remote {
		b.WriteString("  (remote component)")
	}
	b.WriteString("\n")
	for _, k := range slices.Sorted(maps.Keys(r.Inputs)) {
		if hiddenInputs[k] {
			continue
		}
		fmt.Fprintf(b, "    %s%s      %s: %s\n", indent, next, k, compact(r.Inputs[k], maxValueWidth))
	}
	children := p.Children(r.URN)
	for i, c := range children {
		p.writeNode(b, c, indent+next, i == len(children)-1)
	}
}

// compact renders a value on one line, cut to width (0 means no limit).
func compact(v any, width int) string {
	var s string
	if str, ok := v.(string); ok {
		s = str
	} else {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		s = strings.TrimSuffix(b.String(), "\n")
	}
	s = strings.ReplaceAll(s, "\n", `\n`)
	if width > 0 && len(s) > width {
		s = s[:width] + "…"
	}
	return s
}

// helmChartType is pulumi-kubernetes's Helm chart component, rendered by the provider at deploy time.
const helmChartType = "kubernetes:helm.sh/v4:Chart"

// Manifests returns every Kubernetes object in the plan, keyed by a stable file name
// (<kind>-<namespace>-<name>.yaml; cluster-scoped objects use "cluster"). A Helm chart's objects are
// only known once the chart is fetched at deploy time, so a chart is written as what it installs:
// helmchart-<namespace>-<name>.yaml with the chart, version, repository and values.
func (p *Plan) Manifests() map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range p.Resources {
		if r.Type == helmChartType {
			ns, _ := r.Inputs["namespace"].(string)
			out[strings.ToLower(fmt.Sprintf("helmchart-%s-%s.yaml", ns, r.Name))] = r.Inputs
			continue
		}
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		kind, _ := r.Inputs["kind"].(string)
		if kind == "" {
			continue
		}
		ns, name := "cluster", r.Name
		if meta, ok := r.Inputs["metadata"].(map[string]any); ok {
			if s, ok := meta["namespace"].(string); ok && s != "" {
				ns = s
			}
			if s, ok := meta["name"].(string); ok && s != "" {
				name = s
			}
		}
		file := strings.ToLower(fmt.Sprintf("%s-%s-%s.yaml", kind, ns, name))
		if _, dup := out[file]; dup {
			file = strings.ToLower(fmt.Sprintf("%s-%s-%s-%s.yaml", kind, ns, name, r.Name))
		}
		out[file] = r.Inputs
	}
	return out
}

// WriteManifests writes Manifests into dir, one YAML file per object, and returns how many.
func (p *Plan) WriteManifests(dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	manifests := p.Manifests()
	for _, file := range slices.Sorted(maps.Keys(manifests)) {
		data, err := yaml.Marshal(manifests[file])
		if err != nil {
			return 0, fmt.Errorf("%s: %w", file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			return 0, err
		}
	}
	return len(manifests), nil
}
