package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
)

func TestMain(m *testing.M) {
	if os.Getenv(checktest.CommandEnv) != "" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestNoCredentials(t *testing.T) {
	fake := checktest.Fake(t)
	stdout, stderr, code := checktest.RunCommand(t, []string{"AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL=" + fake.URL()},
		"-cdk-json="+checktest.CDKJSON(), "-env", "dev", "-stack", "fifo")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 2 || stdout != "" || len(lines) != 1 || !strings.HasPrefix(lines[0], "error: no AWS credentials found") {
		t.Errorf("exit %d, stdout %q, stderr %q: want 2 and one line saying credentials are missing", code, stdout, stderr)
	}
	if got := fake.Requests(); len(got) != 0 {
		t.Errorf("requests %v: want none", got)
	}
}

// A stack that is not deployed: one clear error, exit 2, nothing sent.
func TestStackNotDeployed(t *testing.T) {
	fake := checktest.Fake(t)
	env := []string{"AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL=" + fake.URL(), "AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=x", "AWS_MAX_ATTEMPTS=1"}
	_, stderr, code := checktest.RunCommand(t, env, "-cdk-json="+checktest.CDKJSON(), "-env", "prod")
	want := "error: smoke: stack orderly-prod-kinesis is not deployed in eu-west-1: run `npx cdk deploy KinesisStack -c env=prod` first (nothing was sent)"
	if code != 2 || strings.TrimSpace(stderr) != want {
		t.Errorf("exit %d, stderr %q: want 2 and %q", code, stderr, want)
	}
	for _, r := range fake.Requests() {
		if r.Service != "cloudformation" {
			t.Errorf("unexpected request %v", r)
		}
	}
}
