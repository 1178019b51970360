package telemetry

// Attributes the consumer adds to the engine's per-record log line (see
// ordering.LogRecordProcessed). Named once: the consumer writes them and the
// smoke check (infra/deploycheck/smoke) reads them back from CloudWatch Logs.
const (
	// FieldEventID holds the EventBridge event id of the record.
	FieldEventID = "eventId"
	// FieldEffect says what a succeeded record did to the schedule:
	// EffectApplied or EffectStale.
	FieldEffect = "effect"
)

// Values of FieldEffect.
const (
	// EffectApplied: the change was newer than the entity's recorded stamp
	// and was pushed to the schedule API.
	EffectApplied = "applied"
	// EffectStale: the change was not newer than the entity's recorded stamp
	// (a redelivery, or an event that arrived after a newer one), so nothing
	// was pushed.
	EffectStale = "stale"
)

// Effect names what applying a change did: EffectApplied when it changed
// the schedule, EffectStale when it did not.
func Effect(changed bool) string {
	if changed {
		return EffectApplied
	}
	return EffectStale
}
