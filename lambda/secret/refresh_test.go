package secret_test

import (
	"context"
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
