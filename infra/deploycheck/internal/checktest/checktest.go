// Package checktest builds what the preflight and smoke tests share: an
// environment resolved from the repository's cdk.json, and an AWS
// configuration pointed at a loopback fakeaws server.
package checktest

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/sim/fakeaws"
)

// Region is the region of every test configuration.
const Region = "eu-west-1"

// CDKJSON is the repository's cdk.json.
func CDKJSON() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "cdk.json")
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
	}
}

// Fake starts a fake and stops it when the test ends.
func Fake(t testing.TB) *fakeaws.Server {
	fake := fakeaws.New()
	t.Cleanup(fake.Close)
	return fake
}
