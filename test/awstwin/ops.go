package awstwin

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"eks-advanced-networking/internal/replacement"
)

// handler is what the twin knows of one resource type.
type handler struct {
	// prefix starts the type's ids (vpc, subnet, ...).
	prefix string
	// create checks a new resource against the account, AWS's way, and fills in its outputs.
	create func(a *Account, r *Record) *Error
	// update checks and applies an in-place change; nil means every change replaces.
	update func(a *Account, old, r *Record) *Error
	// delete refuses while something still depends on the resource.
	delete func(a *Account, r *Record) *Error
	// took is the modelled duration of a create and of a delete (see durations.go).
	took durations
}

var handlers = map[string]handler{}

func register(typ string, h handler) { handlers[typ] = h }

// Simulated lists the resource types the twin simulates, sorted.
func Simulated() []string {
	return slices.Sorted(maps.Keys(handlers))
}

func lookup(typ string) (handler, *Error) {
	h, ok := handlers[typ]
	if !ok {
		return handler{}, awsErr("NotSimulated", "the AWS twin does not simulate %s; test/awstwin lists what it does", typ)
	}
	return h, nil
}

func (a *Account) refuse(op, typ, id string, err *Error) *Error {
	a.Refusals = append(a.Refusals, Refusal{Operation: op, Type: typ, ID: id, Code: err.Code, Message: err.Message})
	return err
}

// Create makes a resource of typ from its inputs, or refuses as AWS would.
func (a *Account) Create(typ string, inputs map[string]any) (*Record, *Error) {
	h, err := lookup(typ)
	if err != nil {
		return nil, a.refuse("create", typ, "", err)
	}
	r := &Record{Type: typ, ID: a.nextID(h.prefix), Inputs: inputs, Outputs: map[string]any{}}
	if err := h.create(a, r); err != nil {
		return nil, a.refuse("create", typ, "", err)
	}
	a.Resources[r.ID] = r
	return r, nil
}

// Update changes a resource in place.
func (a *Account) Update(typ, id string, inputs map[string]any) (*Record, *Error) {
	h, err := lookup(typ)
	if err != nil {
		return nil, a.refuse("update", typ, id, err)
	}
	old, err := a.get(id, typ)
	if err != nil {
		return nil, a.refuse("update", typ, id, err)
	}
	if h.update == nil {
		return nil, a.refuse("update", typ, id, awsErr("NotSimulated", "the AWS twin has no in-place update of %s; its changes replace it", typ))
	}
	r := &Record{Type: typ, ID: id, Inputs: inputs, Outputs: maps.Clone(old.Outputs)}
	if err := h.update(a, old, r); err != nil {
		return nil, a.refuse("update", typ, id, err)
	}
	a.Resources[id] = r
	return r, nil
}

// Delete starts deleting a resource: it is gone at now + took, and blocks what it blocks until
// then. A resource already gone is not an error (the engine may retry a delete).
func (a *Account) Delete(typ, id string, now time.Time, took time.Duration) *Error {
	h, err := lookup(typ)
	if err != nil {
		return a.refuse("delete", typ, id, err)
	}
	r, ok := a.Resources[id]
	if !ok || r.Type != typ {
		return nil
	}
	if r.DeletingUntil != nil {
		return nil
	}
	if h.delete != nil {
		if err := h.delete(a, r); err != nil {
			return a.refuse("delete", typ, id, err)
		}
	}
	until := now.Add(took)
	r.DeletingUntil = &until
	for _, owned := range a.ownedBy(r.ID) {
		if owned.DeletingUntil == nil {
			owned.DeletingUntil = &until
		}
	}
	a.Settle(now)
	return nil
}

// ReplaceOnChanges are the inputs of typ a change to which replaces the resource: pulumi-aws's
// ForceNew, from the table the offline preview predicts with too.
func ReplaceOnChanges(typ string) []string {
	list, _ := replacement.AWSForceNew(typ)
	return list
}

// dependents describes what blocks a delete: "a subnet (subnet-…)", sorted, or nothing.
func dependents(records ...[]*Record) []string {
	var out []string
	for _, rs := range records {
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s %s", kind(r.Type), r.ID))
		}
	}
	sort.Strings(out)
	return out
}
