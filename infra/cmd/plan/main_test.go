package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/plan"
)

// goldenAssembly builds a cloud assembly directory from the golden
// templates of case name (test/testdata), as `cdk synth` lays one out.
func goldenAssembly(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	artifacts := map[string]any{}
	for _, stack := range []string{"KinesisStack", "FifoStack"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", "test", "testdata", name, stack+".json"))
		if os.IsNotExist(err) && stack == "KinesisStack" {
			continue // the grouping-mode cases hold FifoStack only
		}
		if err != nil {
			t.Fatal(err)
		}
		file := stack + ".template.json"
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
		artifacts[stack] = map[string]any{"type": "aws:cloudformation:stack", "properties": map[string]any{"templateFile": file, "stackName": stack}}
	}
	manifest, _ := json.Marshal(map[string]any{"artifacts": artifacts})
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runPlan(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestBadInputExitsTwoAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	malformed := filepath.Join(dir, "bad-keys.txt")
	_ = os.WriteFile(malformed, []byte("2026-12-01 heavy\n"), 0o644)
	chart := filepath.Join(dir, "chart.svg")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown flag":     {[]string{"-shards", "4"}, "flag provided but not defined: -shards"},
		"stray argument":   {[]string{"prod"}, `unexpected argument "prod"`},
		"zero peak":        {[]string{"-peak", "0"}, "-peak 0: must be a positive"},
		"negative peak":    {[]string{"-peak", "-5"}, "-peak -5: must be a positive"},
		"negative average": {[]string{"-average", "-1"}, "-average -1"},
		"zero calls":       {[]string{"-calls-per-event", "0"}, "API calls per event = 0"},
		"missing keys":     {[]string{"-keys", filepath.Join(dir, "nope.txt")}, "keys file: open"},
		"malformed keys":   {[]string{"-keys", malformed}, `bad-keys.txt:1: weight "heavy"`},
		"keys and days":    {[]string{"-keys", malformed, "-days", "3"}, "-keys and -days/-start both given"},
		"bad start":        {[]string{"-start", "tomorrow"}, "-start \"tomorrow\""},
		"unknown env":      {[]string{"-env", "prd"}, `unknown environment "prd"`},
		"bad context":      {[]string{"-env", "prod", "-context", "-c kinesis.shardCount=0"}, "kinesis.shardCount"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runPlan(append(tc.args, "-chart", chart)...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != strings.Count(tc.want, "\n")+1+strings.Count(stderr, "\n  -") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, one message containing %q", code, stdout, stderr, tc.want)
			}
			if _, err := os.Stat(chart); !os.IsNotExist(err) {
				t.Errorf("a chart was written")
			}
		})
	}
}

func TestPlanFromGoldenAssembly(t *testing.T) {
	for _, tc := range []struct {
		name, env, context string
		groups             int
	}{
		{"prod", "prod", "", 14},
		// Static groups: which ones the periods reach is the rules' business;
		// every period must reach exactly one of the 3 + catch-all groups.
		{"fifo-groups-3", "dev", "-c fifo.messageGroups=3", 0},
		// One group (dev's default): every period shares it.
		{"fifo-groups-1", "dev", "-c fifo.messageGroups=1", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chart := filepath.Join(t.TempDir(), "load.svg")
			code, stdout, stderr := runPlan("-env", tc.env, "-context", tc.context, "-assembly", goldenAssembly(t, tc.name), "-start", "2026-12-01", "-json", "-chart", chart)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var p plan.Plan
			if err := json.Unmarshal([]byte(stdout), &p); err != nil {
				t.Fatalf("--json output does not parse: %v", err)
			}
			groupsOK := p.Fifo.GroupsUsed == tc.groups || (tc.groups == 0 && len(p.Fifo.Groups) == 4 && p.Fifo.GroupsUsed >= 1)
			if len(p.Kinesis.Keys) != 14 || len(p.Fifo.Keys) != 14 || !groupsOK || len(p.Cost) != 2 {
				t.Errorf("keys %d, FIFO groups used %d (want %d), cost %d", len(p.Kinesis.Keys), p.Fifo.GroupsUsed, tc.groups, len(p.Cost))
			}
			svg, err := os.ReadFile(chart)
			if err != nil || !bytes.Contains(svg, []byte("shardId-000000000000")) {
				t.Errorf("chart: %v", err)
			}
			// Every grouping mode, one group included, is isolated after
			// the same wait: the probe tells a broken period retried alone
			// from an outage.
			var isolated []plan.Wait
			for _, m := range p.Fifo.Blast.Modes {
				if m.WithIsolation == nil || m.WithIsolation.Until != p.Fifo.Blast.Modes[0].WithIsolation.Until {
					t.Errorf("FIFO mode %s: isolated %+v, want the same wait as every mode", m.Mode, m.WithIsolation)
					continue
				}
				isolated = append(isolated, *m.WithIsolation)
			}
			if len(isolated) < 2 || isolated[0] != isolated[len(isolated)-1] {
				t.Errorf("FIFO isolated waits by mode %+v: want 2 or more, all equal", isolated)
			}
			// The blast radius panel, ranges at their longest: the Kinesis
			// isolated wait, 180 s + one to three 20 s attempts, and the
			// FIFO isolated wait, the 1 s backoff + 180 s to the 240 s hold
			// + 180 s + one 60 s delay + one 20 s attempt, and the FIFO
			// outage, the 1 s backoff once + 9 × 200 s held to 10 × 240 s.
			for _, want := range []string{"Blast radius", "Kinesis, isolated</text>", ">4 min · from 3.3 min; then the isolated queue<", ">8.33 min · from 3.0 min; then the isolated queue<", ">40 min · from 30.0 min; held, then dead-lettered<"} {
				if !bytes.Contains(svg, []byte(want)) {
					t.Errorf("chart lacks %q", want)
				}
			}
		})
	}
}

func TestAssemblyOfAnotherEnvIsRefused(t *testing.T) {
	code, _, stderr := runPlan("-env", "staging", "-assembly", goldenAssembly(t, "prod"))
	if code != 1 || !strings.Contains(stderr, `synthesized for env "prod", not "staging"`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
