package docs

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README's failed-events table and alarm list are held to the golden
// templates (test/testdata, pinned to the synthesized stacks by the
// snapshot test): one of each stack kind and grouping mode.
var readmeTemplates = []struct {
	file   string
	kind   string // "KinesisStack" or "FifoStack"
	perKey bool
}{
	{"test/testdata/dev/KinesisStack.json", "KinesisStack", false},
	{"test/testdata/dev/FifoStack.json", "FifoStack", false},
	{"test/testdata/fifo-groups-3/FifoStack.json", "FifoStack", false},
	{"test/testdata/fifo-per-key/FifoStack.json", "FifoStack", true},
}

type templateDoc struct {
	Resources map[string]struct {
		Type       string
		Properties map[string]any
	}
	Outputs map[string]struct{ Value any }
}

func loadTemplate(t *testing.T, file string) templateDoc {
	t.Helper()
	data, err := fs.ReadFile(root, file)
	if err != nil {
		t.Fatal(err)
	}
	var doc templateDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc
}

// applies says whether a README "Stacks" cell covers a template.
func applies(stacks, kind string, perKey bool) bool {
	switch stacks {
	case "both":
		return true
	case "FifoStack per-key":
		return kind == "FifoStack" && perKey
	}
	return stacks == kind
}

// readmeTable returns the rows of the README table whose header starts
// with header, as trimmed cells.
func readmeTable(t *testing.T, header string) [][]string {
	t.Helper()
	data, err := fs.ReadFile(root, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, header):
			in = true
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "|"):
			var cells []string
			for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
				cells = append(cells, strings.TrimSpace(c))
			}
			rows = append(rows, cells)
		default:
			if in {
				return rows
			}
		}
	}
	if len(rows) == 0 {
		t.Fatalf("README.md has no table headed %q", header)
	}
	return rows
}

var backticked = regexp.MustCompile("`([^`]+)`")

func codes(cell string) []string {
	var out []string
	for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// alarmEntry is one alarm of the README's list.
type alarmEntry struct {
	name, stacks, namespace, metric string
}

func readmeAlarms(t *testing.T) []alarmEntry {
	var out []alarmEntry
	for _, row := range readmeTable(t, "| Alarm |") {
		if len(row) != 4 {
			t.Fatalf("alarm row %q: want 4 cells", row)
		}
		names, metric := codes(row[0]), codes(row[2])
		if len(names) == 0 || len(metric) == 0 {
			t.Fatalf("alarm row %q: no names or no namespace", row)
		}
		namespace, metrics := metric[0], metric[1:]
		for i, name := range names {
			e := alarmEntry{name: name, stacks: row[1], namespace: namespace}
			switch {
			case strings.Contains(row[2], "the same names"):
				e.metric = strings.TrimPrefix(name, "Pipe")
			case len(metrics) == len(names):
				e.metric = metrics[i]
			case len(metrics) == 1:
				e.metric = metrics[0]
			default:
				t.Fatalf("alarm row %q: %d names, %d metrics", row, len(names), len(metrics))
			}
			out = append(out, e)
		}
	}
	return out
}

// constructID strips a logical id of its parent's id and CDK's hash.
func constructID(logicalID, parent string) string {
	return regexp.MustCompile(`[0-9A-F]{8}$`).ReplaceAllString(strings.TrimPrefix(logicalID, parent), "")
}

// TestReadmeAlarmListMatchesTheTemplates: every alarm of every template is
// in the README's list under its stack, namespace and metric, and every
// entry of the list is in each template it claims (`<rule>` entries for
// every rule of the template).
func TestReadmeAlarmListMatchesTheTemplates(t *testing.T) {
	entries := readmeAlarms(t)
	found := map[alarmEntry]bool{}
	for _, tc := range readmeTemplates {
		doc := loadTemplate(t, tc.file)
		var rules []string
		alarms := map[string][2]string{}
		for id, r := range doc.Resources {
			switch r.Type {
			case "AWS::Events::Rule":
				rules = append(rules, constructID(id, "Ingress"))
			case "AWS::CloudWatch::Alarm":
				alarms[constructID(id, "Alarms")] = [2]string{fmt.Sprint(r.Properties["Namespace"]), fmt.Sprint(r.Properties["MetricName"])}
			}
		}
		// The README's entries, expanded over this template's rules.
		want := map[string]alarmEntry{}
		for _, e := range entries {
			if !applies(e.stacks, tc.kind, tc.perKey) {
				continue
			}
			names := []string{e.name}
			if rest, ok := strings.CutPrefix(e.name, "<rule>"); ok {
				names = nil
				for _, r := range rules {
					names = append(names, r+rest)
				}
			}
			for _, n := range names {
				want[n] = e
			}
		}
		for name, metric := range alarms {
			e, ok := want[name]
			switch {
			case !ok:
				t.Errorf("%s: alarm %s (%s %s) is not in README.md's alarm list", tc.file, name, metric[0], metric[1])
			case e.namespace != metric[0] || e.metric != metric[1]:
				t.Errorf("%s: alarm %s watches %s %s, README.md says %s %s", tc.file, name, metric[0], metric[1], e.namespace, e.metric)
			default:
				found[e] = true
			}
		}
		for name, e := range want {
			if _, ok := alarms[name]; !ok {
				t.Errorf("%s: README.md lists %s (%s) for it, the template has no such alarm", tc.file, name, e.stacks)
			}
		}
	}
	for _, e := range entries {
		if !found[e] {
			t.Errorf("README.md lists %s for %s, which no template has", e.name, e.stacks)
		}
	}
}

// TestReadmeFailedEventsTableMatchesTheTemplates: the places the README
// says failed events land, by output, are exactly each template's failure
// stores: the queues alarmed on any visible message and the bucket alarmed
// on any object written, as its outputs name them.
func TestReadmeFailedEventsTableMatchesTheTemplates(t *testing.T) {
	rows := readmeTable(t, "| Where |")
	for _, tc := range readmeTemplates {
		doc := loadTemplate(t, tc.file)
		stores := map[string]bool{}
		for _, r := range doc.Resources {
			if r.Type != "AWS::CloudWatch::Alarm" {
				continue
			}
			metric := r.Properties["MetricName"]
			if metric != "ApproximateNumberOfMessagesVisible" && metric != "PutRequests" {
				continue
			}
			for _, d := range r.Properties["Dimensions"].([]any) {
				v, _ := d.(map[string]any)["Value"].(map[string]any)
				if ref, ok := v["Ref"].(string); ok {
					stores[ref] = true
				}
				if att, ok := v["Fn::GetAtt"].([]any); ok {
					stores[fmt.Sprint(att[0])] = true
				}
			}
		}
		var got []string
		for name, out := range doc.Outputs {
			v, _ := out.Value.(map[string]any)
			if ref, ok := v["Ref"].(string); ok && stores[ref] {
				got = append(got, name)
			}
		}
		var want []string
		for _, row := range rows {
			if len(row) != 4 || len(codes(row[2])) != 1 {
				t.Fatalf("failed-events row %q: want 4 cells and one output", row)
			}
			if applies(row[1], tc.kind, tc.perKey) {
				want = append(want, codes(row[2])[0])
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: failure stores by output %v, README.md's failed-events table says %v", tc.file, got, want)
		}
	}
}
