package stacks

import (
	"testing"

	"github.com/orderly-dev/orderly/infra/config"
)

// The config validates retention against config.LogRetentionDays and the
// stacks map it to CDK's enum: the two lists must stay the same set.
func TestEveryAllowedLogRetentionHasACDKValue(t *testing.T) {
	for _, days := range config.LogRetentionDays {
		if _, ok := retention[days]; !ok {
			t.Errorf("function.logRetentionDays %d is allowed but has no awslogs.RetentionDays", days)
		}
	}
	if len(retention) != len(config.LogRetentionDays) {
		t.Errorf("retention maps %d values, config allows %d", len(retention), len(config.LogRetentionDays))
	}
}
