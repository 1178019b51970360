package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/delivery"
	"github.com/orderly-dev/orderly/infra/plan"
	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/infra/synth"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// makePlan resolves the environment as the app does, reads the FIFO
// routing from the synthesized FifoStack, and plans.
func makePlan(ctx context.Context, o options, stderr io.Writer) (plan.Plan, error) {
	wd, err := os.Getwd()
	if err != nil {
		return plan.Plan{}, err
	}
	root, err := repo.Root(wd)
	if err != nil {
		return plan.Plan{}, err
	}
	cdkContext, err := config.LoadContext(filepath.Join(root, "cdk.json"), nil)
	if err != nil {
		return plan.Plan{}, err
	}
	contextArgs, err := synth.ContextArgs(o.context)
	if err != nil {
		return plan.Plan{}, badInput("%v", err)
	}
	cdkContext[config.EnvKey] = o.env
	for i := 1; i < len(contextArgs); i += 2 {
		k, v, _ := strings.Cut(contextArgs[i], "=")
		cdkContext[k] = v
	}
	cfg, err := config.Resolve(cdkContext)
	if err != nil {
		return plan.Plan{}, badInput("%v", err)
	}

	dir := o.assembly
	if dir == "" {
		if dir, err = os.MkdirTemp("", "orderly-plan-"); err != nil {
			return plan.Plan{}, err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(stderr, "plan: synthesizing env=%s to read FifoStack's routing (cdk synth, up to half a minute)...\n", strings.TrimSpace(o.env+" "+strings.Join(contextArgs, " ")))
		if err := synth.Run(ctx, root, o.env, contextArgs, dir); err != nil {
			return plan.Plan{}, err
		}
	}
	routing, inputs, err := readStacks(dir, cfg)
	if err != nil {
		return plan.Plan{}, err
	}
	return plan.Make(cfg, o.workload, routing, inputs)
}

// readStacks takes from the synthesized stacks what the planner must not
// re-derive: FIFO routing, the queue quotas that apply, the alarm counts.
func readStacks(dir string, cfg config.Config) (plan.FifoDelivery, plan.CostInputs, error) {
	var d plan.FifoDelivery
	var in plan.CostInputs
	stacks, err := assembly.Read(dir)
	if err != nil {
		return d, in, err
	}
	var fifo *assembly.Stack
	for i, s := range stacks {
		if s.Env != cfg.Env {
			return d, in, fmt.Errorf("%s in %s was synthesized for env %q, not %q", s.ID, dir, s.Env, cfg.Env)
		}
		alarms := len(s.Template.OfType("AWS::CloudWatch::Alarm"))
		keys, logGroups := len(s.Template.OfType("AWS::KMS::Key")), len(s.Template.OfType("AWS::Logs::LogGroup"))
		if len(s.Template.OfType("AWS::Kinesis::Stream")) > 0 {
			in.KinesisAlarms, in.KinesisKeys, in.KinesisLogGroups = alarms, keys, logGroups
		} else {
			in.FifoAlarms, in.FifoKeys, in.FifoLogGroups = alarms, keys, logGroups
			fifo = &stacks[i]
		}
	}
	if fifo == nil {
		return d, in, fmt.Errorf("no FifoStack in %s", dir)
	}
	settings, err := fifo.Template.Settings()
	if err != nil {
		return d, in, fmt.Errorf("%s: %w", fifo.ID, err)
	}
	if settings.Fifo == nil {
		return d, in, fmt.Errorf("%s has no FIFO queue", fifo.ID)
	}
	routes := settings.Fifo.Delivery
	d.Pipe = routes.PipeGroupIDPath != ""
	d.SendLimited = !routes.HighThroughput
	for _, r := range routes.Rules {
		if !d.Pipe && !slices.Contains(d.Groups, r.MessageGroupID) {
			d.Groups = append(d.Groups, r.MessageGroupID)
		}
	}
	source, detailType := cfg.Rule.Sources[0], schedule.DetailTypeUpserted
	if len(cfg.Rule.DetailTypes) > 0 {
		detailType = cfg.Rule.DetailTypes[0]
	}
	d.Route = func(key string) (string, error) {
		event, err := delivery.PeriodEvent(source, detailType, cfg.PeriodPath, key)
		if err != nil {
			return "", err
		}
		return delivery.FifoGroup(routes, event)
	}
	return d, in, nil
}
