package stacks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// calicoIdentifiers name the Calico engine outside its package: its constant, and its component.
var calicoIdentifiers = []string{"PolicyEngineCalico", "NewCalicoPolicyEngine", "CalicoPolicyEngineArgs"}

// A policy engine is wired into the product in the places the README's "How to add a policy engine"
// lists, and no other: the files that name Calico, outside its own package, are exactly those. A new
// place that special-cases Calico fails here, so the list a new engine follows stays true.
func TestAPolicyEngineTouchesTheListedFilesOnly(t *testing.T) {
	want := []string{
		"components/calico.go",                 // its component
		"internal/blueprint/blueprint.go",      // its checks, if it has any (verify.PolicyInput)
		"internal/clusterspec/policyengine.go", // its entry in the engines' table
		"internal/config/config.go",            // its settings' field
		"internal/config/engines.go",           // its settings' entry: keys and validation
		"stacks/kubernetes.go",                 // its installer, if it runs in the cluster
	}
	var got []string
	for _, dir := range []string{"cmd", "components", "internal", "stacks"} {
		err := filepath.WalkDir(filepath.Join(projectDir, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(projectDir, path)
			if d.IsDir() && rel == filepath.Join("internal", "calico") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			names, err := namesCalico(path)
			if err != nil {
				return err
			}
			if names {
				got = append(got, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the files that name the Calico engine are\n  %s\nwant (README, \"How to add a policy engine\")\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// namesCalico says whether a Go file imports Calico's package or names its constant or component.
func namesCalico(path string) (bool, error) {
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return false, err
	}
	for _, imp := range file.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "eks-advanced-networking/internal/calico" {
			return true, nil
		}
	}
	found := false
	ast.Inspect(file, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && slices.Contains(calicoIdentifiers, id.Name) {
			found = true
		}
		return !found
	})
	return found, nil
}
