package test

import (
	"testing"
)

// synthCase is one synthesized configuration under test.
type synthCase struct {
	name      string
	env       string
	overrides map[string]string
	// fifoOnly marks cases that vary only FifoStack.
	fifoOnly bool
}

// groupingModes pins each FifoStack grouping mode on top of dev.
var groupingModes = []synthCase{
	{name: "fifo-groups-1", env: "dev", overrides: map[string]string{"fifo.messageGroups": "1"}, fifoOnly: true},
	{name: "fifo-groups-3", env: "dev", overrides: map[string]string{"fifo.messageGroups": "3"}, fifoOnly: true},
	{name: "fifo-per-key", env: "dev", overrides: map[string]string{"fifo.messageGroups": "per-key"}, fifoOnly: true},
}

// allSyntheses is every environment of cdk.json plus every grouping mode.
func allSyntheses(t testing.TB) []synthCase {
	var out []synthCase
	for _, env := range environments(t) {
		out = append(out, synthCase{name: env, env: env})
	}
	return append(out, groupingModes...)
}
