package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
	"github.com/orderly-dev/orderly/sim/fakeaws/redrivetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(checktest.CommandEnv) != "" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func awsEnv(fake *fakeaws.Server) []string {
	return []string{"AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL=" + fake.URL(), "AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=x", "AWS_MAX_ATTEMPTS=1"}
}

// The command is killed after EventBridge accepted its second batch and
// before it could delete that batch's messages and objects. Nothing is lost
// (every event was put or is still in its queue or bucket), the rerun puts
// the rest, and every event took effect exactly once.
func TestKilledMidwayLosesNothingAndAppliesOnce(t *testing.T) {
	cfg := checktest.Config(t, "dev")
	d := redrivetest.Deploy(t, cfg, config.KindKinesis)
	events := redrivetest.Events(30)
	d.Poison(events[:10]...)
	d.TargetDeadLetter(events[10:20]...)
	d.OnFailureObject("a", events[20:25]...)
	d.OnFailureObject("b", events[25:]...)
	args := []string{"-cdk-json=" + checktest.CDKJSON(), "-env", "dev", "-stack", config.KindKinesis, "-visibility", "1m"}

	cmd := checktest.Command(t, awsEnv(d.Fake), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	rerunStderr := ""
	// Every failure below, whichever check finds it, comes with what both
	// runs said: the command's own error is usually the diagnosis.
	defer func() {
		if t.Failed() {
			t.Logf("stderr of the killed run:\n%s\nstderr of the rerun:\n%s", stderr.String(), rerunStderr)
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	var mu sync.Mutex
	requests := 0
	d.Fake.AfterPutEvents(func([]fakeaws.PutEvent) {
		mu.Lock()
		defer mu.Unlock()
		if requests++; requests == 2 {
			// EventBridge accepted the second batch: kill the command
			// before it reads the answer.
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	<-exited
	if waitErr == nil || cmd.ProcessState.Success() {
		t.Fatalf("the command finished before it was killed: %v", waitErr)
	}
	mu.Lock()
	d.Fake.AfterPutEvents(nil)
	mu.Unlock()
	put := d.Fake.PutEvents()
	if len(put) != 20 {
		t.Fatalf("%d events put before the kill, want the first two batches (20)", len(put))
	}
	expectNothingLost(t, d, events, put)

	// The killed run left its messages hidden for the visibility timeout.
	d.Fake.ExpireVisibility()
	stdout, errOut, code := checktest.RunCommand(t, awsEnv(d.Fake), append(args, "-json")...)
	rerunStderr = errOut
	if code != 0 {
		t.Fatalf("rerun exit %d\nstdout %s", code, stdout)
	}
	var report struct {
		Events int  `json:"events"`
		OK     bool `json:"ok"`
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil || !report.OK {
		t.Fatalf("rerun report %s (%v)", stdout, err)
	}
	put = d.Fake.PutEvents()
	if len(put) <= len(events) {
		t.Fatalf("%d events put in all, want more than %d: the accepted but undeleted batch is put again", len(put), len(events))
	}
	redrivetest.ExpectRedriven(t, events, put)
	redrivetest.ExpectExactlyOnceEffect(t, events, put)
	for _, q := range []string{outputs.PoisonQueueURL, outputs.TargetDeadLetterQueueURL} {
		if n := len(d.Fake.QueueMessages(d.Outputs[q])); n != 0 {
			t.Errorf("%s holds %d messages after the rerun", q, n)
		}
	}
	if n := len(d.Fake.Objects(d.Outputs[outputs.OnFailureBucketName])); n != 0 {
		t.Errorf("the bucket holds %d objects after the rerun", n)
	}
}

// expectNothingLost: every original was put, or still sits in a queue or
// the bucket; and some were deleted, so the kill came after a delete.
func expectNothingLost(t *testing.T, d *redrivetest.Deployed, originals []event.Event, put []fakeaws.PutEvent) {
	t.Helper()
	held := d.Held(t, originals)
	wasPut := map[string]bool{}
	for _, e := range put {
		wasPut[redrivetest.OriginalID(t, e)] = true
	}
	deleted := 0
	for _, ev := range originals {
		if !wasPut[ev.ID] && !held[ev.ID] {
			t.Errorf("event %s was neither put nor left in its source: lost", ev.ID)
		}
		if !held[ev.ID] {
			deleted++
		}
	}
	if deleted == 0 || deleted == len(originals) {
		t.Errorf("%d of %d events deleted before the kill: want some, not all", deleted, len(originals))
	}
}

func TestVisibilityOutsideWhatSQSTakesIsBadInput(t *testing.T) {
	for _, v := range []string{"500ms", "0s", "13h", "1.5s", "soon"} {
		var stderr strings.Builder
		if code := run(context.Background(), []string{"-env", "dev", "-stack", "kinesis", "-visibility", v}, io.Discard, &stderr); code != 2 {
			t.Errorf("-visibility %s: exit %d, want 2", v, code)
		}
		if !strings.Contains(stderr.String(), "want whole seconds from 1s to 12h0m0s") {
			t.Errorf("-visibility %s: stderr %q, want the allowed range", v, stderr.String())
		}
	}
}
