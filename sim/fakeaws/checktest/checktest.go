// Package checktest builds what the preflight and smoke tests share: an
// environment resolved from the repository's cdk.json, and an AWS
// configuration pointed at a loopback fakeaws server.
package checktest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/lambda/sdkhttp"
	"github.com/orderly-dev/orderly/sim/fakeaws"
)

// Region is the region of every test configuration.
const Region = "eu-west-1"

// CDKJSON is the repository's cdk.json.
func CDKJSON() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "cdk.json")
}

// Config resolves env from cdk.json with key=value overrides.
func Config(t testing.TB, env string, overrides ...string) config.Config {
	t.Helper()
	ctx, err := config.LoadContext(CDKJSON(), overrides)
	if err != nil {
		t.Fatal(err)
	}
	ctx[config.EnvKey] = env
	cfg, err := config.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// AWS returns a configuration whose every client reaches fake, with static
// credentials and no retries (a fake's error is final).
func AWS(fake *fakeaws.Server) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", ""),
		BaseEndpoint: aws.String(fake.URL()),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:   sdkhttp.Client(),
	}
}

// Fake starts a fake and stops it when the test ends.
func Fake(t testing.TB) *fakeaws.Server {
	fake := fakeaws.New()
	t.Cleanup(fake.Close)
	return fake
}

// CommandEnv is the variable that makes a command's test binary run the
// command instead of its tests (see RunCommand).
const CommandEnv = "ORDERLY_RUN_COMMAND"

// Command is the current test binary set up to run as the command, in an
// environment holding nothing of the caller's: HOME is an empty directory,
// no AWS_* variable is set but extra, and the instance metadata service is
// off, so the credential chain has nothing to find unless extra provides
// it. The test binary's TestMain must call the command when CommandEnv is
// set.
func Command(t testing.TB, extra []string, args ...string) *exec.Cmd {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append([]string{
		CommandEnv + "=1",
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
	}, extra...)
	return cmd
}

// RunCommand runs Command to its end.
func RunCommand(t testing.TB, extra []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := Command(t, extra, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}
