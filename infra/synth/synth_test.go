package synth

import (
	"fmt"
	"testing"
)

func TestContextArgs(t *testing.T) {
	cases := []struct {
		in   string
		want string
		err  bool
	}{
		{"", "[]", false},
		{"-c kinesis.shardCount=2 -c kinesis.batchSize=1", "[-c kinesis.shardCount=2 -c kinesis.batchSize=1]", false},
		{"--context fifo.messageGroups=2 function.reservedConcurrency=3", "[-c fifo.messageGroups=2 -c function.reservedConcurrency=3]", false},
		{"--context=a=b", "[-c a=b]", false},
		{"-c", "", true},
		{"-c novalue", "", true},
		{"=x", "", true},
	}
	for _, tc := range cases {
		got, err := ContextArgs(tc.in)
		if (err != nil) != tc.err || (!tc.err && fmt.Sprint(got) != tc.want) {
			t.Errorf("ContextArgs(%q) = %v, %v; want %s (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
