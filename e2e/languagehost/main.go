// Command languagehost is a stand-in for pulumi-language-go, which the Go module proxy here does not
// serve: the engine's language plugin for a program in a directory (a local-source stack). It builds
// the program with `go build` and runs it with the environment the Go SDK reads (sdk/v3
// go/pulumi/run.go, the Env* constants), as upstream's sdk/go/pulumi-language-go does. It is test
// machinery for the e2e tests that run the program from a directory, as a user does: the preview of
// the base branch, the interrupted runs and the broken copies of the program.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/constant"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engine string
}

func main() {
	// The engine passes flags, then its own address last.
	engine := ""
	if len(os.Args) > 1 {
		engine = os.Args[len(os.Args)-1]
	}
	h := &host{engine: engine}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{Init: func(s *grpc.Server) error {
		pulumirpc.RegisterLanguageRuntimeServer(s, h)
		return nil
	}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "languagehost: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "languagehost: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engine = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: "3.274.1"}, nil
}

// The providers are on PATH already; none is to be installed.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return nil
}

// Run builds the program in its directory and runs it against the engine's monitor.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	bin, done, err := buildProgram(ctx, dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	defer done()
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	run := exec.CommandContext(ctx, bin, req.GetArgs()...) //nolint:gosec // the program just built
	run.Dir = req.GetPwd()
	run.Stdout, run.Stderr = os.Stdout, os.Stderr
	run.Env = append(os.Environ(),
		pulumi.EnvProject+"="+req.GetProject(),
		pulumi.EnvStack+"="+req.GetStack(),
		pulumi.EnvOrganization+"="+req.GetOrganization(),
		pulumi.EnvConfig+"="+string(config),
		pulumi.EnvConfigSecretKeys+"="+string(secretKeys),
		pulumi.EnvParallel+"="+strconv.Itoa(int(req.GetParallel())),
		pulumi.EnvDryRun+"="+strconv.FormatBool(req.GetDryRun()),
		pulumi.EnvMonitor+"="+req.GetMonitorAddress(),
		pulumi.EnvEngine+"="+h.engine,
		pulumi.EnvPulumiRootDirectory+"="+req.GetInfo().GetRootDirectory(),
	)
	if err := run.Run(); err != nil {
		// A program that reported its error to the engine exits so (sdk/v3 go/pulumi/run.go); the
		// engine must not report it again.
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == constant.ExitStatusLoggedError {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("the program failed: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// ProgramCacheEnv names a directory that keeps built programs by a hash of their sources, so the
// engine's runs of one program (up, then the recovery's up and preview) build and link it once; the
// e2e suite sets it. pulumi-language-go builds on every run, and linking this program, with the AWS
// SDK in it, is the slow part of a build whose packages are cached. Unset, every run builds.
const ProgramCacheEnv = "EAN_LANGUAGEHOST_PROGRAM_CACHE"

// buildProgram builds the program in dir, or finds the build of the same sources in the cache. done
// removes a build that is not kept.
func buildProgram(ctx context.Context, dir string) (bin string, done func(), err error) {
	build := func(out string) error {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".") //nolint:gosec // out is the cache's or a temporary path, not input
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build in %s: %v\n%s", dir, err, out)
		}
		return nil
	}
	cache := os.Getenv(ProgramCacheEnv)
	if cache == "" {
		bin = filepath.Join(os.TempDir(), fmt.Sprintf("languagehost-program-%d", os.Getpid()))
		return bin, func() { _ = os.Remove(bin) }, build(bin) //nolint:gosec // a temporary path of our own
	}
	key, err := sourceHash(dir)
	if err != nil {
		return "", nil, fmt.Errorf("hashing the program in %s: %w", dir, err)
	}
	bin = filepath.Join(cache, "program-"+key)
	if _, err := os.Stat(bin); err == nil { //nolint:gosec // the suite's own cache directory
		return bin, func() {}, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil { //nolint:gosec // the suite's own cache directory
		return "", nil, err
	}
	// Built beside its name and renamed, so a run never finds half a binary.
	tmp := fmt.Sprintf("%s.%d", bin, os.Getpid())
	if err := build(tmp); err != nil {
		return "", nil, err
	}
	return bin, func() {}, os.Rename(tmp, bin) //nolint:gosec // the suite's own cache directory
}

// sourceHash is a hash of every file of the program's directory that goes into its build: all but
// .git and the stack settings (Pulumi.<stack>.yaml), which `pulumi config set` rewrites and the
// engine, not the binary, reads.
func sourceHash(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() && rel == ".git" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() || (filepath.Dir(rel) == "." && strings.HasPrefix(rel, "Pulumi.") && rel != "Pulumi.yaml") {
			return nil
		}
		data, err := os.ReadFile(path) //nolint:gosec // a file of the program directory the engine runs
		if err != nil {
			return err
		}
		// Name and length before the contents, so no two trees hash alike by shifting bytes.
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(data))
		h.Write(data)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}
