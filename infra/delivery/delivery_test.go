package delivery

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

func TestPeriodEventCarriesTheKeyWhereTheConsumerReadsIt(t *testing.T) {
	for _, path := range []string{schedule.DefaultPeriodPath, "$.detail.schedule.date"} {
		p := schedule.MustPeriodPath(path)
		data, err := PeriodEvent("orderly.test", schedule.DetailTypeUpserted, p, "2026-12-03")
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Source     string          `json:"source"`
			DetailType string          `json:"detail-type"`
			Detail     json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatal(err)
		}
		got, err := p.Period(ev.Detail)
		if err != nil || got != "2026-12-03" || ev.Source != "orderly.test" || ev.DetailType != schedule.DetailTypeUpserted {
			t.Errorf("%s: event %s reads period %q (%v)", path, data, got, err)
		}
	}
}

func TestFifoGroup(t *testing.T) {
	rule := func(id, source, group string) assembly.Rule {
		return assembly.Rule{LogicalID: id, MessageGroupID: group, Pattern: map[string]any{"source": []any{source}}}
	}
	event, err := PeriodEvent("a", schedule.DetailTypeUpserted, schedule.MustPeriodPath(schedule.DefaultPeriodPath), "2026-12-03")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		d       assembly.FifoDelivery
		want    string
		wantErr string
	}{
		{"static group of the one matching rule", assembly.FifoDelivery{Rules: []assembly.Rule{rule("A", "a", "g1"), rule("B", "b", "g2")}}, "g1", ""},
		{"per key: the Pipe's path into the record's JSON body",
			assembly.FifoDelivery{Rules: []assembly.Rule{rule("A", "a", "ingest")}, PipeGroupIDPath: "$.body.detail.scheduleDate"}, "2026-12-03", ""},
		{"per key: the Pipe's path into the record's attributes",
			assembly.FifoDelivery{Rules: []assembly.Rule{rule("A", "a", "ingest")}, PipeGroupIDPath: "$.attributes.MessageGroupId"}, "ingest", ""},
		{"no rule", assembly.FifoDelivery{Rules: []assembly.Rule{rule("B", "b", "g2")}}, "", "matches 0 rules"},
		{"two rules", assembly.FifoDelivery{Rules: []assembly.Rule{rule("A", "a", "g1"), rule("A2", "a", "g2")}}, "", "matches 2 rules [A A2]"},
		{"path that is not there", assembly.FifoDelivery{Rules: []assembly.Rule{rule("A", "a", "ingest")}, PipeGroupIDPath: "$.body.detail.nope"}, "", "nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FifoGroup(tc.d, event)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FifoGroup = %q, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FifoGroup = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
