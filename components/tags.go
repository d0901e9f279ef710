package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// nameTags are AWS tags: Name, then each map in turn (later maps win).
func nameTags(name string, maps ...map[string]string) pulumi.StringMap {
	t := pulumi.StringMap{"Name": pulumi.String(name)}
	for _, m := range maps {
		for k, v := range m {
			t[k] = pulumi.String(v)
		}
	}
	return t
}
