package keypolicy

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the key policy statements in docs/operations.md")

const keyArn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

var where = Where{Partition: "aws", Region: "eu-west-1", Account: "111122223333", StackName: "orderly-prod-kinesis", BusName: "orderly-prod", Archive: true}

// defaultPolicy is the policy KMS gives a key created without one: the
// account's IAM policies decide.
const defaultPolicy = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`

// withStatements is policy with statements appended.
func withStatements(t *testing.T, policy string, extra ...any) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatal(err)
	}
	doc["Statement"] = append(doc["Statement"].([]any), extra...)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// required renders the required statements as generic JSON values.
func required(t *testing.T, imported bool) []any {
	t.Helper()
	b, err := Document(Required(where, imported))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Statement []any }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Statement
}

func verdicts(t *testing.T, policy string, imported bool) map[string]Result {
	t.Helper()
	results, err := Check(policy, keyArn, Required(where, imported))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Result{}
	for _, r := range results {
		out[r.Statement.Sid] = r
	}
	return out
}

func TestTheDocumentedStatementsPassTheirOwnCheck(t *testing.T) {
	policy := withStatements(t, defaultPolicy, required(t, false)...)
	for sid, r := range verdicts(t, policy, true) {
		if r.Verdict != Allowed {
			t.Errorf("%s: %s %v %s", sid, r.Verdict, r.Actions, r.Detail)
		}
	}
}

func TestServiceStatementsFollowWhatIsEncrypted(t *testing.T) {
	sids := func(w Where, imported bool) string {
		var out []string
		for _, s := range Required(w, imported) {
			out = append(out, s.Sid)
		}
		return strings.Join(out, " ")
	}
	importedBus := where
	importedBus.BusName, importedBus.Archive = "", false
	if got, want := sids(importedBus, false), SidEventBridgeQueues+" "+SidCloudWatchLogs; got != want {
		t.Errorf("an imported bus: %s, want %s", got, want)
	}
	if got, want := sids(where, true), SidEventBridgeDescribeKey+" "+SidEventBridgeBus+" "+SidEventBridgeQueues+" "+SidCloudWatchLogs+" "+SidAccountIAM; got != want {
		t.Errorf("a created, archived bus with an imported key: %s, want %s", got, want)
	}
	noArchive := where
	noArchive.Archive = false
	for _, s := range ServiceStatements(noArchive) {
		if s.Sid == SidEventBridgeBus && strings.Contains(strings.Join(s.Actions, " "), "ReEncrypt") {
			t.Errorf("no archive, but the bus statement allows %v", s.Actions)
		}
	}
}

func TestCheckFindsWhatIsMissing(t *testing.T) {
	all := required(t, false)
	without := func(sid string) []any {
		var out []any
		for _, s := range all {
			if s.(map[string]any)["Sid"] != sid {
				out = append(out, s)
			}
		}
		return out
	}
	tests := []struct {
		name    string
		policy  string
		sid     string
		verdict Verdict
		detail  string
	}{
		{"no EventBridge statement for the queues", withStatements(t, defaultPolicy, without(SidEventBridgeQueues)...), SidEventBridgeQueues, Missing, ""},
		{"the queues statement narrowed to a source account", withStatements(t, defaultPolicy, append(without(SidEventBridgeQueues), map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": EventBridge}, "Action": []string{"kms:Decrypt", "kms:GenerateDataKey"}, "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "111122223333"}},
		})...), SidEventBridgeQueues, Missing, ""},
		{"the bus statement for another bus", withStatements(t, defaultPolicy, append(without(SidEventBridgeBus), map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": EventBridge}, "Action": "kms:*", "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{encryptionContextBus: "arn:aws:events:eu-west-1:111122223333:event-bus/other"}},
		})...), SidEventBridgeBus, Missing, ""},
		{"logs for one named log group", withStatements(t, defaultPolicy, append(without(SidCloudWatchLogs), map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "logs.eu-west-1.amazonaws.com"}, "Action": "kms:*", "Resource": "*",
			"Condition": map[string]any{"ArnEquals": map[string]any{encryptionContextLogs: "arn:aws:logs:eu-west-1:111122223333:log-group:mine"}},
		})...), SidCloudWatchLogs, Missing, ""},
		{"no IAM delegation", `{"Statement":` + mustJSON(t, all) + `}`, SidAccountIAM, Missing, ""},
		// Only calls without the bus's encryption context are denied: the
		// queues', not the bus's.
		{"a deny for EventBridge outside the bus", withStatements(t, defaultPolicy, append(all, map[string]any{
			"Sid": "BusOnly", "Effect": "Deny", "Principal": map[string]any{"Service": []string{EventBridge}}, "Action": "kms:GenerateDataKey*", "Resource": "*",
			"Condition": map[string]any{"Null": map[string]any{encryptionContextBus: "true"}},
		})...), SidEventBridgeQueues, Denied, `statement "BusOnly" denies kms:GenerateDataKey`},
		{"a set operator", withStatements(t, defaultPolicy, append(without(SidEventBridgeQueues), map[string]any{
			"Sid": "Tagged", "Effect": "Allow", "Principal": map[string]any{"Service": EventBridge}, "Action": []string{"kms:Decrypt", "kms:GenerateDataKey"}, "Resource": "*",
			"Condition": map[string]any{"ForAnyValue:StringEquals": map[string]any{"aws:TagKeys": "x"}},
		})...), SidEventBridgeQueues, Unverifiable, `statement "Tagged" has the set operator ForAnyValue:StringEquals`},
		{"delegation by account id, if the caller is of the account", withStatements(t, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}]}`, all...), SidAccountIAM, Allowed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := verdicts(t, tc.policy, true)
			for sid, r := range got {
				want := Allowed
				if sid == tc.sid {
					want = tc.verdict
				}
				if r.Verdict != want {
					t.Errorf("%s: %s %v %q, want %s", sid, r.Verdict, r.Actions, r.Detail, want)
				}
			}
			if r := got[tc.sid]; !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("%s detail %q, want %q", tc.sid, r.Detail, tc.detail)
			}
		})
	}
}

func TestCheckRefusesWhatIsNotAPolicy(t *testing.T) {
	if _, err := Check("not json", keyArn, Required(where, true)); err == nil {
		t.Error("Check accepted a policy that is not JSON")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	docStart = "<!-- key-policy:start -->\n"
	docEnd   = "<!-- key-policy:end -->"
)

// TestDocsPrintTheRequiredStatements keeps the statements docs/operations.md
// asks the owner of an imported key to add generated from Required.
func TestDocsPrintTheRequiredStatements(t *testing.T) {
	file := filepath.Join("..", "..", "docs", "operations.md")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start, end := strings.Index(doc, docStart), strings.Index(doc, docEnd)
	if start < 0 || end < start {
		t.Fatalf("%s lacks the %q ... %q markers", file, strings.TrimSpace(docStart), docEnd)
	}
	want, err := DocsBlock()
	if err != nil {
		t.Fatal(err)
	}
	if doc[start+len(docStart):end] == want {
		return
	}
	if *update {
		if err := os.WriteFile(file, []byte(doc[:start+len(docStart)]+want+doc[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the key policy statements in %s are stale: run `go test ./infra/keypolicy -update`", file)
}
