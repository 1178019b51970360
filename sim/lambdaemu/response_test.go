package lambdaemu

import "testing"

func TestFunctionErrorClassification(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		wantType string // "" = success
	}{
		{"partial batch response", 200, `{"batchItemFailures":[{"itemIdentifier":"1"}]}`, ""},
		{"empty response", 200, `{"batchItemFailures":[]}`, ""},
		{"handler error", 200, `{"errorMessage":"boom","errorType":"errorString"}`, "errorString"},
		{"error without type", 200, `{"errorMessage":"boom"}`, "Unhandled"},
		{"timeout", 200, `Task timed out after 3.00 seconds`, "Sandbox.Timedout"},
		{"runtime crash", 502, `{"errorType":"Runtime.ExitError"}`, "Runtime.Failure"},
		{"garbage", 200, `not json`, "Runtime.InvalidResponse"},
		{"null result", 200, `null`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fe := functionError(tc.status, []byte(tc.body))
			switch {
			case tc.wantType == "" && fe != nil:
				t.Errorf("got function error %v, want success", fe)
			case tc.wantType != "" && fe == nil:
				t.Errorf("got success, want function error %s", tc.wantType)
			case tc.wantType != "" && fe.Type != tc.wantType:
				t.Errorf("got type %q, want %q", fe.Type, tc.wantType)
			}
		})
	}
}
