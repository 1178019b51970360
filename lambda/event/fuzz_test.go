package event_test

import (
	"bytes"
	"testing"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/failure"
)

// FuzzDecode checks that no input panics Decode, that every rejection is
// permanent (a retry cannot fix bytes), and that every accepted event meets
// the documented requirements.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		bareEvent,
		`{"messageId":"m-1","body":` + bareEvent + `}`,
		`{"messageId":"m-1","body":"{\"id\":\"1\",\"detail-type\":\"X\",\"detail\":{}}"}`,
		`{"messageId":"m-1","body":"\"nested string\""}`,
		`{"id":"1","detail-type":"X","detail":{"a":[1,2,{"b":null}]}}`,
		`{"id":"1","detail-type":"X","detail":[]}`,
		`{"id":"1","detail-type":"X","time":"2026-13-45T99:00:00Z","detail":{}}`,
		`{"id":"\ud800","detail-type":"X","detail":{}}`,
		"{\"id\":\"1\",\"detail-type\":\"X\",\"detail\":{}}\xff",
		`{`, `}`, `""`, `0`, `null`, `[]`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := event.Decode(data)
		if err != nil {
			if !failure.IsPermanent(err) {
				t.Fatalf("Decode(%q) error %v is not permanent", data, err)
			}
			return
		}
		if ev.ID == "" || ev.DetailType == "" {
			t.Fatalf("Decode(%q) accepted an event without id or detail-type: %+v", data, ev)
		}
		if d := bytes.TrimSpace(ev.Detail); len(d) == 0 || d[0] != '{' {
			t.Fatalf("Decode(%q) accepted a non-object detail %q", data, ev.Detail)
		}
	})
}
