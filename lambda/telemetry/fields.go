package telemetry

// Attributes the consumer adds to the engine's per-record log line (see
// ordering.LogRecordProcessed). Named once: the consumer writes them and the
// smoke check (infra/deploycheck/smoke) reads them back from CloudWatch Logs.
const (
	// FieldEventID holds the EventBridge event id of the record.
	FieldEventID = "eventId"
	// FieldEffect says what a succeeded record did to the schedule: one
	// of the schedule.Effect values (applied, stale, superseded).
	FieldEffect = "effect"
)
