package relay

import (
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// The config validates these keys against its own values and the stacks map
// them through RemovalPolicyOf, StreamModeOf and StartingPositionOf: the
// names must stay the same set, and each default must be one of them.
func TestEveryAllowedChoiceHasACDKValue(t *testing.T) {
	for _, tc := range []struct {
		key, def string
		mapped   func(string) bool
		count    int
	}{
		{"removalPolicy", defaults.RemovalPolicy, func(n string) bool { _, ok := RemovalPolicyOf(n); return ok }, len(removalPolicies)},
		{"kinesis.streamMode", defaults.StreamMode, func(n string) bool { _, ok := StreamModeOf(n); return ok }, len(streamModes)},
		{"kinesis.startingPosition", defaults.StartingPosition, func(n string) bool { _, ok := StartingPositionOf(n); return ok }, len(startingPositions)},
	} {
		var allowed []string
		for _, k := range config.Keys {
			if k.Name == tc.key {
				allowed = strings.Split(k.Allowed, ", ")
			}
		}
		if len(allowed) == 0 {
			t.Errorf("config has no key %s", tc.key)
			continue
		}
		for _, name := range allowed {
			if !tc.mapped(name) {
				t.Errorf("%s %q is allowed but has no CDK value", tc.key, name)
			}
		}
		if len(allowed) != tc.count {
			t.Errorf("%s: the relay maps %d values, the config allows %d (%q)", tc.key, tc.count, len(allowed), allowed)
		}
		if !tc.mapped(tc.def) {
			t.Errorf("the default %s %q has no CDK value", tc.key, tc.def)
		}
	}
}
