package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Defaults returns the configuration with every key at its default.
func Defaults() Config {
	var c Config
	for _, k := range Keys {
		if err := k.decode(&c, k.DefaultString()); err != nil {
			panic(fmt.Sprintf("default of %s does not decode: %v", k.Name, err)) // a programming error, caught by tests
		}
	}
	return c
}

// Decode reads raw stack configuration ("namespace:key" to value, structured values as JSON, as the
// Pulumi engine passes them), applies defaults and validates as of today. It reports every problem at
// once.
func Decode(raw map[string]string) (*Config, error) {
	return DecodeOn(raw, time.Now().UTC())
}

// DecodeOn is Decode on a given day: which Kubernetes versions EKS creates depends on the date.
func DecodeOn(raw map[string]string, today time.Time) (*Config, error) {
	c := Defaults()
	var errs []error
	for _, full := range slices.Sorted(maps.Keys(raw)) {
		value := raw[full]
		ns, name, ok := strings.Cut(full, ":")
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("config key %q has no namespace; write %s:%s", full, Project, full))
		case ns == Project:
			i := slices.IndexFunc(Keys, func(k Key) bool { return k.Name == name })
			if i < 0 {
				errs = append(errs, fmt.Errorf("unknown config key %s; valid keys are %s", full, strings.Join(keyNames(), ", ")))
				continue
			}
			if err := Keys[i].decode(&c, value); err != nil {
				errs = append(errs, KeyError(name, value, err.Error()))
			}
		case full == RegionKey:
			c.Region = value
		case full == ProfileKey:
			c.Profile = value
		case ns == "aws":
			errs = append(errs, fmt.Errorf("config key %s is not used: this program's explicit AWS provider reads only %s and %s; set other AWS settings through the environment (AWS_* variables)",
				full, RegionKey, ProfileKey))
		case ns == engineNamespace:
		default:
			errs = append(errs, fmt.Errorf("config key %s is in namespace %q, which this program does not read; use %s:<key> (valid keys: %s), %s or %s",
				full, ns, Project, strings.Join(keyNames(), ", "), RegionKey, ProfileKey))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.Validate(today); err != nil {
		return nil, err
	}
	return &c, nil
}
