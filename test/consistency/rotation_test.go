package consistency_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/lambda/secret"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/payloads"
)

// secretStore is an in-process Secrets Manager holding one rotating secret.
type secretStore struct {
	mu    sync.Mutex
	value string
	reads int
}

func (s *secretStore) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(`{"apiKey":"` + s.value + `"}`)}, nil
}

func (s *secretStore) set(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value = v
}

// TestKeyRotationMidRun rotates the API key on the third-party side and in
// the secret between two batches, the way an operator rotates it: the
// consumer's cached key is refused, it re-reads the secret once per
// container and carries on. No record may fail, be poisoned or lose an
// update because of the rotation.
func TestKeyRotationMidRun(t *testing.T) {
	const periods, perPeriod, batches = 6, 8, 4
	api, err := fakeapi.New(fakeapi.Options{APIKey: "key-1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	store := &secretStore{value: "key-1"}
	keys := secret.FromSecretsManager(store, "orderly/test/schedule-api-key")
	client, err := scheduleapi.New(scheduleapi.Options{BaseURL: srv.URL, APIKey: keys.APIKey, RefreshAPIKey: keys.Refresh})
	if err != nil {
		t.Fatal(err)
	}
	handler, err := schedule.NewHandler(client)
	if err != nil {
		t.Fatal(err)
	}
	var poisoned atomic.Int64
	engine, err := ordering.New(handler, ordering.Options{
		Logger: quiet,
		Poison: ordering.PoisonSinkFunc(func(context.Context, ordering.Record, error) error { poisoned.Add(1); return nil }),
	})
	if err != nil {
		t.Fatal(err)
	}

	seq := 0
	for b := range batches {
		if b == batches/2 {
			api.RotateAPIKey("key-2")
			store.set("key-2")
		}
		var recs []ordering.Record
		for p := range periods {
			period := fmt.Sprintf("2026-12-%02d", p+1)
			for range perPeriod / batches {
				seq++
				detail := map[string]any{"scheduleDate": period, "entityType": "driver", "entityId": fmt.Sprintf("d-%d", seq), "version": 1, "attributes": map[string]any{"n": seq}}
				recs = append(recs, ordering.Record{Partition: period, ID: fmt.Sprint(seq),
					Data: payloads.Event(fmt.Sprintf("e-%d", seq), schedule.DetailTypeUpserted, t0, detail)})
			}
		}
		res := engine.Process(context.Background(), recs)
		for i, o := range res.Outcomes {
			if o != ordering.Succeeded {
				t.Fatalf("batch %d: record %s ended %s (%v), want every record applied across the rotation", b, recs[i].ID, o, res.Errors[i])
			}
		}
	}

	st := api.Stats()
	if st.Unauthorized == 0 {
		t.Fatal("the API never refused the old key: the rotation was not exercised")
	}
	if st.LostUpdates != 0 || poisoned.Load() != 0 {
		t.Errorf("lost updates %d, poisoned %d; want 0 and 0", st.LostUpdates, poisoned.Load())
	}
	entities := 0
	for _, period := range api.Periods() {
		doc, _ := api.Document(period)
		entities += len(doc.Entities)
	}
	if entities != seq {
		t.Errorf("%d entities stored, want all %d", entities, seq)
	}
	// Every partition met the refusal at once; one read of the secret
	// served them all (plus the first read at start).
	if store.reads != 2 {
		t.Errorf("Secrets Manager read %d times, want 2 (first use, then one refresh for all partitions)", store.reads)
	}
}
