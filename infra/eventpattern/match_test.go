package eventpattern

import (
	"encoding/json"
	"testing"
)

func TestMatchFollowsEventBridgeSemantics(t *testing.T) {
	cases := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"exact string", `{"source":["a"]}`, `{"source":"a"}`, true},
		{"other string", `{"source":["a"]}`, `{"source":"b"}`, false},
		{"missing field", `{"source":["a"]}`, `{}`, false},
		{"number by value", `{"detail":{"p":[1]}}`, `{"detail":{"p":1.0}}`, true},
		{"string is not number", `{"detail":{"p":[1]}}`, `{"detail":{"p":"1"}}`, false},
		{"null literal", `{"detail":{"p":[null]}}`, `{"detail":{"p":null}}`, true},
		{"null is present", `{"detail":{"p":[{"exists":false}]}}`, `{"detail":{"p":null}}`, false},
		{"exists false", `{"detail":{"p":[{"exists":false}]}}`, `{"detail":{}}`, true},
		{"exists false without detail", `{"detail":{"p":[{"exists":false}]}}`, `{}`, true},
		{"exists true", `{"detail":{"p":[{"exists":true}]}}`, `{"detail":{"p":0}}`, true},
		{"anything-but list", `{"detail":{"p":[{"anything-but":[0,1]}]}}`, `{"detail":{"p":2}}`, true},
		{"anything-but excluded", `{"detail":{"p":[{"anything-but":[0,1]}]}}`, `{"detail":{"p":1}}`, false},
		{"anything-but other type", `{"detail":{"p":[{"anything-but":[0,1]}]}}`, `{"detail":{"p":"x"}}`, true},
		{"anything-but absent", `{"detail":{"p":[{"anything-but":[0]}]}}`, `{"detail":{}}`, false},
		{"array any element", `{"detail":{"p":[1]}}`, `{"detail":{"p":[3,1]}}`, true},
		{"prefix", `{"r":[{"prefix":"us-"}]}`, `{"r":"us-east-1"}`, true},
		{"numeric range", `{"n":[{"numeric":[">=",0,"<",3]}]}`, `{"n":2}`, true},
		{"numeric out of range", `{"n":[{"numeric":[">=",0,"<",3]}]}`, `{"n":3}`, false},
		{"suffix", `{"d":[{"suffix":"-07"}]}`, `{"d":"2026-11-07"}`, true},
		{"suffix other", `{"d":[{"suffix":"-07"}]}`, `{"d":"2026-11-17"}`, false},
		{"suffix not a string", `{"d":[{"suffix":"7"}]}`, `{"d":7}`, false},
		{"anything-but suffix list", `{"d":[{"anything-but":{"suffix":["-01","-02"]}}]}`, `{"d":"2026-11-03"}`, true},
		{"anything-but suffix excluded", `{"d":[{"anything-but":{"suffix":["-01","-02"]}}]}`, `{"d":"2026-11-02"}`, false},
		{"anything-but suffix single", `{"d":[{"anything-but":{"suffix":"-01"}}]}`, `{"d":"2026-11-01"}`, false},
		{"anything-but suffix number", `{"d":[{"anything-but":{"suffix":["-01"]}}]}`, `{"d":20261101}`, true},
		{"anything-but suffix null", `{"d":[{"anything-but":{"suffix":["-01"]}}]}`, `{"d":null}`, false},
		{"anything-but null", `{"d":[{"anything-but":[0]}]}`, `{"d":null}`, false},
		{"anything-but suffix array", `{"d":[{"anything-but":{"suffix":["-01"]}}]}`, `{"d":["2026-11-01","x"]}`, true},
		{"empty array is absent", `{"d":[{"exists":false}]}`, `{"d":[]}`, true},
		{"empty array matches no value", `{"d":[{"anything-but":"x"}]}`, `{"d":[]}`, false},
		{"and across fields", `{"source":["a"],"detail-type":["t"]}`, `{"source":"a","detail-type":"u"}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p, e map[string]any
			if err := json.Unmarshal([]byte(tc.pattern), &p); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.event), &e); err != nil {
				t.Fatal(err)
			}
			got, err := Match(p, e)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Match(%s, %s) = %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
		})
	}
}

func TestUnsupportedOperatorIsAnError(t *testing.T) {
	_, err := Match(map[string]any{"a": []any{map[string]any{"wildcard": "x*"}}}, map[string]any{"a": "xy"})
	if err == nil {
		t.Fatal("want an error for an operator the evaluator does not implement")
	}
}
