package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// StackFiles are a project and one of its stacks, loaded with the Pulumi SDK's own loaders.
type StackFiles struct {
	Project *workspace.Project
	Stack   *workspace.ProjectStack
	// Config is what the engine would hand the program: the stack file's values, then the project's
	// defaults (and fixed values) for keys the stack leaves unset, "namespace:key" to string, structured
	// values as JSON.
	Config map[string]string
}

// LoadStack reads dir/Pulumi.yaml and dir/Pulumi.<stack>.yaml.
func LoadStack(dir, stack string) (*StackFiles, error) {
	project, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "Pulumi."+stack+".yaml")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("stack %q: %w (stack files: %s)", stack, err, strings.Join(StackNames(dir), ", "))
	}
	ps, err := workspace.LoadProjectStack(nil, project, path)
	if err != nil {
		return nil, err
	}
	raw := map[string]string{}
	for key, value := range ps.Config {
		if value.Secure() {
			return nil, fmt.Errorf("%s: %s is a secret, which the offline plan cannot decrypt", path, key)
		}
		v, err := value.Value(config.NopDecrypter)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, key, err)
		}
		raw[key.String()] = v
	}
	for name, declared := range project.Config {
		key := name
		if !strings.Contains(name, ":") {
			key = string(project.Name) + ":" + name
		}
		if _, set := raw[key]; set {
			continue
		}
		fallback := declared.Default
		if fallback == nil {
			fallback = declared.Value
		}
		if fallback == nil {
			continue
		}
		s, err := engineString(fallback)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", filepath.Join(dir, "Pulumi.yaml"), name, err)
		}
		raw[key] = s
	}
	return &StackFiles{Project: project, Stack: ps, Config: raw}, nil
}

// engineString renders a YAML value as the engine passes it to programs: strings as they are,
// everything else as JSON.
func engineString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// StackNames lists the stacks that have a Pulumi.<name>.yaml in dir, sorted.
func StackNames(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	return names
}
