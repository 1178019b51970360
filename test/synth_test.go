// Package test synthesizes orderly's stacks exactly as the CLI does (the
// context of cdk.json plus `-c` overrides, through infra/stacks.Build) and
// checks them: golden snapshots, fine-grained assertions, cdk-nag, the FIFO
// routing patterns, and the app's handling of bad configuration.
//
// The jsii runtime is not safe for concurrent use: no test here calls
// t.Parallel, and each synthesis is cached for the whole package run.
package test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/gobundle"
	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/infra/stacks"
)

var (
	moduleRoot string
	bundle     *gobundle.Bundle
	outRoot    string
	syntheses  = map[string]*synthesis{}
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	defer jsii.Close()
	var err error
	wd, _ := os.Getwd()
	if moduleRoot, err = repo.Root(wd); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if bundle, err = gobundle.New(gobundle.Props{ModuleRoot: moduleRoot}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer bundle.Cleanup()
	if outRoot, err = os.MkdirTemp("", "orderly-synth-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(outRoot)
	return m.Run()
}

// cdkContext returns the "context" of cdk.json, as the CLI passes it.
func cdkContext(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleRoot, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	return doc.Context
}

func environments(t testing.TB) []string {
	return slices.Sorted(maps.Keys(cdkContext(t)[config.EnvironmentsKey].(map[string]any)))
}

// synthesis is one App holding both stacks, checked by cdk-nag as it
// synthesizes.
type synthesis struct {
	cfg       config.Config
	app       awscdk.App
	stacks    map[string]awscdk.Stack
	templates map[string]map[string]any
}

// synth synthesizes env with CLI-style overrides (values as strings, as
// `-c key=value` delivers them), once per distinct input.
func synth(t testing.TB, env string, overrides map[string]string) *synthesis {
	t.Helper()
	key := env + fmt.Sprint(overrides)
	if s, ok := syntheses[key]; ok {
		return s
	}
	ctx := cdkContext(t)
	ctx[config.EnvKey] = env
	for k, v := range overrides {
		ctx[k] = v
	}
	cfg, err := config.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	outdir := filepath.Join(outRoot, fmt.Sprintf("synth-%d", len(syntheses)))
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	kinesis, fifo, err := stacks.Build(app, cfg, bundle.Code)
	if err != nil {
		t.Fatal(err)
	}
	s := synthesizeChecked(t, fmt.Sprint(env, " ", overrides), app, map[string]awscdk.Stack{stacks.KinesisStackID: kinesis, stacks.FifoStackID: fifo})
	s.cfg = cfg
	syntheses[key] = s
	return s
}

// synthesizeChecked attaches the AwsSolutions and Serverless cdk-nag packs
// to app, synthesizes it and reads back the templates of the stacks byID.
func synthesizeChecked(t testing.TB, name string, app awscdk.App, byID map[string]awscdk.Stack) *synthesis {
	t.Helper()
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	asm, err := synthesize(app)
	if err != nil {
		t.Fatalf("synth %s: %v", name, err)
	}
	s := &synthesis{app: app, stacks: byID, templates: map[string]map[string]any{}}
	for id := range byID {
		raw, err := os.ReadFile(filepath.Join(*asm.Directory(), id+".template.json"))
		if err != nil {
			t.Fatal(err)
		}
		var tmpl map[string]any
		if err := json.Unmarshal(raw, &tmpl); err != nil {
			t.Fatal(err)
		}
		s.templates[id] = tmpl
	}
	return s
}

// resources returns the template's resources of one type, by logical id.
func (s *synthesis) resources(stackID, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	res := s.templates[stackID]["Resources"].(map[string]any)
	for id, r := range res {
		rm := r.(map[string]any)
		if rm["Type"] == typ {
			props, _ := rm["Properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
			}
			out[id] = props
		}
	}
	return out
}

// only returns the single resource of a type, failing otherwise.
func (s *synthesis) only(t testing.TB, stackID, typ string) (string, map[string]any) {
	t.Helper()
	rs := s.resources(stackID, typ)
	if len(rs) != 1 {
		t.Fatalf("%s: want one %s, found %d", stackID, typ, len(rs))
	}
	for id, p := range rs {
		return id, p
	}
	return "", nil
}

func idsWithPrefix(m map[string]map[string]any, prefix string) []string {
	var out []string
	for id := range m {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// synthesize turns the panic jsii raises for a failed synth (for example an
// unsuppressed cdk-nag error, which the validation report makes fatal) into
// an error the test can report.
func synthesize(app awscdk.App) (asm cxapi.CloudAssembly, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return app.Synth(nil), nil
}
