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

// kmsCreate encrypts dev's stores with a key each stack creates; it is the
// encrypted case with a golden snapshot.
var kmsCreate = synthCase{name: "kms-create", env: "dev", overrides: map[string]string{"encryption.kmsKey": "create"}}

// importedKeyArn is the key of the imported-key cases.
const importedKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// kmsModes are both stacks with a created and an imported key, FifoStack in
// every grouping mode, plus an imported bus and a secret's own key.
func kmsModes() []synthCase {
	var out []synthCase
	for _, key := range []struct{ name, value string }{{"create", "create"}, {"imported", importedKeyArn}} {
		for i, groups := range []string{"1", "3", "per-key"} {
			out = append(out, synthCase{
				name:      "kms-" + key.name + "/fifo-groups-" + groups,
				env:       "dev",
				overrides: kmsOverrides(key.value, groups),
				// KinesisStack is the same in each grouping: check it once.
				fifoOnly: i > 0,
			})
		}
	}
	return append(out,
		synthCase{name: "kms-create/existing-bus", env: "dev", overrides: map[string]string{"encryption.kmsKey": "create", "bus.existing": "team-bus"}},
		synthCase{name: "kms-imported/secret-key", env: "dev", overrides: map[string]string{
			"encryption.kmsKey": importedKeyArn, "function.apiKeySecretKmsKey": secretKeyArn, "fifo.messageGroups": "per-key",
		}},
	)
}

// secretKeyArn is the key of the API key secret in the secret-key case.
const secretKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/00000000-1111-2222-3333-444444444444"

// allSyntheses is every environment of cdk.json plus every grouping mode,
// and the golden encrypted case.
func allSyntheses(t testing.TB) []synthCase {
	var out []synthCase
	for _, env := range environments(t) {
		out = append(out, synthCase{name: env, env: env})
	}
	return append(append(out, groupingModes...), kmsCreate)
}

// kmsOverrides sets the key and the grouping; dev's own grouping (1) is
// left to cdk.json, so that case shares kmsCreate's synthesis.
func kmsOverrides(key, groups string) map[string]string {
	o := map[string]string{"encryption.kmsKey": key}
	if groups != "1" {
		o["fifo.messageGroups"] = groups
	}
	return o
}
