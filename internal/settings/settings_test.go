package settings

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// An error names the key, quotes the value when there is one, and gives the reason; every error of
// a list is one line.
func TestErrors(t *testing.T) {
	errs := field.ErrorList{
		field.Invalid(field.NewPath("calicoVersion"), "3.33", "use v3.33.1"),
		field.Invalid(field.NewPath("calicoChartRepository"), "", "give a repository"),
	}
	const want = "config p:calicoVersion = \"3.33\": use v3.33.1\nconfig p:calicoChartRepository: give a repository"
	if got := Errors("config p:", errs); got == nil || got.Error() != want {
		t.Errorf("got %v\nwant %s", got, want)
	}
	if got := Errors("config p:", nil); got != nil {
		t.Errorf("no errors gave %v", got)
	}
}

func TestParse(t *testing.T) {
	if b, err := ParseBool("true"); err != nil || !b {
		t.Errorf("true: %v %v", b, err)
	}
	if _, err := ParseBool("yes"); err == nil {
		t.Error("yes is a boolean")
	}
	if n, err := ParseInt("3"); err != nil || n != 3 {
		t.Errorf("3: %v %v", n, err)
	}
	if _, err := ParseInt("three"); err == nil {
		t.Error("three is an integer")
	}
	if s, err := ParseStrings(`["a","b"]`); err != nil || len(s) != 2 || s[1] != "b" {
		t.Errorf("a list: %v %v", s, err)
	}
	if _, err := ParseStrings("a, b"); err == nil {
		t.Error("a, b is a JSON list")
	}
}
