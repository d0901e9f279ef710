package awstwin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	corev1 "k8s.io/api/core/v1"
)

// Version is the pulumi-aws version the twin stands in for, the one go.mod pins.
const Version = "6.83.4"

// The environment the provider reads.
const (
	// StateEnv names the JSON file that holds the simulated account across runs (`pulumi up`, then
	// `pulumi destroy`, are separate provider processes).
	StateEnv = "EAN_AWS_TWIN_STATE"
	// ApiServerEnv and ApiServerCaEnv name a real API server (its URL, and its certificate authority
	// as base64 PEM) that the simulated EKS clusters answer with.
	ApiServerEnv   = "EAN_AWS_TWIN_API_SERVER"
	ApiServerCaEnv = "EAN_AWS_TWIN_API_SERVER_CA"
	// TokenEnv is the bearer token the API server behind the clusters accepts (what the stand-in aws
	// CLI's get-token prints), with which node groups register their nodes.
	TokenEnv = "EAN_AWS_TWIN_TOKEN" //nolint:gosec // G101: the variable's name, not a credential
	// DeployerEnv is the public address the deployer runs from (default DefaultDeployer): a
	// cluster's endpoint answers only if its access CIDRs allow it (EndpointGate).
	DeployerEnv = "EAN_AWS_TWIN_DEPLOYER"
	// DefaultDeployer is the address the golden plans allow.
	DefaultDeployer = "198.51.100.7"
	// NodeadmEnv names the nodeadm binary the twin checks node user data with (`nodeadm config
	// check`). Unset, user data is not checked, which the e2e suite never leaves it.
	NodeadmEnv = "EAN_AWS_TWIN_NODEADM"
	// TimeScaleEnv scales the modelled durations (durations.go): 1 is AWS's pace, 1/60 a minute per
	// second, 0 (the default) no waiting.
	TimeScaleEnv = "EAN_AWS_TWIN_TIME_SCALE"
)

// Provider is the twin as a Pulumi resource provider for the package aws.
type Provider struct {
	plugin.UnimplementedProvider
	statePath string
	scale     float64
	region    string
	// defaultTags are the provider's defaultTags, which pulumi-aws adds to the tags of every resource
	// it creates or updates (its tagsAll, which AWS then holds).
	defaultTags map[string]any
	now         func() time.Time
	sleep       func(time.Duration)
	// checkUserData checks a node's user data as nodeadm would read it; nil checks nothing.
	checkUserData func(userData string) error
	// drainPatience is how long a drain waits for a node's pods to leave; zero is drainPatience.
	drainPatience time.Duration
}

// NewProvider reads the environment; it fails without a state file to keep the account in.
func NewProvider() (*Provider, error) {
	path := os.Getenv(StateEnv)
	if path == "" {
		return nil, fmt.Errorf("the AWS twin keeps its account in a file: set %s", StateEnv)
	}
	scale := 0.0
	if s := os.Getenv(TimeScaleEnv); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%s = %q: want a number of at least 0, e.g. 0.0167 for a minute per second", TimeScaleEnv, s)
		}
		scale = v
	}
	p := &Provider{statePath: path, scale: scale, region: "us-east-1", now: time.Now, sleep: time.Sleep}
	if nodeadm := os.Getenv(NodeadmEnv); nodeadm != "" {
		p.checkUserData = NodeadmUserDataCheck(nodeadm)
	}
	return p, nil
}

// LoadAccount reads the account a state file holds (nil if none yet).
func LoadAccount(path string) (*Account, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // the state file the caller names
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(raw) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var a Account
	return &a, json.Unmarshal(raw, &a)
}

// ReadAccount reads the account in a state file under a shared lock of the file, so never while
// UpdateAccount rewrites it in place (nil if none yet).
func ReadAccount(path string) (*Account, error) {
	f, err := os.Open(path) //nolint:gosec // the state file the caller names
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH); err != nil {
		return nil, err
	}
	defer func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }()
	return LoadAccount(path)
}

// withAccount runs fn on the account as the provider sees it now: with the API server it answers
// for, and the deletes that are due done.
func (p *Provider) withAccount(fn func(a *Account) error) error {
	return UpdateAccount(p.statePath, p.region, func(a *Account) error {
		a.ApiServer = ApiServer{Endpoint: os.Getenv(ApiServerEnv), PublicEndpoint: os.Getenv(PublicEndpointEnv),
			CertificateAuthority: os.Getenv(ApiServerCaEnv), Deployer: os.Getenv(DeployerEnv)}
		if a.ApiServer.Deployer == "" {
			a.ApiServer.Deployer = DefaultDeployer
		}
		a.Settle(p.now())
		a.checkUserData = p.checkUserData
		return fn(a)
	})
}

// UpdateAccount runs fn on the account in the state file at path (a new one in region if there is
// none) under an exclusive lock of the file, and saves it. The lock serialises the engine's parallel
// requests, other provider processes of the same run, and what stands in for AWS's own services.
func UpdateAccount(path, region string, fn func(a *Account) error) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // the state file the twin is configured with
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return err
	}
	defer func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }()
	a, err := LoadAccount(path)
	if err != nil {
		return fmt.Errorf("reading the twin's state %s: %w", path, err)
	}
	if a == nil {
		a = NewAccount(region)
	}
	fnErr := fn(a)
	raw, err := json.MarshalIndent(a, "", " ")
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(raw, 0); err != nil {
		return err
	}
	return fnErr
}

// GetPluginInfo reports pulumi-aws's version.
func (p *Provider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v := semver.MustParse(Version)
	return plugin.PluginInfo{Version: &v}, nil
}

// CheckConfig accepts the provider's configuration as given.
func (p *Provider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	return plugin.CheckConfigResponse{Properties: req.News}, nil
}

// DiffConfig replaces the provider when its region changes, as pulumi-aws does.
func (p *Provider) DiffConfig(_ context.Context, req plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	if !req.OldInputs["region"].DeepEquals(req.NewInputs["region"]) {
		return plugin.DiffResult{Changes: plugin.DiffSome, ReplaceKeys: []resource.PropertyKey{"region"}}, nil
	}
	return plugin.DiffResult{Changes: plugin.DiffNone}, nil
}

// Configure takes the region and the default tags.
func (p *Provider) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	if v, ok := req.Inputs["region"]; ok && v.IsString() {
		p.region = v.StringValue()
	}
	if v, ok := req.Inputs["defaultTags"]; ok {
		tags, err := defaultTags(v)
		if err != nil {
			return plugin.ConfigureResponse{}, err
		}
		p.defaultTags = tags
	}
	return plugin.ConfigureResponse{}, nil
}

// defaultTags reads the provider's defaultTags ({tags: {...}}), which the engine passes as an object
// or, as SDKs encode a provider's nested config, a JSON string.
func defaultTags(v resource.PropertyValue) (map[string]any, error) {
	var config struct {
		Tags map[string]any `json:"tags"`
	}
	switch {
	case v.IsString() && v.StringValue() != "":
		if err := json.Unmarshal([]byte(v.StringValue()), &config); err != nil {
			return nil, fmt.Errorf("the AWS twin reads defaultTags as {\"tags\": {...}}: %w", err)
		}
	case v.IsObject():
		tags, _ := v.ObjectValue().Mappable()["tags"].(map[string]any)
		config.Tags = tags
	}
	return config.Tags, nil
}

// tagAll gives the record the tags AWS holds for it: the provider's default tags, then its own over
// them (pulumi-aws's tagsAll).
func (p *Provider) tagAll(r *Record) {
	tags, ok := r.Inputs["tags"].(map[string]any)
	if !ok && len(p.defaultTags) == 0 {
		return
	}
	all := map[string]any{}
	maps.Copy(all, p.defaultTags)
	maps.Copy(all, tags)
	r.Outputs["tagsAll"] = all
}

// autonamed are the inputs pulumi-aws names after the resource when the program does not.
var autonamed = map[string]string{
	typeSecurityGroup: "name", typeLaunchTemplate: "name", typeRole: "name", typeCluster: "name", typeNodeGroup: "nodeGroupName",
}

// defaultsKey lists the inputs Check filled in, as pulumi-terraform-bridge records them.
const defaultsKey = "__defaults"

// Check fills in autonamed names, kept across updates, and records that it did.
func (p *Provider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	news := req.News.Copy()
	if key, ok := autonamed[string(req.Type)]; ok && !news.HasValue(resource.PropertyKey(key)) {
		if old, ok := req.Olds[resource.PropertyKey(key)]; ok && old.IsString() {
			news[resource.PropertyKey(key)] = old
		} else {
			sum := sha256.Sum256(append([]byte(req.URN), req.RandomSeed...))
			news[resource.PropertyKey(key)] = resource.NewProperty(req.Name + "-" + hex.EncodeToString(sum[:4])[:7])
		}
		news[defaultsKey] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(key)})
	}
	return plugin.CheckResponse{Properties: news}, nil
}

// namedByTheProgram says whether a resource's unique name came from the program, not from Check:
// replacing it must then delete the old one first, since both cannot exist at once
// (pulumi-terraform-bridge's Diff does the same for a name the user set).
func namedByTheProgram(typ string, inputs resource.PropertyMap) bool {
	key, ok := autonamed[typ]
	if !ok || !inputs.HasValue(resource.PropertyKey(key)) {
		return false
	}
	if d, ok := inputs[defaultsKey]; ok && d.IsArray() {
		for _, v := range d.ArrayValue() {
			if v.IsString() && v.StringValue() == key {
				return false
			}
		}
	}
	return true
}

// Diff compares inputs: a change to one AWS cannot make in place replaces the resource.
func (p *Provider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	var changed, replaced []resource.PropertyKey
	keys := map[resource.PropertyKey]bool{}
	for k := range req.OldInputs {
		keys[k] = true
	}
	for k := range req.NewInputs {
		keys[k] = true
	}
	forceNew := ReplaceOnChanges(string(req.Type))
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if strings.HasPrefix(string(k), "__") || slices.Contains(req.IgnoreChanges, string(k)) {
			continue
		}
		before, after := req.OldInputs[k], req.NewInputs[k]
		if !after.ContainsUnknowns() && before.DeepEquals(after) {
			continue
		}
		changed = append(changed, k)
		if slices.Contains(forceNew, string(k)) {
			replaced = append(replaced, k)
		}
	}
	if len(changed) == 0 {
		return plugin.DiffResult{Changes: plugin.DiffNone}, nil
	}
	return plugin.DiffResult{Changes: plugin.DiffSome, ChangedKeys: changed, ReplaceKeys: replaced,
		DeleteBeforeReplace: len(replaced) > 0 && namedByTheProgram(string(req.Type), req.NewInputs)}, nil
}

// plain turns engine values into JSON-able ones; secrets and known outputs lose their wrapping.
func plain(m resource.PropertyMap) map[string]any {
	return m.MapRepl(nil, func(v resource.PropertyValue) (any, bool) {
		switch {
		case v.IsSecret():
			return v.SecretValue().Element.Mappable(), true
		case v.IsOutput():
			return v.OutputValue().Element.Mappable(), true
		case v.IsResourceReference():
			// A resource passed where its id goes (pulumi-eks passes roles so): the id, as pulumi-aws uses.
			if id, ok := v.ResourceReferenceValue().IDString(); ok {
				return id, true
			}
			return string(v.ResourceReferenceValue().URN), true
		}
		return nil, false
	})
}

func (p *Provider) state(r *Record) resource.PropertyMap {
	out := resource.NewPropertyMapFromMap(r.Inputs)
	for k, v := range r.Outputs {
		out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
	if tags := r.tagsAll(); tags != nil {
		out["tagsAll"] = resource.NewPropertyValue(tags)
	}
	return out
}

// apiError is how pulumi-aws reports an AWS error (the AWS SDK for Go v2's "api error Code: Message").
func apiError(op, typ string, err *Error) error {
	return fmt.Errorf("%s %s: operation error (AWS twin), api error %s: %s", op, kind(typ), err.Code, err.Message)
}

// Create makes the resource, then waits the modelled time: the resource exists meanwhile, as it does
// on AWS while it is pending, but is not usable until the time is up (Record.CreatingUntil).
func (p *Provider) Create(_ context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	if req.Preview {
		return plugin.CreateResponse{Properties: req.Properties}, nil
	}
	var rec *Record
	took, _ := Took(string(req.Type), p.scale)
	err := p.withAccount(func(a *Account) error {
		r, awsErr := a.Create(string(req.Type), plain(req.Properties))
		if awsErr != nil {
			return apiError("creating", string(req.Type), awsErr)
		}
		p.tagAll(r)
		if took > 0 {
			until := p.now().Add(took)
			r.CreatingUntil = &until
		}
		rec = r
		return nil
	})
	if err != nil {
		return plugin.CreateResponse{Status: resource.StatusOK}, err
	}
	start := p.now()
	p.sleep(took)
	if err := p.record("create", string(req.Type), rec.ID, start); err != nil {
		return plugin.CreateResponse{Status: resource.StatusOK}, err
	}
	if err := p.finishCreate(rec.ID); err != nil {
		return plugin.CreateResponse{Status: resource.StatusOK}, err
	}
	if string(req.Type) == typeAddon {
		if err := p.corednsInCluster(rec.ID, false); err != nil {
			// The add-on exists: the engine records it with the error, so a destroy finds it.
			state := p.state(rec)
			return plugin.CreateResponse{ID: resource.ID(rec.ID), Properties: state, Status: resource.StatusPartialFailure},
				initializationFailure(rec.ID, state, err)
		}
	}
	if string(req.Type) == typeNodeGroup {
		launch := func(a *Account, ng *Record) nodeChange { return nodeChange{added: a.NodesFor(ng)} }
		if rec, err = p.changeNodes(rec.ID, nil, launch); err != nil {
			return plugin.CreateResponse{Status: resource.StatusOK}, err
		}
	}
	return plugin.CreateResponse{ID: resource.ID(rec.ID), Properties: p.state(rec), Status: resource.StatusOK}, nil
}

// Read returns the resource as the account holds it, or nothing once it is gone.
func (p *Provider) Read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	var rec *Record
	err := p.withAccount(func(a *Account) error {
		if r, ok := a.Resources[string(req.ID)]; ok && r.DeletingUntil == nil {
			rec = r
		}
		return nil
	})
	if err != nil || rec == nil {
		return plugin.ReadResponse{Status: resource.StatusOK}, err
	}
	return plugin.ReadResponse{ReadResult: plugin.ReadResult{
		ID: req.ID, Inputs: resource.NewPropertyMapFromMap(rec.Inputs), Outputs: p.state(rec),
	}, Status: resource.StatusOK}, nil
}

// Update changes the resource in place.
func (p *Provider) Update(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	if req.Preview {
		// The planned state: the new inputs over the old outputs. pulumi-aws bridges Terraform's plan,
		// which keeps a computed attribute's prior value unless the resource marks it new-computed
		// (terraform-plugin-sdk helper/schema, schemaMap.Diff); so an updated cluster keeps its
		// endpoint and certificate, and what is built from them (pulumi-eks's kubeconfig) stays known.
		props := req.OldOutputs.Copy()
		for k, v := range req.NewInputs {
			props[k] = v
		}
		for _, k := range newComputedOnUpdate(string(req.Type), req.OldInputs, req.NewInputs) {
			props[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewStringProperty(""))
		}
		return plugin.UpdateResponse{Properties: props}, nil
	}
	if string(req.Type) == typeNodeGroup && !nodeGroupUpdateSends(plain(req.OldInputs), plain(req.OldOutputs), plain(req.NewInputs)) {
		// pulumi-aws sends nothing: the bridge diffs the new inputs against the old state, and with no
		// Terraform diff it returns the old state without a call (pulumi-terraform-bridge
		// pkg/tfbridge/provider.go, Update). So it goes after a version update that failed, whose
		// state already holds the planned values.
		return plugin.UpdateResponse{Properties: req.OldOutputs, Status: resource.StatusOK}, nil
	}
	var rec *Record
	err := p.withAccount(func(a *Account) error {
		r, awsErr := a.Update(string(req.Type), string(req.ID), plain(req.NewInputs))
		if awsErr != nil {
			return apiError("updating", string(req.Type), awsErr)
		}
		p.tagAll(r)
		rec = r
		return nil
	})
	if err != nil {
		return plugin.UpdateResponse{Status: resource.StatusOK}, err
	}
	if string(req.Type) == typeAddon {
		if err := p.corednsInCluster(rec.ID, false); err != nil {
			return plugin.UpdateResponse{Status: resource.StatusOK}, err
		}
	}
	if string(req.Type) == typeNodeGroup {
		// A version update replaces the nodes as a rolling update does: the new nodes first, then the
		// old ones drained and gone (EKS User Guide, "Managed node update behavior"). A configuration
		// update keeps them (rollsNodes): new labels and taints on them, and nodes added or drained for
		// a new size, the last launched first, which keeps the zones balanced as the Auto Scaling group
		// does. The nodes the group has are the account's: after an update that failed, the engine's
		// state still names the nodes before it, and some of those are gone while new ones came.
		var oldLabels map[string]string
		change := func(a *Account, ng *Record) nodeChange {
			return nodeChange{added: a.NodesFor(ng), removed: stringList(ng.Outputs["nodeNames"])}
		}
		if !rollsNodes(plain(req.OldInputs), plain(req.NewInputs)) {
			oldLabels = groupLabels(plain(req.OldInputs))
			change = func(a *Account, ng *Record) nodeChange {
				current := stringList(ng.Outputs["nodeNames"])
				keep := min(desiredSize(ng), len(current))
				return nodeChange{kept: current[:keep], added: a.nodesFor(ng, len(current), desiredSize(ng)), removed: current[keep:], scaleIn: true}
			}
		}
		var failed *versionUpdateFailed
		if rec, err = p.changeNodes(rec.ID, oldLabels, change); errors.As(err, &failed) {
			return p.failedVersionUpdate(rec, plain(req.OldInputs), plain(req.OldOutputs)["version"], failed)
		} else if err != nil {
			return plugin.UpdateResponse{Status: resource.StatusOK}, err
		}
	}
	return plugin.UpdateResponse{Properties: p.state(rec), Status: resource.StatusOK}, nil
}

// nodeGroupUpdateSends says whether pulumi-aws sends EKS anything for a node group: whether the
// inputs give a value the state (olds) does not hold, or drop one the old inputs gave. The bridge
// diffs the new inputs against the state, and Terraform diffs configuration against state.
func nodeGroupUpdateSends(oldInputs, olds, news map[string]any) bool {
	for k, v := range news {
		if k != defaultsKey && !reflect.DeepEqual(olds[k], v) {
			return true
		}
	}
	for k := range oldInputs {
		if _, kept := news[k]; !kept {
			return true
		}
	}
	return false
}

// versionUpdateFailed is a node group version update EKS failed (PodEvictionFailure).
type versionUpdateFailed struct{ error }

// failedVersionUpdate answers a node group version update EKS failed as pulumi-aws does: the error,
// with the planned state (the new inputs) as a partial failure, which the engine records with the
// error as the resource's initialization error. terraform-provider-aws's resourceNodeGroupUpdate
// returns at the failed wait without reading the group back and sets no partial mode, so the SDK's
// state holds the planned values (terraform-plugin-sdk v2 helper/schema Resource.Apply,
// ResourceData.State), and the bridge returns that state with the error. So a later `up` finds no
// change to send; a refresh reads the group from EKS. EKS's own record keeps the release, Kubernetes
// version and launch template the group ran before the update: what DescribeNodegroup reports after
// a failed version update is not documented, and this is the reading under which a refresh shows the
// update again (assumed, not seen).
func (p *Provider) failedVersionUpdate(rec *Record, oldInputs map[string]any, oldVersion any, failed *versionUpdateFailed) (plugin.UpdateResponse, error) {
	planned := p.state(rec)
	if err := p.withAccount(func(a *Account) error {
		r := a.Resources[rec.ID]
		if r == nil {
			return nil
		}
		r.Inputs = maps.Clone(r.Inputs)
		for _, k := range []string{"launchTemplate", "releaseVersion", "version"} {
			if v, ok := oldInputs[k]; ok {
				r.Inputs[k] = v
			} else {
				delete(r.Inputs, k)
			}
		}
		r.Outputs["version"] = oldVersion
		return nil
	}); err != nil {
		return plugin.UpdateResponse{Status: resource.StatusOK}, err
	}
	return plugin.UpdateResponse{Properties: planned, Status: resource.StatusPartialFailure}, initializationFailure(rec.ID, planned, failed)
}

// initializationFailure is a failure after which the resource exists with state, as the engine takes
// it: only as the RPC error the bridge sends (pulumi-terraform-bridge pkg/tfbridge/provider.go,
// initializationError). The SDK's provider server passes a plain error on and drops the state, so
// a partial status with a plain error leaves the engine without the resource.
func initializationFailure(id string, state resource.PropertyMap, err error) error {
	props, merr := plugin.MarshalProperties(state, plugin.MarshalOptions{})
	if merr != nil {
		return errors.Join(err, merr)
	}
	return rpcerror.WithDetails(rpcerror.New(codes.Unknown, err.Error()),
		&pulumirpc.ErrorResourceInitFailed{Id: id, Properties: props, Reasons: []string{err.Error()}})
}

// newComputedOnUpdate are the outputs an update's plan marks unknown, as the resource's Terraform
// CustomizeDiff does. A launch template's latestVersion (and defaultVersion, when updateDefaultVersion
// is set) whenever anything but its name, description or default version changes
// (terraform-provider-aws internal/service/ec2/ec2_launch_template.go, customdiff.ComputedIf): so a
// node group that names the latest version shows an update at preview.
func newComputedOnUpdate(typ string, olds, news resource.PropertyMap) []string {
	// A VPC's IPv6 block and its association when assignGeneratedIpv6CidrBlock changes
	// (internal/service/ec2/vpc_.go, resourceVPCCustomizeDiff): the subnets' /64s are planned from it.
	if typ == typeVpc {
		if !olds["assignGeneratedIpv6CidrBlock"].DeepEquals(news["assignGeneratedIpv6CidrBlock"]) {
			return []string{"ipv6AssociationId", "ipv6CidrBlock"}
		}
		return nil
	}
	if typ != typeLaunchTemplate {
		return nil
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	for k := range keys {
		switch k {
		case "name", "namePrefix", "description", "defaultVersion", "updateDefaultVersion", defaultsKey:
			continue
		}
		if !news[k].DeepEquals(olds[k]) {
			if v := news["updateDefaultVersion"]; v.IsBool() && v.BoolValue() {
				return []string{"defaultVersion", "latestVersion"}
			}
			return []string{"latestVersion"}
		}
	}
	return nil
}

// finishCreate is the end of a create, once its modelled time is up: a node group's instances have
// booted and try to join (join.go), a CoreDNS add-on's pods want nodes (checkAddonHealthy). If that
// fails, EKS marks the resource CREATE_FAILED or DEGRADED and pulumi-aws's waiter reports it. The
// twin then removes it: it returns the failure as a plain error, for which the engine records no
// resource, so one left in the account would be one no destroy could remove. On AWS it stays until
// deleted; what the next up meets then is not modelled.
func (p *Provider) finishCreate(id string) error {
	return p.withAccount(func(a *Account) error {
		r := a.Resources[id]
		if r == nil {
			return nil
		}
		var awsErr *Error
		switch r.Type {
		case typeNodeGroup:
			awsErr = a.checkNodesCanJoin(r)
		case typeAddon:
			awsErr = a.checkAddonHealthy(r)
		}
		if awsErr == nil {
			return nil
		}
		a.dropOwnedENIs(id)
		delete(a.Resources, id)
		return apiError("creating", r.Type, a.refuse("create", r.Type, id, awsErr))
	})
}

// nodeChange is what an event does to a node group's nodes: those it keeps, launches, and drains and
// terminates. A scale-in terminates a node its drain could not empty, as a delete does; a rolling
// update fails instead (kubeClient.unregister).
type nodeChange struct {
	kept    []string
	added   []*corev1.Node
	removed []string
	scaleIn bool
}

// changeNodes carries out a change to a node group's nodes on the API server behind its cluster, when
// there is one, as EKS does: the launched nodes register first, the kept ones take the group's
// labels and taints (replacing oldLabels), then the removed ones are drained and go. plan says what
// changes, from the account as it is. A rolling update whose drain a PodDisruptionBudget holds up
// fails with PodEvictionFailure; the nodes it had not removed stay the group's, beside the new ones.
func (p *Provider) changeNodes(id string, oldLabels map[string]string, plan func(a *Account, ng *Record) nodeChange) (*Record, error) {
	var rec *Record
	var change nodeChange
	var api ApiServer
	err := p.withAccount(func(a *Account) error {
		rec = a.Resources[id]
		if rec == nil || a.ApiServer.Endpoint == "" {
			return nil
		}
		api = a.ApiServer
		change = plan(a, rec)
		a.trackNodes(rec, change)
		return nil
	})
	if err != nil || api.Endpoint == "" {
		return rec, err
	}
	client, err := newKubeClient(api, os.Getenv(TokenEnv))
	if err != nil {
		return rec, err
	}
	if err := client.relabel(change.kept, oldLabels, groupLabels(rec.Inputs), groupTaints(rec.Inputs)); err != nil {
		return rec, fmt.Errorf("updating node group %s's nodes: %w", id, err)
	}
	if err := client.register(change.added); err != nil {
		return rec, fmt.Errorf("registering node group %s's nodes: %w", id, err)
	}
	drained := p.unregisterNodes(change.removed, change.scaleIn)
	var failure *evictionFailure
	if drained != nil && !errors.As(drained, &failure) {
		return rec, drained
	}
	return rec, p.withAccount(func(a *Account) error {
		if rec = a.Resources[id]; rec == nil {
			return nil
		}
		if failure != nil {
			a.keepNodes(rec, failure.left)
			return &versionUpdateFailed{apiError("updating", typeNodeGroup, a.refuse("update", typeNodeGroup, id, podEvictionFailure(rec, failure)))}
		}
		return nil
	})
}

// podEvictionFailure is how pulumi-aws reports a node group version update EKS failed because pods
// did not leave their node: the update's status Failed with the error code PodEvictionFailure (EKS
// API reference, ErrorDetail; terraform-provider-aws internal/service/eks/node_group.go,
// waitNodegroupUpdateSuccessful). The twin adds which pods stayed where.
func podEvictionFailure(ng *Record, failure *evictionFailure) *Error {
	return awsErr("PodEvictionFailure", "waiting for EKS Node Group (%s:%s) version update: unexpected state 'Failed', wanted target 'Successful'. last error: PodEvictionFailure: Reached max retries while trying to evict pods from nodes in node group %s (%v)",
		ng.str("clusterName"), ng.str("nodeGroupName"), ng.str("nodeGroupName"), failure)
}

// unregisterNodes drains nodes and removes them from the API server behind the clusters, and
// terminates their instances. force says what a drain that runs out of patience does:
// terminate the node anyway (a delete, a scale-in), or fail (a rolling update: an *evictionFailure,
// the nodes it left in place named).
func (p *Provider) unregisterNodes(names []string, force bool) error {
	if len(names) == 0 {
		return nil
	}
	var api ApiServer
	if err := p.withAccount(func(a *Account) error { api = a.ApiServer; return nil }); err != nil {
		return err
	}
	client, err := newKubeClient(api, os.Getenv(TokenEnv))
	if err != nil {
		return err
	}
	client.patience = p.drainPatience
	drained := client.unregister(names, force)
	gone := names
	var failure *evictionFailure
	if errors.As(drained, &failure) {
		gone = names[:len(names)-len(failure.left)]
	}
	if err := p.withAccount(func(a *Account) error { a.terminateInstances(gone); a.EvictionsRefused += client.refused; return nil }); err != nil {
		return err
	}
	return drained
}

// Delete starts the delete, which AWS refuses while dependents exist, and waits until it is done.
// A node group's nodes leave the API server with it.
func (p *Provider) Delete(_ context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	if string(req.Type) == typeNodeGroup {
		// The nodes the account holds for the group: after a failed update they are not the ones the
		// engine's state names.
		nodes := stringList(plain(req.Outputs)["nodeNames"])
		if err := p.withAccount(func(a *Account) error {
			if r := a.Resources[string(req.ID)]; r != nil && r.Outputs["nodeNames"] != nil {
				nodes = stringList(r.Outputs["nodeNames"])
			}
			return nil
		}); err != nil {
			return plugin.DeleteResponse{Status: resource.StatusOK}, err
		}
		if err := p.unregisterNodes(nodes, true); err != nil {
			return plugin.DeleteResponse{Status: resource.StatusOK}, fmt.Errorf("removing node group %s's nodes: %w", req.ID, err)
		}
	}
	if string(req.Type) == typeAddon {
		if err := p.corednsInCluster(string(req.ID), true); err != nil {
			return plugin.DeleteResponse{Status: resource.StatusOK}, err
		}
	}
	_, took := Took(string(req.Type), p.scale)
	window := time.Duration(float64(dependencyRetryWindow[string(req.Type)]) * p.scale)
	deadline := p.now().Add(window)
	for {
		retry := false
		err := p.withAccount(func(a *Account) error {
			awsErr := a.Delete(string(req.Type), string(req.ID), p.now(), took)
			if awsErr == nil {
				return nil
			}
			if awsErr.Code == "DependencyViolation" && p.now().Before(deadline) {
				// pulumi-aws tries again; a refusal it gets through is not one the program met.
				a.Refusals = a.Refusals[:len(a.Refusals)-1]
				retry = true
				return nil
			}
			return apiError("deleting", string(req.Type), awsErr)
		})
		if err != nil {
			return plugin.DeleteResponse{Status: resource.StatusOK}, err
		}
		if !retry {
			break
		}
		p.sleep(max(window/100, time.Millisecond))
	}
	start := p.now()
	p.sleep(took)
	return plugin.DeleteResponse{Status: resource.StatusOK}, p.record("delete", string(req.Type), string(req.ID), start)
}

// dependencyRetryWindow is how long pulumi-aws keeps retrying a delete that EC2 refuses with
// DependencyViolation, as terraform-provider-aws does (internal/service/ec2): a subnet for its delete
// timeout of 20 minutes (vpc_subnet.go, resourceSubnetDelete), a security group for its 15
// (vpc_security_group.go, resourceSecurityGroupDelete: one minute, then the rest), a VPC for
// vpcDeletedTimeout, 5 minutes (vpc_.go, resourceVPCDelete). Whatever still holds the resource when
// the window ends fails the delete.
var dependencyRetryWindow = map[string]time.Duration{
	typeSubnet: 20 * time.Minute, typeSecurityGroup: 15 * time.Minute, typeVpc: 5 * time.Minute,
}

// record notes a finished create or delete (and lets the account settle the deletes now due).
func (p *Provider) record(op, typ, id string, start time.Time) error {
	end := p.now()
	return p.withAccount(func(a *Account) error {
		a.Operations = append(a.Operations, Operation{Op: op, Type: typ, ID: id, Start: start, End: end})
		return nil
	})
}

// Invoke answers the data sources the program and pulumi-eks read (datasources.go).
func (p *Provider) Invoke(_ context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
	var out map[string]any
	err := p.withAccount(func(a *Account) error {
		answer, awsErr := a.Answer(string(req.Tok), plain(req.Args))
		if awsErr != nil {
			return apiError("reading", string(req.Tok), awsErr)
		}
		out = answer
		return nil
	})
	if err != nil {
		return plugin.InvokeResponse{}, err
	}
	return plugin.InvokeResponse{Properties: resource.NewPropertyMapFromMap(out)}, nil
}
