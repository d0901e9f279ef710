// Package awstwin is a simulated AWS account for the engine to deploy into: the state of one
// account, the API's refusals with AWS's error codes and messages, and the outputs AWS would report.
// test/awstwin/cmd/pulumi-resource-aws serves it to the Pulumi engine as the provider of package aws, so a
// program runs through the real engine against it. It is a simulator: it knows the rules written
// here, each with its source, and nothing else of AWS.
//
// Its rules are its own, not the program's validation (internal/config, internal/netplan): the twin
// is there to catch what that validation misses.
package awstwin

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"eks-advanced-networking/test/awstwin/awsdata"
)

// Error is an AWS API error: the code and message AWS returns (EC2's <Code> and <Message>, IAM's,
// EKS's exception names).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func awsErr(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Record is one resource in the account.
type Record struct {
	Type    string         `json:"type"`
	ID      string         `json:"id"`
	Inputs  map[string]any `json:"inputs"`
	Outputs map[string]any `json:"outputs"`
	// DeletingUntil is set while a delete runs: the resource still exists (and still blocks what
	// depends on it) until then.
	DeletingUntil *time.Time `json:"deletingUntil,omitempty"`
	// CreatingUntil is set while a create runs: the resource exists but is not usable yet (an EKS
	// cluster CREATING, an internet gateway not yet attached), until its modelled create finishes.
	// Whatever uses it before then gets AWS's error, so a dependency edge the program forgot fails
	// whenever the dependent comes first, not only when AWS is slow.
	CreatingUntil *time.Time `json:"creatingUntil,omitempty"`
	// Owner is set on what an AWS service made by itself for another record (EKS's network
	// interfaces for a cluster, an instance's for its node group): no program manages it, it blocks
	// deletes like any other, and it goes when its owner's delete completes.
	Owner string `json:"owner,omitempty"`
}

// tagsAll are the tags AWS holds for the resource: the provider's default tags with its own
// (Provider.tagAll), or its own where no default tags were configured.
func (r *Record) tagsAll() any {
	if tags, ok := r.Outputs["tagsAll"]; ok {
		return tags
	}
	return r.Inputs["tags"]
}

func (r *Record) str(key string) string {
	if v, ok := r.Inputs[key].(string); ok {
		return v
	}
	if v, ok := r.Outputs[key].(string); ok {
		return v
	}
	return ""
}

// Refusal is a request the account refused, kept so a run can tell whether anything was refused.
type Refusal struct {
	Operation string `json:"operation"`
	Type      string `json:"type"`
	ID        string `json:"id,omitempty"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// Account is the simulated account's state.
type Account struct {
	Region   string `json:"region"`
	Sequence int    `json:"sequence"`
	// NodeCount numbers the nodes node groups have registered, so every node gets its own address.
	NodeCount int                `json:"nodeCount"`
	Resources map[string]*Record `json:"resources"`
	// Instances are the EC2 instances node groups launched, by id (instances.go).
	Instances map[string]*Instance `json:"instances,omitempty"`
	Refusals  []Refusal            `json:"refusals"`
	// EvictionsRefused counts the evictions a PodDisruptionBudget refused (429) during drains, which
	// the drains then tried again: how often a budget held a node group change up.
	EvictionsRefused int `json:"evictionsRefused,omitempty"`
	// Operations are the account's creates and deletes with their wall-clock times, for timing reports.
	Operations []Operation `json:"operations,omitempty"`
	// ApiServer backs the account's EKS clusters: their endpoint and certificate authority are a
	// real API server's (the e2e suite's), so kubeconfigs built from them work. Empty: made-up ones.
	ApiServer ApiServer `json:"apiServer"`
	// AmiRelease is the EKS AMI release the public SSM parameters point at (awsdata.AmiReleases);
	// empty is the newest. A test moves it to model AWS publishing a new AMI between two runs.
	AmiRelease string `json:"amiRelease,omitempty"`

	// checkUserData is the provider's user-data check (NodeadmEnv); nil checks nothing.
	checkUserData func(userData string) error
}

// Operation is one create or delete the account carried out, and when.
type Operation struct {
	Op    string    `json:"op"`
	Type  string    `json:"type"`
	ID    string    `json:"id"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// ApiServer is a Kubernetes API server the simulated clusters answer with.
type ApiServer struct {
	Endpoint string `json:"endpoint,omitempty"`
	// PublicEndpoint is the EndpointGate in front of it, which the clusters report as their
	// endpoint: the deployer's way in.
	PublicEndpoint string `json:"publicEndpoint,omitempty"`
	// CertificateAuthority is base64 PEM, as EKS reports it.
	CertificateAuthority string `json:"certificateAuthority,omitempty"`
	// Deployer is the public address pulumi runs from, which endpoint access CIDRs must allow.
	Deployer string `json:"deployer,omitempty"`
}

// NewAccount is an empty account in region.
func NewAccount(region string) *Account {
	return &Account{Region: region, Resources: map[string]*Record{}}
}

// AccountID is the simulated account's id: the caller's, from STS's documented example.
var AccountID = awsdata.Caller().Account

// nextID gives an id of AWS's shape for a prefix (vpc, subnet, igw, ...): 17 hex digits.
func (a *Account) nextID(prefix string) string {
	a.Sequence++
	return fmt.Sprintf("%s-%017x", prefix, 0x0a000000000000+a.Sequence)
}

// live are the records of a type that exist (deleting ones included: they still block).
func (a *Account) live(typ string, match func(*Record) bool) []*Record {
	var out []*Record
	for _, id := range a.sortedIDs() {
		r := a.Resources[id]
		if r.Type == typ && (match == nil || match(r)) {
			out = append(out, r)
		}
	}
	return out
}

func (a *Account) sortedIDs() []string {
	ids := make([]string, 0, len(a.Resources))
	for id := range a.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// get is a record of one of types by id, or AWS's not-found error for the first type.
func (a *Account) get(id string, types ...string) (*Record, *Error) {
	if r, ok := a.Resources[id]; ok && slices.Contains(types, r.Type) {
		return r, nil
	}
	return nil, notFound(types[0], id)
}

// Settle finishes the creates and deletes whose time has come.
func (a *Account) Settle(now time.Time) {
	for _, id := range a.sortedIDs() {
		r := a.Resources[id]
		if r.DeletingUntil != nil && !now.Before(*r.DeletingUntil) {
			delete(a.Resources, id)
			continue
		}
		if r.CreatingUntil != nil && !now.Before(*r.CreatingUntil) {
			r.CreatingUntil = nil
		}
	}
}

// usable: the resource's create has finished and its delete has not begun.
func (r *Record) usable() bool { return r.CreatingUntil == nil && r.DeletingUntil == nil }

// Summary lists what the account holds, for a test's message: type and id, sorted.
func (a *Account) Summary() []string {
	var out []string
	for _, id := range a.sortedIDs() {
		out = append(out, a.Resources[id].Type+" "+id)
	}
	return out
}

// kind is the resource kind in a type token: aws:ec2/vpc:Vpc -> Vpc.
func kind(typ string) string {
	return typ[strings.LastIndex(typ, ":")+1:]
}
