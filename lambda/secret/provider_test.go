package secret_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/orderly-dev/orderly/lambda/sdkhttp"
	"github.com/orderly-dev/orderly/lambda/secret"
)

const secretARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:orderly/schedule-api-key-AbCdEf"

// fakeSecretsManager answers GetSecretValue (AWS JSON 1.1).
type fakeSecretsManager struct {
	secretString string
	failNext     atomic.Int32
	calls        atomic.Int32
	gotSecretID  atomic.Value
}

func (f *fakeSecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "UnknownOperationException"})
		return
	}
	var in struct{ SecretId string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.gotSecretID.Store(in.SecretId)
	if f.failNext.Add(-1) >= 0 {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "ResourceNotFoundException", "Message": "Secrets Manager can't find the specified secret."})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ARN": secretARN, "Name": "orderly/schedule-api-key", "SecretString": f.secretString, "VersionId": "v1"})
}

func newClient(t *testing.T, fake *fakeSecretsManager) *secretsmanager.Client {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return secretsmanager.NewFromConfig(aws.Config{
		HTTPClient:       sdkhttp.Client(),
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

func TestSecretsManagerFormats(t *testing.T) {
	const key = "k3y-Sup3r-s3cr3t"
	tests := []struct {
		name, secretString, want, wantErr string
	}{
		{"raw string", key, key, ""},
		{"raw with newline", key + "\n", key, ""},
		{"json object", `{"apiKey":"` + key + `"}`, key, ""},
		{"json with other fields", `{"apiKey":"` + key + `","rotatedAt":"2026-11-01"}`, key, ""},
		{"empty", "  ", "", "SecretString is empty"},
		{"json without apiKey", `{"key":"` + key + `"}`, "", `without a non-empty "apiKey"`},
		{"json with empty apiKey", `{"apiKey":""}`, "", `without a non-empty "apiKey"`},
		{"broken json", `{"apiKey":"` + key, "", "not a valid JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeSecretsManager{secretString: tc.secretString}
			p := secret.FromSecretsManager(newClient(t, fake), secretARN)
			got, err := p.APIKey(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("APIKey error = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "k3y") {
					t.Fatalf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("APIKey = %q, %v; want %q", got, err, tc.want)
			}
			if id, _ := fake.gotSecretID.Load().(string); id != secretARN {
				t.Fatalf("requested secret %q, want %q", id, secretARN)
			}
		})
	}
}

func TestFetchedOnceAndRetriedAfterFailure(t *testing.T) {
	fake := &fakeSecretsManager{secretString: "the-key"}
	fake.failNext.Store(1)
	p := secret.FromSecretsManager(newClient(t, fake), secretARN)

	if _, err := p.APIKey(context.Background()); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("first call error = %v, want the injected failure", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := p.APIKey(context.Background()); err != nil || got != "the-key" {
				t.Errorf("APIKey = %q, %v", got, err)
			}
		}()
	}
	wg.Wait()
	if got := fake.calls.Load(); got != 2 {
		t.Fatalf("Secrets Manager called %d times, want 2 (one failure, then one fetch shared by all callers)", got)
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantKey    string
		wantClient bool
		wantErr    string
	}{
		{"env key wins", map[string]string{"SCHEDULE_API_KEY": "local", "SCHEDULE_API_KEY_SECRET_ARN": secretARN}, "local", false, ""},
		{"secret", map[string]string{"SCHEDULE_API_KEY_SECRET_ARN": secretARN}, "from-sm", true, ""},
		{"neither", map[string]string{"SCHEDULE_API_KEY": " "}, "", false, "set SCHEDULE_API_KEY_SECRET_ARN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeSecretsManager{secretString: "from-sm"}
			clientMade := false
			p, err := secret.FromEnv(func(k string) string { return tc.env[k] }, func() secret.GetSecretValueAPI {
				clientMade = true
				return newClient(t, fake)
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FromEnv error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if clientMade != tc.wantClient {
				t.Fatalf("Secrets Manager client created = %v, want %v", clientMade, tc.wantClient)
			}
			if got, err := p.APIKey(context.Background()); err != nil || got != tc.wantKey {
				t.Fatalf("APIKey = %q, %v; want %q", got, err, tc.wantKey)
			}
		})
	}
}
