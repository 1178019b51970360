// Package secret provides the third-party API key: from the environment for
// local runs, or from AWS Secrets Manager, fetched once per container.
//
// The key never appears in logs or error messages.
package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/orderly-dev/orderly/lambda/envvar"
)

// GetSecretValueAPI is the part of *secretsmanager.Client the provider uses.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// DefaultMinRefreshInterval is how often, at most, one container re-reads
// the secret after the API refused the cached key. Every concurrent
// partition sees the same 401 after a rotation; one read serves them all,
// and a key that is simply wrong does not turn every record into a Secrets
// Manager call.
const DefaultMinRefreshInterval = 30 * time.Second

// Provider returns the API key, caching it after the first success.
type Provider struct {
	mu    sync.Mutex
	key   string
	fetch func(ctx context.Context) (string, error)

	// MinRefreshInterval bounds how often Refresh reads the secret again;
	// zero means DefaultMinRefreshInterval.
	MinRefreshInterval time.Duration
	// Now is replaced by tests. Defaults to time.Now.
	Now func() time.Time

	lastRefresh time.Time
}

// Static returns a provider of a fixed key.
func Static(key string) *Provider {
	return &Provider{key: key}
}

// FromSecretsManager returns a provider that reads secretID on first use.
func FromSecretsManager(client GetSecretValueAPI, secretID string) *Provider {
	return &Provider{fetch: func(ctx context.Context) (string, error) {
		out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
		if err != nil {
			return "", fmt.Errorf("get API key secret %s: %w", secretID, err)
		}
		key, err := Parse(aws.ToString(out.SecretString))
		if err != nil {
			return "", fmt.Errorf("API key secret %s: %w", secretID, err)
		}
		return key, nil
	}}
}

// FromEnv picks the source of the key from getenv: envvar.APIKey if set, else
// the secret named by envvar.APIKeySecretARN, read with the client newClient returns
// (called only in that case, so local runs need no AWS configuration).
func FromEnv(getenv func(string) string, newClient func() GetSecretValueAPI) (*Provider, error) {
	if key := strings.TrimSpace(getenv(envvar.APIKey)); key != "" {
		return Static(key), nil
	}
	if id := strings.TrimSpace(getenv(envvar.APIKeySecretARN)); id != "" {
		return FromSecretsManager(newClient(), id), nil
	}
	return nil, fmt.Errorf("no schedule API key configured: set %s to the Secrets Manager secret holding it (or %s to the key itself for local runs)", envvar.APIKeySecretARN, envvar.APIKey)
}

// APIKey returns the key. The first call fetches it; concurrent first
// calls wait for that one fetch instead of each calling Secrets Manager. A
// failed fetch is not cached: the next call tries again.
func (p *Provider) APIKey(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != "" || p.fetch == nil {
		return p.key, nil
	}
	key, err := p.fetch(ctx)
	if err != nil {
		return "", err
	}
	p.key = key
	return key, nil
}

// Refresh re-reads the secret after the API refused the cached key, and
// reports whether the key changed (the secret was rotated). Within
// MinRefreshInterval of the previous read it does not call Secrets Manager
// again; it then reports a change only if the key differs from the one the
// caller was refused with, which another partition may already have
// replaced. A static key never changes.
func (p *Provider) Refresh(ctx context.Context, refused string) (changed bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fetch == nil {
		return false, nil
	}
	now := p.now()
	interval := p.MinRefreshInterval
	if interval <= 0 {
		interval = DefaultMinRefreshInterval
	}
	if !p.lastRefresh.IsZero() && now.Sub(p.lastRefresh) < interval {
		return p.key != "" && p.key != refused, nil
	}
	// A failed read counts against the interval too: while Secrets Manager
	// fails, every partition's 401 must not become another call holding
	// the lock every API attempt waits on.
	p.lastRefresh = now
	key, err := p.fetch(ctx)
	if err != nil {
		return false, err
	}
	p.key = key
	return key != refused, nil
}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Parse returns the API key from a SecretString: the raw key or
// {"apiKey": "..."}. Its errors never quote the secret: even a JSON syntax
// error message would leak a character. The preflight check uses it too, so
// it accepts exactly what the consumer accepts.
func Parse(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New(`SecretString is empty: want the API key or {"apiKey":"..."}`)
	}
	if !strings.HasPrefix(s, "{") {
		return s, nil
	}
	var doc struct {
		APIKey *string `json:"apiKey"`
	}
	if json.Unmarshal([]byte(s), &doc) != nil {
		return "", errors.New(`SecretString starts with "{" but is not a valid JSON object: want the API key or {"apiKey":"..."}`)
	}
	if doc.APIKey == nil || strings.TrimSpace(*doc.APIKey) == "" {
		return "", errors.New(`SecretString is a JSON object without a non-empty "apiKey" string`)
	}
	return strings.TrimSpace(*doc.APIKey), nil
}
