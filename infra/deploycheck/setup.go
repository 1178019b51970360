package deploycheck

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
)

// Flags are the flags both commands share.
type Flags struct {
	Env       string
	Stack     string
	CDKJSON   string
	Overrides multiFlag
}

// Register adds the shared flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Env, "env", config.DefaultEnv, "environment in cdk.json")
	fs.StringVar(&f.Stack, "stack", config.KindKinesis, "stack: "+strings.Join(config.StackKinds, " or "))
	fs.StringVar(&f.CDKJSON, "cdk-json", "cdk.json", "the CDK app's cdk.json")
	fs.Var(&f.Overrides, "c", "context override key=value, as for cdk (repeatable)")
}

// Target is what both commands work on: the resolved environment, the
// stack kind and an AWS configuration whose credentials resolved.
type Target struct {
	Config config.Config
	Kind   string
	AWS    aws.Config
}

// Resolve validates the flags and the configuration first, then loads AWS
// credentials, so that bad input is reported before any AWS call, and
// missing credentials before any service call.
func (f Flags) Resolve(ctx context.Context) (Target, error) {
	if err := config.CheckKind(f.Stack); err != nil {
		return Target{}, err
	}
	context, err := config.LoadContext(f.CDKJSON, f.Overrides)
	if err != nil {
		return Target{}, err
	}
	context[config.EnvKey] = f.Env
	cfg, err := config.Resolve(context)
	if err != nil {
		return Target{}, err
	}
	awsCfg, err := awsenv.Load(ctx, cfg.Region)
	if err != nil {
		return Target{}, err
	}
	return Target{Config: cfg, Kind: f.Stack, AWS: awsCfg}, nil
}

// Main runs a deploy tool's run function with a context canceled by
// SIGINT or SIGTERM, and exits with its status.
func Main(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// ParseAndResolve parses args as the command name's flags: the shared ones
// and those extra registers. It then resolves the target. When ok is false
// the problem is on stderr and the command exits with status 2.
func ParseAndResolve(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (target Target, ok bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f Flags
	f.Register(fs)
	extra(fs)
	if err := fs.Parse(args); err != nil {
		return Target{}, false
	}
	target, err := f.Resolve(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return Target{}, false
	}
	return target, true
}

type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, " ") }

func (m *multiFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q: want key=value", v)
	}
	*m = append(*m, v)
	return nil
}
