package plandiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/internal/replacement"
)

// maxValue is how much of a value a line shows; the rest is counted.
const maxValue = 80

// Heading starts the comment; the workflow finds its own comment by it to update it in place.
const Heading = "## Offline preview"

// WriteMarkdown writes the report as a pull-request comment: warnings first, then per stack a
// summary line and a diff block in Pulumi's symbols.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(Heading + "\n\n")
	b.WriteString("What `pulumi up` would do to each stack, predicted from the offline plans of the base branch and of this branch (Pulumi mocks, no AWS account). " +
		"`+` create, `~` update, `+-` replace, `-` delete.\n\n")
	var warns []string
	for _, s := range r.Stacks {
		for _, w := range s.Warnings {
			warns = append(warns, fmt.Sprintf("**%s**: %s", s.Name, w))
		}
	}
	if len(warns) > 0 {
		b.WriteString("> [!WARNING]\n")
		for _, w := range warns {
			fmt.Fprintf(&b, "> - %s\n", w)
		}
		b.WriteString("\n")
	}
	if !r.Changed() {
		b.WriteString("No stack changes.\n")
	}
	for _, s := range r.Stacks {
		if len(s.Steps) == 0 && !s.Added && !s.Removed {
			continue
		}
		fmt.Fprintf(&b, "### %s: %s\n\n", s.Name, s.Summary())
		b.WriteString("```diff\n")
		for _, st := range s.Steps {
			writeStep(&b, st)
		}
		b.WriteString("```\n\n")
	}
	if unchanged := unchangedStacks(r); len(unchanged) > 0 {
		fmt.Fprintf(&b, "Unchanged: %s.\n\n", strings.Join(unchanged, ", "))
	}
	b.WriteString("Not predicted here: what a provider decides from live state (drift, ids, a remote component's or a Helm chart's children), and changes inside secret values, which plans mask. " +
		"Where a rule cannot tell whether a change replaces, the line says so.\n")
	_, err := w.Write(b.Bytes())
	return err
}

// Summary counts the operations, as pulumi preview's last lines do.
func (s Stack) Summary() string {
	var counts [4]int
	mayReplace := 0
	for _, st := range s.Steps {
		counts[st.Op]++
		if st.MayReplace {
			mayReplace++
		}
	}
	var parts []string
	switch {
	case s.Added:
		parts = append(parts, "new stack")
	case s.Removed:
		parts = append(parts, "stack removed")
	}
	for _, op := range []Op{Create, Update, Replace, Delete} {
		if counts[op] > 0 {
			parts = append(parts, fmt.Sprintf("%d to %s", counts[op], op))
		}
	}
	if mayReplace > 0 {
		parts = append(parts, fmt.Sprintf("%d of the updates may replace", mayReplace))
	}
	parts = append(parts, fmt.Sprintf("%d unchanged", s.Unchanged))
	return strings.Join(parts, ", ")
}

func unchangedStacks(r Report) []string {
	var out []string
	for _, s := range r.Stacks {
		if len(s.Steps) == 0 && !s.Added && !s.Removed {
			out = append(out, s.Name)
		}
	}
	return out
}

func writeStep(b *bytes.Buffer, st Step) {
	r := st.Resource
	fmt.Fprintf(b, "%s %s  %s", st.Op.Symbol(), r.Type, r.Name)
	if inner, ok := replacement.EKSInner(r.Type); ok && st.Op == Replace {
		fmt.Fprintf(b, "  (replaces the %s inside)", inner)
	}
	if st.MayReplace {
		b.WriteString("  (may be replaced: see the lines marked ?)")
	}
	b.WriteString("\n")
	for _, c := range st.Changes {
		mark := "   "
		switch c.Verdict {
		case replacement.Replaces:
			mark = " ! "
		case replacement.Unknown:
			mark = " ? "
		}
		fmt.Fprintf(b, "  %s%s: %s => %s", mark, c.Path, value(c.Old), value(c.New))
		var notes []string
		if c.Because != "" {
			notes = append(notes, c.Because)
		}
		if c.Reason != "" {
			notes = append(notes, c.Reason)
		}
		if len(notes) > 0 {
			fmt.Fprintf(b, "  (%s)", strings.Join(notes, "; "))
		}
		b.WriteString("\n")
	}
}

// value shows a plan value on one line: JSON, cut to maxValue with the length of the rest; absent
// inputs as "(none)"; placeholders as they are.
func value(v any) string {
	switch t := v.(type) {
	case nil:
		return "(none)"
	case string:
		if t == plan.Computed || t == plan.Secret {
			return t
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	s := strings.TrimSuffix(buf.String(), "\n")
	if runes := []rune(s); len(runes) > maxValue {
		return fmt.Sprintf("%s… (%d chars)", string(runes[:maxValue]), len(runes))
	}
	return s
}
