package diagram

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/orderly-dev/orderly/infra/assembly"
)

// inbound properties point at where a resource's input comes from, so
// their edge runs from the referenced resource to the referencing one;
// every other reference runs the way events flow: referencing ->
// referenced (a rule to its target, a queue to its dead-letter queue).
var inbound = map[string]string{
	"EventBusName":   "",
	"EventSourceArn": "polls",
	"Source":         "reads",
}

// edgeLabels name the outbound references.
var edgeLabels = map[string]string{
	"Targets":           "delivers",
	"RedrivePolicy":     "after maxReceiveCount",
	"DestinationConfig": "exhausted records",
	"FunctionName":      "invokes",
	"Target":            "sends, group from the key",
	"Environment":       "poison events",
}

// Unplaced lists the resource types of t that have no place in the
// diagram, sorted.
func Unplaced(t assembly.Template) []string {
	var out []string
	for _, r := range t.Resources {
		if _, ok := Places[r.Type]; !ok && !slices.Contains(out, r.Type) {
			out = append(out, r.Type)
		}
	}
	slices.Sort(out)
	return out
}

// DOT draws t. Every resource is drawn: as its own node, or counted in
// its type's summary node.
func DOT(title string, t assembly.Template) (string, error) {
	if missing := Unplaced(t); len(missing) > 0 {
		return "", fmt.Errorf("resource types without a place in the diagram (add them to diagram.Places): %s", strings.Join(missing, ", "))
	}
	ids := slices.Sorted(maps.Keys(t.Resources))
	byCluster := map[string][]string{}
	counts := map[string]int{}
	hasBus := false
	for _, id := range ids {
		r := t.Resources[id]
		p := Places[r.Type]
		if p.Omitted {
			continue
		}
		hasBus = hasBus || r.Type == "AWS::Events::EventBus"
		if p.Summarized {
			if counts[r.Type] == 0 {
				byCluster[p.Cluster] = append(byCluster[p.Cluster], summaryNode(r.Type))
			}
			counts[r.Type]++
			continue
		}
		cluster := p.Cluster
		if r.Type == "AWS::SQS::Queue" && failureQueue(id) {
			cluster = "Failure handling"
		}
		byCluster[cluster] = append(byCluster[cluster], id)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n", title)
	fmt.Fprintf(&b, "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=16, labelloc=t, label=%q, nodesep=0.3, ranksep=0.6];\n", title)
	b.WriteString("  node [fontname=\"Helvetica\", fontsize=11, style=filled, fillcolor=\"#eef3f8\", color=\"#4878a8\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n")
	b.WriteString("  producers [label=\"Producers\\n(PutEvents)\", shape=oval, fillcolor=white];\n")
	for i, c := range clusters {
		nodes := byCluster[c]
		if len(nodes) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%q; style=rounded; color=\"#999999\";\n", i, c)
		for _, n := range nodes {
			if typ, ok := strings.CutPrefix(n, "summary:"); ok {
				fmt.Fprintf(&b, "    %q [label=%q, shape=%s, fillcolor=\"#f7f7f7\"];\n", n, fmt.Sprintf("%s ×%d", Places[typ].Label, counts[typ]), Places[typ].Shape)
				continue
			}
			r := t.Resources[n]
			fmt.Fprintf(&b, "    %q [label=%q, shape=%s];\n", n, Places[r.Type].Label+"\n"+n, Places[r.Type].Shape)
		}
		b.WriteString("  }\n")
	}
	var external []string
	for _, id := range ids {
		r := t.Resources[id]
		if Places[r.Type].Summarized || Places[r.Type].Omitted {
			continue
		}
		if r.Type == "AWS::Events::Rule" && !hasBus {
			fmt.Fprintf(&b, "  producers -> %q [label=\"imported bus\"];\n", id)
		}
		if r.Type == "AWS::Events::EventBus" {
			fmt.Fprintf(&b, "  producers -> %q;\n", id)
		}
		for _, prop := range slices.Sorted(maps.Keys(r.Properties)) {
			for _, ref := range references(r.Properties[prop]) {
				target, ok := t.Resources[ref.id]
				if !ok || ref.id == id || Places[target.Type].Summarized || Places[target.Type].Omitted {
					continue
				}
				label := edgeLabels[prop]
				if ref.deadLetter {
					label = "undeliverable"
				}
				if in, isInbound := inbound[prop]; isInbound {
					fmt.Fprintf(&b, "  %q -> %q [label=%q];\n", ref.id, id, in)
				} else {
					fmt.Fprintf(&b, "  %q -> %q [label=%q];\n", id, ref.id, label)
				}
			}
		}
		for _, url := range httpsValues(r.Properties["Environment"]) {
			if !slices.Contains(external, url) {
				external = append(external, url)
				fmt.Fprintf(&b, "  %q [label=%q, shape=oval, fillcolor=white];\n", url, "Third-party API\n"+url)
			}
			fmt.Fprintf(&b, "  %q -> %q [label=\"GET, modify, PUT per period (one per run of its events with coalescing)\"];\n", id, url)
		}
	}
	b.WriteString("}\n")
	return b.String(), nil
}

func summaryNode(typ string) string { return "summary:" + typ }

// reference is one Ref or Fn::GetAtt; deadLetter is set when it sits
// under a DeadLetterConfig (a rule target's dead-letter queue).
type reference struct {
	id         string
	deadLetter bool
}

// references returns the logical ids v refers to, in key order, each once.
func references(v any) []reference {
	var out []reference
	seen := map[string]bool{}
	add := func(id string, deadLetter bool) {
		if !seen[id] {
			seen[id] = true
			out = append(out, reference{id, deadLetter})
		}
	}
	var walk func(any, bool)
	walk = func(v any, deadLetter bool) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["Ref"].(string); ok {
				add(id, deadLetter)
			}
			if args, ok := x["Fn::GetAtt"].([]any); ok && len(args) > 0 {
				if id, ok := args[0].(string); ok {
					add(id, deadLetter)
				}
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(x[k], deadLetter || k == "DeadLetterConfig")
			}
		case []any:
			for _, item := range x {
				walk(item, deadLetter)
			}
		}
	}
	walk(v, false)
	return out
}

// httpsValues returns the https URLs among a function's environment
// variables: the services it calls.
func httpsValues(env any) []string {
	m, _ := env.(map[string]any)
	vars, _ := m["Variables"].(map[string]any)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if s, ok := vars[k].(string); ok && strings.HasPrefix(s, "https://") {
			out = append(out, s)
		}
	}
	return out
}
