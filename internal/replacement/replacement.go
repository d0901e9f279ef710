// Package replacement says which changes a provider makes in place and which replace the resource:
// pulumi-aws's ForceNew inputs (as the AWS twin enforces them), pulumi-eks's mapping of its
// components' inputs onto the AWS resources inside them, and pulumi-kubernetes's own rules. The
// offline preview (internal/plandiff) predicts replacements from it; the twin diffs with the AWS
// table.
package replacement

import (
	"fmt"
	"slices"
	"strings"
)

// Verdict is what a change does to a resource.
type Verdict int

const (
	// InPlace is an update of the existing resource.
	InPlace Verdict = iota
	// Replaces creates a new resource and deletes the old one.
	Replaces
	// Unknown means the rules here cannot tell; the reason says why.
	Unknown
)

func (v Verdict) String() string {
	switch v {
	case InPlace:
		return "in place"
	case Replaces:
		return "replaces"
	}
	return "unknown"
}

// Of says what a change at path does to a resource of type typ. path is the input's property path
// as plandiff prints it (spec.template.spec.containers[0].image). The reason names the rule, for a
// reviewer: "forces replacement: amiType" or why it cannot tell.
func Of(typ, path string) (Verdict, string) {
	segments := Split(path)
	if len(segments) == 0 {
		return Unknown, "empty path"
	}
	switch {
	case strings.HasPrefix(typ, "pulumi:providers:"):
		return provider(typ, segments[0])
	case strings.HasPrefix(typ, "aws:"):
		return aws(typ, segments[0])
	case strings.HasPrefix(typ, "eks:"):
		return eks(typ, segments[0])
	case strings.HasPrefix(typ, "kubernetes:"):
		return kubernetes(typ, segments)
	}
	return Unknown, fmt.Sprintf("no replacement rules for %s", typ)
}

// Split cuts a property path into keys and "[n]" indexes: a.b[0].c is a, b, [0], c.
func Split(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			i := strings.IndexByte(part[1:], '[')
			if part[0] != '[' && i < 0 {
				out = append(out, part)
				break
			}
			if part[0] == '[' {
				end := strings.IndexByte(part, ']')
				if end < 0 {
					out = append(out, part)
					break
				}
				out = append(out, part[:end+1])
				part = part[end+1:]
				continue
			}
			out = append(out, part[:i+1])
			part = part[i+1:]
		}
	}
	return out
}

// provider: a provider whose configuration changes may be replaced, and every resource it manages
// with it; only pulumi-aws's region rule is known here.
func provider(typ, key string) (Verdict, string) {
	if typ == "pulumi:providers:aws" && key == "region" {
		// pulumi-aws replaces its provider when the region changes, and so every resource it manages.
		return Replaces, "forces replacement: region (and of every resource this provider manages)"
	}
	return Unknown, "a provider's configuration changed: if the provider is replaced, so is every resource it manages"
}

func contains(list []string, key string) bool { return slices.Contains(list, key) }
