// Command infra is the orderly CDK app (see cdk.json). It resolves and
// validates the configuration before any construct exists, so invalid
// context exits non-zero with nothing written.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/gobundle"
	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/infra/stacks"
)

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	context, _ := app.Node().GetAllContext(nil).(map[string]any)
	cfg, err := config.Resolve(context)
	if err != nil {
		return err
	}
	bundle, err := consumerBundle()
	if err != nil {
		return err
	}
	defer bundle.Cleanup()
	if _, _, err := stacks.Build(app, cfg, bundle.Code); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// consumerBundle builds the consumer up front, so a missing toolchain or a
// compile error is reported before any asset is staged.
func consumerBundle() (*gobundle.Bundle, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	root, err := repo.Root(wd)
	if err != nil {
		return nil, err
	}
	bundle, err := gobundle.New(gobundle.Props{ModuleRoot: root})
	if err != nil {
		return nil, err
	}
	if _, err := bundle.Build(); err != nil {
		return nil, err
	}
	return bundle, nil
}
