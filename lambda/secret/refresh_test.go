package secret_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/orderly-dev/orderly/lambda/secret"
)

// rotatingSecret is an in-process GetSecretValueAPI whose value the test
// rotates.
type rotatingSecret struct {
	mu    sync.Mutex
	value string
	reads int
}

func (r *rotatingSecret) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads++
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(r.value)}, nil
}

func (r *rotatingSecret) rotate(v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.value = v
}

func TestRefreshPicksUpARotatedKeyAtMostOncePerInterval(t *testing.T) {
	ctx := context.Background()
	src := &rotatingSecret{value: "k1"}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	p := secret.FromSecretsManager(src, "orderly/dev/schedule-api-key")
	p.MinRefreshInterval = time.Minute
	p.Now = func() time.Time { return now }

	if k, err := p.APIKey(ctx); err != nil || k != "k1" {
		t.Fatalf("APIKey = %q, %v; want k1", k, err)
	}
	src.rotate("k2")
	// The first refusal re-reads at once, even right after the first read.
	if changed, err := p.Refresh(ctx, "k1"); err != nil || !changed {
		t.Fatalf("Refresh after rotation = %v, %v; want changed", changed, err)
	}
	if k, _ := p.APIKey(ctx); k != "k2" {
		t.Fatalf("APIKey after refresh = %q, want k2", k)
	}
	// A partition refused with the old key moments later: no second read,
	// but it learns that the key has already changed.
	reads := src.reads
	if changed, err := p.Refresh(ctx, "k1"); err != nil || !changed {
		t.Errorf("Refresh with the old key within the interval = %v, %v; want changed (k2 is cached)", changed, err)
	}
	// Refused with the current key within the interval: nothing new to try.
	if changed, err := p.Refresh(ctx, "k2"); err != nil || changed {
		t.Errorf("Refresh with the current key within the interval = %v, %v; want unchanged", changed, err)
	}
	if src.reads != reads {
		t.Errorf("Secrets Manager read %d more times within the interval, want 0", src.reads-reads)
	}
	// After the interval the secret is read again.
	src.rotate("k3")
	now = now.Add(time.Minute)
	if changed, err := p.Refresh(ctx, "k2"); err != nil || !changed {
		t.Fatalf("Refresh after the interval = %v, %v; want changed", changed, err)
	}
	if k, _ := p.APIKey(ctx); k != "k3" {
		t.Fatalf("APIKey = %q, want k3", k)
	}
}

func TestStaticKeyNeverRefreshes(t *testing.T) {
	if changed, err := secret.Static("local").Refresh(context.Background(), "local"); changed || err != nil {
		t.Fatalf("static Refresh = %v, %v; want unchanged, nil", changed, err)
	}
}

// failingSecret fails every read, counting them.
type failingSecret struct{ reads int }

func (f *failingSecret) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.reads++
	return nil, errors.New("ThrottlingException")
}

// While Secrets Manager fails, every partition's 401 must not become
// another call: a failed read counts against the interval too.
func TestFailedRefreshesAreRateLimitedToo(t *testing.T) {
	src := &failingSecret{}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	p := secret.FromSecretsManager(src, "orderly/dev/schedule-api-key")
	p.MinRefreshInterval = time.Minute
	p.Now = func() time.Time { return now }
	for range 5 {
		if changed, _ := p.Refresh(context.Background(), "k1"); changed {
			t.Fatal("a failing secret store reported a new key")
		}
	}
	if src.reads != 1 {
		t.Errorf("Secrets Manager was called %d times within the interval, want 1", src.reads)
	}
	now = now.Add(time.Minute)
	_, _ = p.Refresh(context.Background(), "k1")
	if src.reads != 2 {
		t.Errorf("after the interval: %d reads, want 2", src.reads)
	}
}
