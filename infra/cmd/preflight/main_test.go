package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/deploycheck/preflight"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
)

func TestMain(m *testing.M) {
	if os.Getenv(checktest.CommandEnv) != "" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func cdkJSON() string { return "-cdk-json=" + checktest.CDKJSON() }

// Without credentials: one line saying so, a non-zero exit, and no request
// anywhere (every endpoint points at the fake, which counts them).
func TestNoCredentials(t *testing.T) {
	fake := checktest.Fake(t)
	stdout, stderr, code := checktest.RunCommand(t, []string{"AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL=" + fake.URL()}, cdkJSON(), "-env", "dev")
	if code == 0 || stdout != "" {
		t.Errorf("exit %d, stdout %q: want non-zero and nothing on stdout", code, stdout)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: no AWS credentials found") {
		t.Errorf("stderr %q: want one line saying credentials are missing", stderr)
	}
	if got := fake.Requests(); len(got) != 0 {
		t.Errorf("requests %v: want none", got)
	}
}

func TestBadInput(t *testing.T) {
	fake := checktest.Fake(t)
	env := []string{"AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL=" + fake.URL(), "AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=x"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-env", "qa"}, `unknown environment "qa": choose one of dev, prod, staging`},
		{[]string{"-stack", "sqs"}, `unknown stack "sqs": choose kinesis or fifo`},
		{[]string{"-c", "kinesis.shardCount=0"}, "kinesis.shardCount"},
	}
	for _, tc := range tests {
		_, stderr, code := checktest.RunCommand(t, env, append([]string{cdkJSON()}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q: want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if got := fake.Requests(); len(got) != 0 {
		t.Errorf("requests %v: want none", got)
	}
}

// With credentials from the environment and the SDK's endpoint override,
// the command runs every check; dev's example URL fails it.
func TestReportsThroughEndpointOverride(t *testing.T) {
	fake := checktest.Fake(t)
	fake.PutStack(fakeaws.Stack{Name: preflight.ToolkitStackName, Outputs: map[string]string{"BootstrapVersion": "28"}})
	fake.PutSecret(fakeaws.Secret{Name: "orderly/dev/schedule-api-key", Value: "k"})
	fake.SetLambdaAccount(fakeaws.LambdaAccount{ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000})
	fake.SetKinesisLimits(fakeaws.KinesisLimits{ShardLimit: 500})
	env := []string{"AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL=" + fake.URL(), "AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=x", "AWS_MAX_ATTEMPTS=1"}
	stdout, stderr, code := checktest.RunCommand(t, env, cdkJSON(), "-env", "dev")
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"fail  api-base-url          function.apiBaseUrl", "ok    api-key-secret", "ok    event-bus-rules       the stack's bus orderly-dev: 0 + 1 = 1", "preflight FAIL: orderly-dev-kinesis"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, code = checktest.RunCommand(t, env, cdkJSON(), "-env", "dev", "-json", "-c", "function.apiBaseUrl=https://api.acme.io")
	if code != 0 || !strings.Contains(stdout, `"ok": true`) {
		t.Errorf("-json with a real URL: exit %d\n%s", code, stdout)
	}
}
