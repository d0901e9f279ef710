package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// config decodes and composes the features' settings and holds the rules between them; what the
// settings imply is derived by the features' own functions, called from internal/blueprint. So this
// package takes from a feature's package only its types, constants, variables (its keys) and the
// methods of its types (Settings.Validate and the like), never one of its functions: a function
// call here fails the test, naming the file.
func TestConfigCallsNoFeatureFunction(t *testing.T) {
	const module = "eks-advanced-networking/"
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	funcs := map[string][]string{} // a feature package's import path, to its functions
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		imported := map[string]string{} // the name a file uses for a feature package, to its path
		for _, imp := range file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(path, module+"internal/") || path == module+"internal/settings" {
				continue // the shared key helpers belong to no feature
			}
			local := filepath.Base(path)
			if imp.Name != nil {
				local = imp.Name.Name
			}
			imported[local] = path
			if _, ok := funcs[path]; !ok {
				funcs[path] = packageFunctions(t, filepath.Join("..", "..", strings.TrimPrefix(path, module)))
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); ok {
				if path, ok := imported[pkg.Name]; ok && slices.Contains(funcs[path], sel.Sel.Name) {
					t.Errorf("%s calls %s.%s, a function of %s: derive or check it in internal/blueprint", name, pkg.Name, sel.Sel.Name, path)
				}
			}
			return true
		})
	}
	if len(funcs) == 0 {
		t.Fatal("found no feature package imported; the test reads the wrong directory")
	}
}

// packageFunctions are the names of a package's functions (not methods).
func packageFunctions(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				names = append(names, fn.Name.Name)
			}
		}
	}
	return names
}
