package pipeline

import (
	"net"
	"os"
	"testing"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/delivery"
	"github.com/orderly-dev/orderly/sim/fakeaws/drifttest"
)

func TestPlanSizesThePoolLikeLambdaScales(t *testing.T) {
	kinesis := func(shards, factor, reserved int) Settings {
		return Settings{Stack: StackKinesis, Settings: assembly.Settings{Kinesis: &assembly.KinesisSettings{ShardCount: shards, ParallelizationFactor: factor, ReservedConcurrency: reserved}}}
	}
	fifo := func(groups, maxConc, reserved int, perKey bool) Settings {
		s := Settings{Stack: StackFifo, Settings: assembly.Settings{Fifo: &assembly.FifoSettings{MaxConcurrency: maxConc, ReservedConcurrency: reserved}}}
		for i := range groups {
			s.Fifo.GroupIDs = append(s.Fifo.GroupIDs, string(rune('a'+i)))
		}
		if perKey {
			s.Fifo.Delivery.PipeGroupIDPath = "$.body.detail.scheduleDate"
		}
		return s
	}
	cases := []struct {
		name      string
		s         Settings
		unordered bool
		want      int
	}{
		{"one shard", kinesis(1, 1, 0), false, 1},
		{"shards times factor", kinesis(1, 3, 0), false, 3},
		{"reserved concurrency bounds it", kinesis(2, 2, 3), false, 3},
		{"the local cap bounds it", kinesis(4, 2, 20), false, 4},
		{"on-demand counts as 4 shards", Settings{Stack: StackKinesis, Settings: assembly.Settings{Kinesis: &assembly.KinesisSettings{OnDemand: true, ParallelizationFactor: 1}}}, false, 4},
		{"one FIFO group", fifo(1, 0, 0, false), false, 1},
		{"two groups and catch-all, reserved 3", fifo(3, 0, 3, false), false, 3},
		{"max concurrency", fifo(5, 2, 0, false), false, 2},
		{"reserved below the groups", fifo(3, 0, 1, false), false, 1},
		{"per-key: one group per partition", fifo(0, 0, 0, true), false, 4},
		{"unordered uses the cap", kinesis(1, 1, 1), true, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := planFor(Options{Settings: tc.s, Unordered: tc.unordered, MaxConcurrency: 4, Workload: Workload{Partitions: 6}}, tc.s)
			if p.concurrency != tc.want {
				t.Errorf("concurrency %d, want %d (%s)", p.concurrency, tc.want, p.describe)
			}
		})
	}
}

func TestSocketOwnerOfALoopbackConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted
	defer server.Close()
	inode, err := socketInode(server.RemoteAddr().String(), ln.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	if !holdsSocket(os.Getpid(), inode) {
		t.Errorf("this process does not hold socket %s", inode)
	}
	if holdsSocket(1, inode) {
		t.Errorf("pid 1 holds our socket %s", inode)
	}
	if _, err := socketInode("127.0.0.1:1", ln.Addr().(*net.TCPAddr).Port); err == nil {
		t.Error("found a socket for a port nobody uses")
	}
}

// goldenStack reads a stack template written by the snapshot tests.
func TestEventsReachTheGroupTheirPeriodBelongsTo(t *testing.T) {
	cases := []struct {
		golden string
		groups int
	}{
		{"fifo-groups-3/FifoStack.json", 3},
		{"dev/FifoStack.json", 1},
		{"dev/KinesisStack.json", 0},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			read, err := drifttest.Golden(t, tc.golden).Settings()
			if err != nil {
				t.Fatal(err)
			}
			s := Settings{Stack: StackFifo, Settings: read}
			if tc.groups == 0 {
				s.Stack = StackKinesis
			}
			w := Workload{Events: 200, Partitions: 7, PoisonRate: 0.05, Seed: 5}
			if err := fillWorkload(&w, s); err != nil {
				t.Fatal(err)
			}
			events, err := Generate(w)
			if err != nil {
				t.Fatal(err)
			}
			groupOf := map[int]string{}
			for _, e := range events {
				matched, err := delivery.MatchingRules(s.Rules, e.JSON)
				if err != nil {
					t.Fatal(err)
				}
				if len(matched) != 1 {
					t.Fatalf("event %d matched %d rules, want exactly 1", e.Index, len(matched))
				}
				g := matched[0].MessageGroupID
				if prev, ok := groupOf[e.Partition]; ok && prev != g {
					t.Errorf("partition %d in groups %s and %s: its order could not hold", e.Partition, prev, g)
				}
				groupOf[e.Partition] = g
				if g == "catch-all" {
					t.Errorf("partition %d went to the catch-all group", e.Partition)
				}
			}
		})
	}
}
