package ordering_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// keyed builds records "partition/key/id"; the key is what SerializeBy
// returns ("-" for none).
func keyed(specs ...string) []ordering.Record {
	out := make([]ordering.Record, len(specs))
	for i, s := range specs {
		f := strings.Split(s, "/")
		out[i] = ordering.Record{Partition: f[0], ID: f[2], Data: []byte(f[1])}
	}
	return out
}

func keyOf(r ordering.Record) (string, bool) { return string(r.Data), string(r.Data) != "-" }

// TestSerializeByJoinsPartitionsThatShareAKey delivers key A under two
// partitions, as a mis-keyed producer would. The engine must never run two
// A records at once, must keep A's delivery order, must still run an
// unrelated partition concurrently, and must report the split.
func TestSerializeByJoinsPartitionsThatShareAKey(t *testing.T) {
	var mu sync.Mutex
	running := map[string]int{}
	var order []string
	overlap := false
	h := ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
		key := string(rec.Data)
		mu.Lock()
		running[key]++
		overlap = overlap || running[key] > 1
		order = append(order, key+":"+rec.ID)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // long enough for concurrent work to overlap
		mu.Lock()
		running[key]--
		mu.Unlock()
		return nil
	})
	eng, err := ordering.New(h, ordering.Options{Poison: &memorySink{}, Logger: quietLogger(), SerializeBy: keyOf})
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Process(context.Background(), keyed("g0/A/1", "g1/A/2", "g0/A/3", "g1/A/4", "g2/B/5", "g1/-/6"))
	if res.Count(ordering.Succeeded) != 6 {
		t.Fatalf("outcomes %v", res.Outcomes)
	}
	if overlap {
		t.Error("two records of key A ran at once")
	}
	var aOrder []string
	for _, o := range order {
		if strings.HasPrefix(o, "A:") {
			aOrder = append(aOrder, o)
		}
	}
	if want := []string{"A:1", "A:2", "A:3", "A:4"}; !reflect.DeepEqual(aOrder, want) {
		t.Errorf("key A ran in order %v, want delivery order %v", aOrder, want)
	}
	want := []ordering.SplitKey{{Key: "A", Partitions: []string{"g0", "g1"}}}
	if !reflect.DeepEqual(res.SplitKeys, want) {
		t.Errorf("SplitKeys = %+v, want %+v", res.SplitKeys, want)
	}
}

// TestSerializeByFailureBlocksTheWholeChain: once partitions are joined by
// a key, a failure skips every later record of the chain, in every joined
// partition: a FIFO response then holds a suffix of each group, and a
// Kinesis response still names the earliest failure.
func TestSerializeByFailureBlocksTheWholeChain(t *testing.T) {
	h := ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
		if rec.ID == "2" {
			return errors.New("transient")
		}
		return nil
	})
	eng, err := ordering.New(h, ordering.Options{Poison: &memorySink{}, Logger: quietLogger(), SerializeBy: keyOf})
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Process(context.Background(), keyed("g0/A/1", "g1/A/2", "g0/B/3", "g1/C/4", "g2/D/5"))
	want := []ordering.Outcome{ordering.Succeeded, ordering.Failed, ordering.Skipped, ordering.Skipped, ordering.Succeeded}
	if !reflect.DeepEqual(res.Outcomes, want) {
		t.Errorf("outcomes %v, want %v", res.Outcomes, want)
	}
}

func TestWithoutSerializeByPartitionsStayIndependent(t *testing.T) {
	eng, err := ordering.New(ordering.HandlerFunc(func(context.Context, ordering.Record) error { return nil }),
		ordering.Options{Poison: &memorySink{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if res := eng.Process(context.Background(), keyed("g0/A/1", "g1/A/2")); len(res.SplitKeys) != 0 {
		t.Errorf("SplitKeys %+v without SerializeBy", res.SplitKeys)
	}
}
