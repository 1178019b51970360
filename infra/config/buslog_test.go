package config

import (
	"strings"
	"testing"
)

func TestBusLogLevel(t *testing.T) {
	cfg, err := Resolve(withOverrides(t, nil))
	if err != nil || cfg.Bus.LogLevel != BusLogOff {
		t.Fatalf("default bus.logLevel %q, %v: want off", cfg.Bus.LogLevel, err)
	}
	cfg, err = Resolve(withOverrides(t, map[string]any{"bus.logLevel": "info"}))
	if err != nil || cfg.Bus.LogLevel != BusLogInfo {
		t.Fatalf("bus.logLevel=info: %q, %v", cfg.Bus.LogLevel, err)
	}
	for raw, want := range map[string]string{
		"debug": `bus.logLevel = "debug" (from context override): must be one of off, error, info`,
	} {
		_, err := Resolve(withOverrides(t, map[string]any{"bus.logLevel": raw}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bus.logLevel=%s: %v, want %q", raw, err, want)
		}
	}
	_, err = Resolve(withOverrides(t, map[string]any{"bus.logLevel": "error", "bus.existing": "shared"}))
	if want := `bus.logLevel = "error" and bus.existing = "shared": the stacks configure the logging of a bus they create only`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a logged existing bus: %v, want %q", err, want)
	}
	if _, err := Resolve(withOverrides(t, map[string]any{"bus.logLevel": "off", "bus.existing": "shared"})); err != nil {
		t.Errorf("an existing bus with logging off: %v", err)
	}
}
