// Package plandiff compares two sets of offline plans, a pull request's base and its head, and says
// per stack what `pulumi up` would create, update, replace and delete, in Pulumi's terms. It
// predicts replacements from each provider's rules (internal/replacement) and follows them through
// the ids other resources take as inputs, as the engine does when a replaced resource's id becomes
// unknown. It reads plan files only; it runs no program.
package plandiff

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/replacement"
)

// Op is what happens to one resource.
type Op int

// The order is the order a reviewer reads them in: what is lost first.
const (
	Replace Op = iota
	Delete
	Update
	Create
)

// Symbol is Pulumi's mark for the operation.
func (o Op) Symbol() string {
	return [...]string{"+-", "- ", "~ ", "+ "}[o]
}

func (o Op) String() string {
	return [...]string{"replace", "delete", "update", "create"}[o]
}

// Change is one input that differs, or that will be unknown until deploy time because a resource it
// names is replaced.
type Change struct {
	Path     string
	Old, New any
	Verdict  replacement.Verdict
	// Reason is the rule behind a replacement, or why the rules cannot tell.
	Reason string
	// Because names the resource whose replacement or new version makes this input change.
	Because string
}

// Step is one resource's operation.
type Step struct {
	Op       Op
	Resource plan.Resource
	Changes  []Change
	// MayReplace marks an update some change of which the rules cannot classify.
	MayReplace bool
}

// Stack is one stack's comparison. A stack in only one side has every resource created or deleted.
type Stack struct {
	Name           string
	Added, Removed bool
	Steps          []Step
	Unchanged      int
	// Warnings are what a reviewer must see first: the cluster or a node group going, names that
	// collide.
	Warnings []string
}

// Report is the comparison of every stack, sorted by name.
type Report struct {
	Stacks []Stack
}

// Load reads every <name>.json plan in dir, keyed by name. A plan written in another format version
// is refused, naming both.
func Load(dir string) (map[string]*plan.Plan, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	out := map[string]*plan.Plan{}
	for _, path := range paths {
		data, err := os.ReadFile(path) //nolint:gosec // a plan file the caller named
		if err != nil {
			return nil, err
		}
		var p plan.Plan
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("%s: not an offline plan: %w", path, err)
		}
		if p.Format != plan.FormatVersion {
			return nil, fmt.Errorf("%s is in plan format %d (0: written before formats were numbered); this plandiff reads format %d: write both sides' plans with the same version of cmd/plan",
				path, p.Format, plan.FormatVersion)
		}
		out[strings.TrimSuffix(filepath.Base(path), ".json")] = &p
	}
	return out, nil
}

// Compare compares base and head plans by name.
func Compare(base, head map[string]*plan.Plan) Report {
	names := slices.Sorted(maps.Keys(base))
	for name := range head {
		if _, ok := base[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var r Report
	for _, name := range names {
		b, h := base[name], head[name]
		s := compareStack(b, h)
		s.Name = name
		s.Added, s.Removed = b == nil, h == nil
		if s.Removed {
			s.Warnings = append([]string{"its stack file is gone: CI stops deploying it, but nothing destroys it; its resources stay until someone runs `pulumi destroy` on it, which deletes what is listed for it below"}, s.Warnings...)
		}
		r.Stacks = append(r.Stacks, s)
	}
	return r
}

// Changed says whether any stack changes at all.
func (r Report) Changed() bool {
	for _, s := range r.Stacks {
		if len(s.Steps) > 0 || s.Added || s.Removed {
			return true
		}
	}
	return false
}

func compareStack(base, head *plan.Plan) Stack {
	if base == nil {
		base = &plan.Plan{}
	}
	if head == nil {
		head = &plan.Plan{}
	}
	old, inHead := map[string]plan.Resource{}, map[string]bool{}
	for _, r := range base.Resources {
		old[r.URN] = r
	}
	for _, r := range head.Resources {
		inHead[r.URN] = true
	}
	var s Stack
	steps := map[string]*Step{}
	for _, r := range head.Resources {
		before, ok := old[r.URN]
		if !ok {
			steps[r.URN] = &Step{Op: Create, Resource: r}
			continue
		}
		var changes []Change
		diff("", before.Inputs, r.Inputs, &changes)
		if len(changes) == 0 {
			continue
		}
		steps[r.URN] = &Step{Resource: r, Changes: classify(r.Type, changes)}
	}
	for _, r := range base.Resources {
		if !inHead[r.URN] {
			steps[r.URN] = &Step{Op: Delete, Resource: r}
		}
	}
	for _, st := range steps {
		st.settle()
	}
	follow(head, steps)
	for _, st := range steps {
		s.Steps = append(s.Steps, *st)
	}
	slices.SortFunc(s.Steps, func(a, b Step) int {
		if a.Op != b.Op {
			return int(a.Op) - int(b.Op)
		}
		if a.Resource.Type != b.Resource.Type {
			return strings.Compare(a.Resource.Type, b.Resource.Type)
		}
		return strings.Compare(a.Resource.URN, b.Resource.URN)
	})
	for _, r := range head.Resources {
		if steps[r.URN] == nil {
			s.Unchanged++
		}
	}
	s.Warnings = append(s.Warnings, warnings(s.Steps)...)
	return s
}

// settle sets an existing resource's operation from its changes.
func (st *Step) settle() {
	if st.Op == Create || st.Op == Delete {
		return
	}
	st.Op, st.MayReplace = Update, false
	for _, c := range st.Changes {
		switch c.Verdict {
		case replacement.Replaces:
			st.Op = Replace
		case replacement.Unknown:
			st.MayReplace = true
		}
	}
	if st.Op == Replace {
		st.MayReplace = false
	}
}

// jsonMark joins the path of a string that holds a JSON document to a path inside the document.
const jsonMark = " (JSON) "

// classify asks the provider's rules about each change. A change inside a JSON document is a change
// of the string that holds it, so the rules see that string's path.
func classify(typ string, changes []Change) []Change {
	for i := range changes {
		holder, _, _ := strings.Cut(changes[i].Path, jsonMark)
		changes[i].Verdict, changes[i].Reason = replacement.Of(typ, holder)
	}
	return changes
}

// follow carries replacements to the resources that name them. A replaced resource gets a new id,
// unknown until it exists, so an input holding the old id changes, and replaces its holder when that
// input forces replacement (a subnet replaced replaces its route table association). A launch
// template that changes gets a new version, which the node group that names it rolls to. The mocks
// give a resource the same id on both sides, so neither shows in the plans' own inputs.
func follow(head *plan.Plan, steps map[string]*Step) {
	for {
		grew := false
		for _, r := range head.Resources {
			st := steps[r.URN]
			if st != nil && (st.Op == Create || st.Op == Replace) {
				continue
			}
			leaves := map[string]string{}
			walk("", r.Inputs, func(path string, v any) {
				if s, ok := v.(string); ok && s != plan.Secret && s != plan.Computed {
					leaves[path] = s
				}
			})
			var carried []Change
			for _, path := range slices.Sorted(maps.Keys(leaves)) {
				if st != nil && st.has(path) {
					continue
				}
				if c, ok := carriedChange(path, leaves, steps); ok {
					carried = append(carried, c)
				}
			}
			if len(carried) == 0 {
				continue
			}
			grew = true
			if st == nil {
				st = &Step{Resource: r}
				steps[r.URN] = st
			}
			st.Changes = append(st.Changes, classify(r.Type, carried)...)
			slices.SortFunc(st.Changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
			st.settle()
		}
		if !grew {
			return
		}
	}
}

// carriedChange says whether the string at path names a resource that is replaced, or is the
// version of a launch template that changes.
func carriedChange(path string, leaves map[string]string, steps map[string]*Step) (Change, bool) {
	s := leaves[path]
	for _, urn := range slices.Sorted(maps.Keys(steps)) {
		st := steps[urn]
		r := st.Resource
		because := fmt.Sprintf("%s %s is replaced", r.Type, r.Name)
		switch {
		case st.Op == Replace && r.Custom && len(r.ID) >= 8 && strings.Contains(s, r.ID):
		case st.Op == Replace && r.Remote && s == r.URN:
		case (st.Op == Update || st.Op == Replace) && r.Type == launchTemplateType &&
			strings.HasSuffix(path, ".version") && leaves[strings.TrimSuffix(path, "version")+"id"] == r.ID:
			because = fmt.Sprintf("%s %s changes, and with it its latest version", r.Type, r.Name)
		default:
			continue
		}
		return Change{Path: path, Old: s, New: plan.Computed, Because: because}, true
	}
	return Change{}, false
}

// launchTemplateType's latestVersion grows with every change (EC2 CreateLaunchTemplateVersion), and
// pulumi-eks's managed node group takes a template as {id, version}.
const launchTemplateType = "aws:ec2/launchTemplate:LaunchTemplate"

func (st *Step) has(path string) bool {
	return slices.ContainsFunc(st.Changes, func(c Change) bool { return c.Path == path })
}

// diff appends a change for every leaf that differs. Lists of the same length are compared item by
// item, others whole. JSON documents held in strings (add-on configuration, policies) are compared
// inside.
func diff(path string, old, updated any, out *[]Change) {
	if reflect.DeepEqual(old, updated) {
		return
	}
	switch o := old.(type) {
	case map[string]any:
		if n, ok := updated.(map[string]any); ok {
			keys := slices.Sorted(maps.Keys(o))
			for k := range n {
				if _, ok := o[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				diff(join(path, k), o[k], n[k], out)
			}
			return
		}
	case []any:
		if n, ok := updated.([]any); ok && len(n) == len(o) {
			for i := range o {
				diff(fmt.Sprintf("%s[%d]", path, i), o[i], n[i], out)
			}
			return
		}
	case string:
		if n, ok := updated.(string); ok {
			if od, nd, ok := jsonDocuments(o, n); ok {
				var inner []Change
				diff("", od, nd, &inner)
				for _, c := range inner {
					c.Path = path + jsonMark + c.Path
					*out = append(*out, c)
				}
				return
			}
		}
	}
	*out = append(*out, Change{Path: path, Old: old, New: updated})
}

func jsonDocuments(a, b string) (any, any, bool) {
	if !strings.HasPrefix(a, "{") || !strings.HasPrefix(b, "{") {
		return nil, nil, false
	}
	var da, db map[string]any
	if json.Unmarshal([]byte(a), &da) != nil || json.Unmarshal([]byte(b), &db) != nil {
		return nil, nil, false
	}
	return da, db, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// walk calls visit for every string leaf, with its path.
func walk(path string, v any, visit func(string, any)) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			walk(join(path, k), t[k], visit)
		}
	case []any:
		for i, e := range t {
			walk(fmt.Sprintf("%s[%d]", path, i), e, visit)
		}
	default:
		visit(path, v)
	}
}
