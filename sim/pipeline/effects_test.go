package pipeline

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

func TestHandledWithoutEffectReadsTheConsumersOutcomeLines(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("consumer-1.log", `START RequestId: 1 Version: $LATEST
{"msg":"record processed","outcome":"succeeded","effect":"superseded","eventId":"e1"}
{"msg":"record processed","outcome":"succeeded","effect":"applied","eventId":"e2"}
{"msg":"record processed","outcome":"failed","eventId":"e3"}
not json at all
`)
	write("consumer-2.log", `{"msg":"record processed","outcome":"succeeded","effect":"stale","eventId":"e4"}
{"msg":"event decoded","outcome":"succeeded","effect":"stale","eventId":"e5"}
`)
	write("kinesalite.log", `{"msg":"record processed","outcome":"succeeded","effect":"stale","eventId":"e6"}`)
	got, err := handledWithoutEffect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"e1": true, "e4": true}; !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
