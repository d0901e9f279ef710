package plandiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// Pair is a change a user makes to a stack, for the golden previews (stacks tests) and for the
// comparison with the real engine's preview on the AWS twin (e2e): the stack as its file says, then
// as HeadStackFile's file plus HeadConfig says.
type Pair struct {
	Name  string `json:"name"`
	About string `json:"about"`
	// Stack is the stack's name on both sides, and the stack file of the base.
	Stack string `json:"stack"`
	// HeadStackFile is the stack file the head reads (Stack's own, or another preset's).
	HeadStackFile string `json:"headStackFile"`
	// HeadConfig is set over HeadStackFile's configuration, "namespace:key" to value.
	HeadConfig map[string]string `json:"headConfig"`
	// RefusedOnARunningStack is a part of the program's refusal when the base already runs: a change
	// AWS would refuse there is refused at preview. The offline preview, of a fresh account, still
	// shows what the head plans.
	RefusedOnARunningStack string `json:"refusedOnARunningStack,omitempty"`
}

// LoadPairs reads a JSON list of pairs; unknown fields are errors.
func LoadPairs(path string) ([]Pair, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the pairs file the caller named
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var pairs []Pair
	if err := dec.Decode(&pairs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pairs, nil
}
