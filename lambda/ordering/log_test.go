package ordering_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// lockedBuffer lets partition goroutines log into one buffer.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func TestOneLogLinePerRecord(t *testing.T) {
	var out lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	eng, err := ordering.New(newScripted(), ordering.Options{Poison: &memorySink{}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	eng.Process(context.Background(), recs("a1.ok", "a2.transient", "a3.ok", "b1.permanent", "c1.panic"))

	type line struct {
		Level, Msg, Partition, RecordID, Outcome, Error, Stack string
		DurationMs                                             *float64
	}
	var got []line
	sc := bufio.NewScanner(&out.buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, sc.Text())
		}
		got = append(got, l)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].RecordID < got[j].RecordID })

	want := []struct {
		id, level, outcome, errorHas string
		timed, stack                 bool
	}{
		{"a1.ok", "INFO", "succeeded", "", true, false},
		{"a2.transient", "ERROR", "failed", "push schedule", true, false},
		{"a3.ok", "WARN", "skipped", "earlier record of the partition failed (record a2.transient)", false, false},
		{"b1.permanent", "ERROR", "poisoned", "unknown detail-type", true, false},
		{"c1.panic", "ERROR", "failed", "panic: handler bug on c1.panic", true, true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d log lines, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.RecordID != w.id || g.Level != w.level || g.Outcome != w.outcome || g.Msg != "record processed" || g.Partition != w.id[:1] {
			t.Errorf("line %d = %+v, want id %s level %s outcome %s", i, g, w.id, w.level, w.outcome)
		}
		if (w.errorHas == "") != (g.Error == "") || !strings.Contains(g.Error, w.errorHas) {
			t.Errorf("line %s error %q, want it to contain %q", w.id, g.Error, w.errorHas)
		}
		if (g.DurationMs != nil) != w.timed {
			t.Errorf("line %s durationMs present = %v, want %v", w.id, g.DurationMs != nil, w.timed)
		}
		if (g.Stack != "") != w.stack {
			t.Errorf("line %s stack present = %v, want %v", w.id, g.Stack != "", w.stack)
		}
	}
}

func TestHandlerAnnotationsJoinTheOutcomeLine(t *testing.T) {
	var out lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	handler := ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
		ordering.Annotate(ctx, slog.String("eventId", "ev-"+rec.ID))
		return nil
	})
	eng, err := ordering.New(handler, ordering.Options{Poison: &memorySink{}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	eng.Process(context.Background(), recs("a1.ok", "b1.ok"))
	ordering.Annotate(context.Background(), slog.String("ignored", "outside a record"))

	lines := strings.Split(strings.TrimSpace(out.buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %d:\n%s", len(lines), out.buf.String())
	}
	for _, l := range lines {
		var rec struct{ RecordID, EventID string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.EventID != "ev-"+rec.RecordID {
			t.Errorf("line for %s has eventId %q", rec.RecordID, rec.EventID)
		}
	}
}
