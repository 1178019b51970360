package relay

import (
	"reflect"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// The config allows exactly the bus log levels the relay builds, and the
// default is the one that logs nothing.
func TestBusLogLevelsAreTheConfigs(t *testing.T) {
	var allowed []string
	for _, k := range config.Keys {
		if k.Name == "bus.logLevel" {
			allowed = strings.Split(k.Allowed, ", ")
			if k.Default != defaults.BusLogLevel {
				t.Errorf("bus.logLevel defaults to %q, the relay to %q", k.Default, defaults.BusLogLevel)
			}
		}
	}
	if !reflect.DeepEqual(allowed, BusLogLevels()) {
		t.Errorf("config allows %q, the relay builds %q", allowed, BusLogLevels())
	}
	if _, ok := busLogTypes[defaults.BusLogLevel]; ok {
		t.Errorf("the default %q delivers logs", defaults.BusLogLevel)
	}
}
