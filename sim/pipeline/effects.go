package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/telemetry"
)

// handledWithoutEffect reads the consumer's own log lines in logDir (each
// instance's consumer-N.log) and returns the event ids it logged as
// succeeded without a push of their own: stale or superseded. An event the
// fake API never saw is accounted for only if the consumer said so, and a
// newer event of its entity took effect (verify checks that): a consumer
// that silently skipped an event still leaves it unaccounted.
func handledWithoutEffect(logDir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(logDir, "consumer-*.log"))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, name := range files {
		if err := scanEffects(name, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanEffects(name string, out map[string]bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		var line map[string]any
		// The emulator writes lines of its own; only the consumer's JSON
		// outcome lines matter.
		if json.Unmarshal(sc.Bytes(), &line) != nil || line["msg"] != ordering.LogRecordProcessed ||
			line[ordering.LogOutcome] != ordering.Succeeded.String() {
			continue
		}
		switch schedule.Effect(fmt.Sprint(line[telemetry.FieldEffect])) {
		case schedule.EffectStale, schedule.EffectSuperseded:
			if id, ok := line[telemetry.FieldEventID].(string); ok {
				out[id] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}
