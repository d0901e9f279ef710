// Package daytwo is the day-2 matrix: the changes a user makes to a running stack of each preset, and
// what each does to the stack's resources, kept as data (testdata/daytwo/matrix.json). Three places
// read it, so none can drift from the others:
//   - stacks TestDayTwoMatrix checks every expectation against the offline preview;
//   - the e2e suite makes the changes, in order, on one kept-up stack per preset on the AWS twin, and
//     checks the real engine's preview against the expectation, then the up and what it leaves;
//   - the README's table "What each change does to a running stack" is rendered from it (this
//     package's TestReadmeTable).
package daytwo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// Matrix is the list of changes, grouped by preset in the order they are made.
type Matrix struct {
	About string `json:"_about"`
	// Bases are the keys, without the namespace, the suite sets over a preset's stack file before
	// the first up.
	Bases map[string]map[string]string `json:"bases,omitempty"`
	// NotChanged are the project's keys no step changes, each with why; every other key is changed
	// by a step (TestEveryKeyIsChangedOrExplained).
	NotChanged map[string]string `json:"notChanged,omitempty"`
	Steps      []Step            `json:"steps"`
}

// Step is one change to a running stack. Each starts from the previous step of its preset.
type Step struct {
	Preset string `json:"preset"`
	// Change says what the user does, for the table.
	Change string `json:"change"`
	// Set are the project's keys, without the namespace, set over the previous step's configuration.
	Set map[string]string `json:"set,omitempty"`
	// FixedInstances sets multusInstanceIds to an instance the stack already runs in each of these
	// zones, in order: a node of the cluster's own node group, which the suite reads from the account
	// and the offline preview names (WithInstances). EC2 lets an ENI be attached to any instance of
	// its zone, and these are the only instances a stack of this program has.
	FixedInstances []string `json:"fixedInstances,omitempty"`
	// AmiRelease: AWS publishes the next EKS AMI release between two runs; the configuration stays.
	AmiRelease bool `json:"amiRelease,omitempty"`
	// Expect is what the next pulumi up does.
	Expect Expect `json:"expect"`
	// Refused is a part of the error with which the program refuses the change at preview (and at
	// up), before anything changes: a change AWS would refuse on a running stack. The stack stays as
	// the previous step left it, and the next step starts from there.
	Refused string `json:"refused,omitempty"`
	// Note says why, for the table.
	Note string `json:"note,omitempty"`
}

// Expect is what a step does to the resources the offline plan sees, by operation. An entry is a type
// ("kubernetes:batch/v1:Job": one or more resources of it) or one resource ("type::name").
type Expect struct {
	Replace []string `json:"replace,omitempty"`
	Delete  []string `json:"delete,omitempty"`
	Create  []string `json:"create,omitempty"`
	Update  []string `json:"update,omitempty"`
}

// Op is what a preview does to one resource.
type Op struct {
	Op, Type, Name string
}

// operations are the operations an expectation names, in the order a reviewer reads them.
var operations = []string{"replace", "delete", "create", "update"}

func (e Expect) entries(op string) []string {
	switch op {
	case "replace":
		return e.Replace
	case "delete":
		return e.Delete
	case "create":
		return e.Create
	case "update":
		return e.Update
	}
	return nil
}

// Load reads a matrix strictly (unknown fields are errors) and checks its shape.
func Load(path string) (Matrix, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the matrix file the caller named
	if err != nil {
		return Matrix{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Matrix
	if err := dec.Decode(&m); err != nil {
		return Matrix{}, fmt.Errorf("%s: %w", path, err)
	}
	for i, s := range m.Steps {
		if err := s.check(); err != nil {
			return Matrix{}, fmt.Errorf("%s: step %d (%s %q): %w", path, i+1, s.Preset, s.Change, err)
		}
	}
	return m, nil
}

func (s Step) check() error {
	switch {
	case s.Preset == "" || s.Change == "":
		return fmt.Errorf("a step needs a preset and a change")
	case (len(s.Set) == 0) == !s.AmiRelease:
		return fmt.Errorf("a step either sets keys or publishes an AMI release")
	case s.Refused != "" && !s.Expect.empty():
		return fmt.Errorf("a refused step changes nothing; its expect stays empty")
	case len(s.FixedInstances) > 0 && s.Set[instanceIdsKey] != "":
		return fmt.Errorf("a step with fixedInstances leaves %s to them", instanceIdsKey)
	}
	for _, op := range operations {
		for _, entry := range s.Expect.entries(op) {
			typ, name, named := strings.Cut(entry, "::")
			if strings.Count(typ, ":") != 2 || named && name == "" {
				return fmt.Errorf("%s entry %q is neither a type token nor type::name", op, entry)
			}
		}
	}
	return nil
}

// instanceIdsKey is the key FixedInstances sets.
const instanceIdsKey = "multusInstanceIds"

// WithInstances is the step with multusInstanceIds set to instanceIn's instance in each zone of its
// FixedInstances, in order; a step without them is returned as it is.
func (s Step) WithInstances(instanceIn func(zone string) (string, error)) (Step, error) {
	if len(s.FixedInstances) == 0 {
		return s, nil
	}
	ids := make([]string, len(s.FixedInstances))
	for i, zone := range s.FixedInstances {
		id, err := instanceIn(zone)
		if err != nil {
			return s, fmt.Errorf("%s: the instance in %s: %w", s.Change, zone, err)
		}
		ids[i] = id
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return s, err
	}
	s.Set = maps.Clone(s.Set)
	s.Set[instanceIdsKey] = string(list)
	return s, nil
}

// Presets are the presets the matrix changes, in the order they first appear.
func (m Matrix) Presets() []string {
	var out []string
	for _, s := range m.Steps {
		if !slices.Contains(out, s.Preset) {
			out = append(out, s.Preset)
		}
	}
	return out
}

// Base is a preset's configuration before its first step: the stack file's, with the matrix's base
// keys set in namespace.
func (m Matrix) Base(preset string, stackFile map[string]string, namespace string) map[string]string {
	return Step{Set: m.Bases[preset]}.Apply(stackFile, namespace)
}

// For is one preset's steps, in order.
func (m Matrix) For(preset string) []Step {
	var out []Step
	for _, s := range m.Steps {
		if s.Preset == preset {
			out = append(out, s)
		}
	}
	return out
}

// Apply is the configuration after the step: base with the step's keys set in namespace. For a
// refused step it is the configuration the user tried; the stack stays at base (Next).
func (s Step) Apply(base map[string]string, namespace string) map[string]string {
	cfg := maps.Clone(base)
	for k, v := range s.Set {
		cfg[namespace+":"+k] = v
	}
	return cfg
}

// Next is the configuration the next step starts from: the applied one, or for a refused step the
// one the stack still runs.
func (s Step) Next(base map[string]string, namespace string) map[string]string {
	if s.Refused != "" {
		return base
	}
	return s.Apply(base, namespace)
}

func (e Expect) empty() bool {
	return len(e.Replace)+len(e.Delete)+len(e.Create)+len(e.Update) == 0
}

// Mismatches compares what a preview does with the expectation: every operation must match an entry
// of its kind, and every entry must match at least one operation. Operations on no resource ("same")
// are not given.
func (e Expect) Mismatches(ops []Op) []string {
	var out []string
	matched := map[string]bool{}
	sorted := slices.Clone(ops)
	slices.SortFunc(sorted, func(a, b Op) int { return strings.Compare(a.Op+a.Type+a.Name, b.Op+b.Type+b.Name) })
	for _, o := range sorted {
		entries := e.entries(o.Op)
		i := slices.IndexFunc(entries, func(entry string) bool { return entry == o.Type+"::"+o.Name })
		if i < 0 {
			i = slices.Index(entries, o.Type)
		}
		if i < 0 {
			out = append(out, fmt.Sprintf("the preview would %s %s::%s, which the matrix does not expect", o.Op, o.Type, o.Name))
			continue
		}
		matched[o.Op+" "+entries[i]] = true
	}
	for _, op := range operations {
		for _, entry := range e.entries(op) {
			if !matched[op+" "+entry] {
				out = append(out, fmt.Sprintf("the matrix expects %s %s, which the preview does not do", op, entry))
			}
		}
	}
	return out
}

// Table is the README's table: one row per step, grouped by preset.
func (m Matrix) Table() string {
	var b strings.Builder
	b.WriteString("| preset | change | what the next `pulumi up` does | why |\n|---|---|---|---|\n")
	for _, preset := range m.Presets() {
		for _, s := range m.For(preset) {
			does := s.Expect.describe()
			if s.Refused != "" {
				does = "nothing: refused at preview (`" + s.Refused + "`)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", preset, s.Change, does, s.Note)
		}
	}
	refused := 0
	for _, s := range m.Steps {
		if s.Refused != "" {
			refused++
		}
	}
	fmt.Fprintf(&b, "\n%d steps, %d of them refused.\n", len(m.Steps), refused)
	if len(m.NotChanged) > 0 {
		b.WriteString("\nKeys no step changes:\n\n")
		for _, key := range slices.Sorted(maps.Keys(m.NotChanged)) {
			fmt.Fprintf(&b, "- `%s`: %s\n", key, m.NotChanged[key])
		}
	}
	return b.String()
}

// describe says what the expectation does, in words.
func (e Expect) describe() string {
	verbs := map[string]string{"replace": "replaces", "delete": "deletes", "create": "creates", "update": "updates in place"}
	var parts []string
	for _, op := range operations {
		entries := e.entries(op)
		if len(entries) == 0 {
			continue
		}
		var things []string
		for _, entry := range entries {
			typ, name, named := strings.Cut(entry, "::")
			kind := typ[strings.LastIndex(typ, ":")+1:]
			if named {
				things = append(things, fmt.Sprintf("%s `%s`", kind, name))
			} else {
				things = append(things, "each changed "+kind)
			}
		}
		parts = append(parts, verbs[op]+" "+strings.Join(things, ", "))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}
