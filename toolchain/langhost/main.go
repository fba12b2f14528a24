// pulumi-language-nodejs for burrow.
//
// Pulumi's own Node.js language host (module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not served by
// the Go module proxy these machines reach, so burrow builds this small one instead.
// It implements the part of the LanguageRuntime gRPC service that `pulumi up`,
// `preview`, `destroy` and `refresh` need: report the plugins a program requires and
// run the program with @pulumi/pulumi's own runner (node_modules/@pulumi/pulumi/cmd/run),
// passing the same flags and environment variables the upstream host passes.
// Everything else answers Unimplemented, which the CLI treats as "older host".
//
// Like upstream's host it checks the engine's health (rpcutil.Healthcheck) and stops when
// the engine is gone: a CLI killed with SIGKILL cannot stop its plugins, and the Node
// program would otherwise be left running against a dead engine. Stopping kills the
// program first, then the host exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Version is stamped at build time (-ldflags -X main.Version=...) to the CLI's version.
var Version = "0.0.0-dev"

// Exit code @pulumi/pulumi's runner uses after it has already printed a user-facing error.
const exitAfterLoggedError = 32

// How often the engine's health is checked. Upstream checks every 5 minutes; burrow's
// programs change brokers, so a program left running against a dead CLI should stop within
// seconds. A check is one RPC on 127.0.0.1.
const engineHealthInterval = 2 * time.Second

func main() {
	engineAddress, tracing := parseArgs(os.Args[1:])
	node, err := exec.LookPath("node")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs: `node` is not on PATH; run scripts/bootstrap")
		os.Exit(1)
	}
	// Cancelled when the engine stops answering, or on SIGINT/SIGTERM.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, engineHealthInterval, cancel); err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: cannot check the engine's health at %s: %v\n", engineAddress, err)
			os.Exit(1)
		}
	}
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel() // restore default signal handling: a second Ctrl-C ends us at once
		close(stop)
	}()
	// On stop the server ends gracefully: it waits for Run, whose program is killed by then.
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{node: node, engine: engineAddress, tracing: tracing, stop: ctx})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	// The CLI reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

// parseArgs accepts what the CLI passes: [--logtostderr] [-v=N] [--tracing URL] ENGINE_ADDRESS.
func parseArgs(args []string) (engine, tracing string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--tracing" || a == "-tracing":
			if i+1 < len(args) {
				tracing = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--tracing=") || strings.HasPrefix(a, "-tracing="):
			tracing = a[strings.Index(a, "=")+1:]
		case strings.HasPrefix(a, "-"):
			// logging flags: nothing to do, the runner logs through the engine
		default:
			if engine == "" {
				engine = a
			}
		}
	}
	return engine, tracing
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	node    string
	engine  string
	tracing string
	// Done when the host stops (the engine is gone): every program it runs is killed.
	stop context.Context
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// GetRequiredPlugins lists the node_modules packages that declare `"pulumi": {"resource": true}`.
func (h *host) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd() //nolint:staticcheck
	}
	plugins, err := pluginsIn(filepath.Join(dir, "node_modules"))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func pluginsIn(nodeModules string) ([]*pulumirpc.PluginDependency, error) {
	entries, err := os.ReadDir(nodeModules)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []*pulumirpc.PluginDependency
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "@") {
			scoped, err := os.ReadDir(filepath.Join(nodeModules, name))
			if err != nil {
				return nil, err
			}
			for _, s := range scoped {
				if p := pluginOf(filepath.Join(nodeModules, name, s.Name(), "package.json")); p != nil {
					out = append(out, p)
				}
			}
		} else if p := pluginOf(filepath.Join(nodeModules, name, "package.json")); p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func pluginOf(packageJSON string) *pulumirpc.PluginDependency {
	b, err := os.ReadFile(packageJSON)
	if err != nil {
		return nil
	}
	var pkg struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Pulumi  struct {
			Resource bool   `json:"resource"`
			Name     string `json:"name"`
			Version  string `json:"version"`
			Server   string `json:"server"`
		} `json:"pulumi"`
	}
	if json.Unmarshal(b, &pkg) != nil || !pkg.Pulumi.Resource {
		return nil
	}
	name, version := pkg.Pulumi.Name, pkg.Pulumi.Version
	if name == "" {
		name = strings.TrimPrefix(strings.TrimPrefix(pkg.Name, "@pulumi/"), "@")
	}
	if version == "" {
		version = pkg.Version
	}
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	return &pulumirpc.PluginDependency{Name: name, Kind: "resource", Version: version, Server: pkg.Pulumi.Server}
}

// Run starts `node node_modules/@pulumi/pulumi/cmd/run ... PROGRAM` and waits for it.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = filepath.Join(programDir, "node_modules", "@pulumi", "pulumi", "cmd", "run")
	}
	if _, err := os.Stat(runPath); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"@pulumi/pulumi is not installed in %s (looked for %s): run `npm ci` or scripts/bootstrap", programDir, runPath)}, nil
	}

	args := []string{runPath}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("root-directory", info.GetRootDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		add("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	add("tracing", h.tracing)
	entry := req.GetProgram()
	if e := info.GetEntryPoint(); e != "" {
		entry = e
	}
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cfg, err := configJSON(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(nonNil(req.GetConfigSecretKeys()))
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	// Linux caps one environment string at 128 KiB (MAX_ARG_STRLEN): a stack config larger than
	// that (some 2,000 queues with bindings) made `node` fail to start ("argument list too
	// long"). Then the config goes through a private file that a preloaded script reads into
	// process.env.PULUMI_CONFIG (where @pulumi/pulumi reads it) and deletes at once: it holds
	// the config's decrypted secrets.
	var preload []string
	if len(cfg) > configEnvLimit {
		dir, err := os.MkdirTemp("", "burrow-program-config-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		cfgFile, preloadFile := filepath.Join(dir, "config.json"), filepath.Join(dir, "preload.js")
		if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(preloadFile, []byte(configPreload), 0o600); err != nil {
			return nil, err
		}
		env = append(env, "BURROW_PULUMI_CONFIG_FILE="+cfgFile)
		preload = []string{"--require", preloadFile}
	} else {
		env = append(env, "PULUMI_CONFIG="+cfg)
	}
	opts := info.GetOptions().AsMap()
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(optBool(opts, "typescript", true)))
	if tsconfig, ok := opts["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	if nodeargs, ok := opts["nodeargs"].(string); ok && nodeargs != "" {
		args = append(strings.Fields(nodeargs), args...)
	}
	args = append(preload, args...)

	// The program dies with the request (the CLI hung up) or with the host (the engine is gone).
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	defer context.AfterFunc(h.stop, cancelRun)()
	cmd := exec.CommandContext(runCtx, h.node, args...)
	cmd.Dir = programDir
	cmd.Stdout, cmd.Stderr, cmd.Env = os.Stdout, os.Stderr, env
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitAfterLoggedError {
				// The program already reported its error through the engine.
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node (%s): %v", h.node, err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// configEnvLimit: above this many bytes the config goes through a file (see Run).
const configEnvLimit = 64 * 1024

// configPreload reads the config file into the environment before @pulumi/pulumi loads, and
// removes the file and its name from the environment.
const configPreload = `const fs = require("fs");
const file = process.env.BURROW_PULUMI_CONFIG_FILE;
if (file) {
    process.env.PULUMI_CONFIG = fs.readFileSync(file, "utf8");
    fs.rmSync(file, { force: true });
    delete process.env.BURROW_PULUMI_CONFIG_FILE;
}
`

// configJSON turns `project:key` config into the JSON map the Node.js runtime reads.
func configJSON(in map[string]string) (string, error) {
	out := make(map[string]string, len(in))
	for k, v := range in {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		out[key.Namespace()+":"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func optBool(opts map[string]any, name string, def bool) bool {
	if v, ok := opts[name].(bool); ok {
		return v
	}
	return def
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
