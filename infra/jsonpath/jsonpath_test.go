package jsonpath

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	event := `{"id":"e1","detail":{"scheduleDate":"2026-12-01","partition":3,"flag":true,"nested":{"a":1},"nil":null}}`
	pipeEvent := `{"messageId":"m1","body":` + mustQuote(event) + `}`
	cases := []struct {
		doc, path, want, err string
	}{
		{doc: event, path: "$.detail.scheduleDate", want: "2026-12-01"},
		{doc: event, path: "$.detail.partition", want: "3"},
		{doc: event, path: "$.detail.flag", want: "true"},
		{doc: event, path: "$.id", want: "e1"},
		{doc: pipeEvent, path: "$.body.detail.scheduleDate", want: "2026-12-01"},
		{doc: pipeEvent, path: "$.messageId", want: "m1"},
		{doc: event, path: "$.detail.missing", err: `no field "missing"`},
		{doc: event, path: "$.id.deeper", err: "not an object"},
		{doc: event, path: "$.detail.nested", err: "not a string, number or boolean"},
		{doc: event, path: "$.detail.nil", err: "not a string, number or boolean"},
		{doc: event, path: "detail.partition", err: "want $ or"},
		{doc: event, path: "$..x", err: "empty field"},
	}
	for _, tc := range cases {
		var doc any
		if err := json.Unmarshal([]byte(tc.doc), &doc); err != nil {
			t.Fatal(err)
		}
		got, err := String(doc, tc.path)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one mentioning %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
}

func mustQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
