package fakeapi

// Stats counts what the server saw since start or the last reset.
type Stats struct {
	// Requests is every request to /schedules, faulted ones included.
	Requests int64 `json:"requests"`
	// PeakPerSecond is the most requests in any one-second window: what a
	// vendor's rate limit would have counted.
	PeakPerSecond int64 `json:"peakPerSecond"`
	// Gets and Puts count requests answered normally.
	Gets int64 `json:"gets"`
	Puts int64 `json:"puts"`
	// LostUpdates counts accepted PUTs that were based on an older revision
	// and overwrote different content: the write lost someone's update.
	LostUpdates int64 `json:"lostUpdates"`
	// Abandoned counts requests whose client gave up during the latency.
	Abandoned    int64      `json:"abandoned"`
	Unauthorized int64      `json:"unauthorized"`
	BadRequests  int64      `json:"badRequests"`
	Faults       FaultStats `json:"faults"`
}

// FaultStats counts injected faults by kind.
type FaultStats struct {
	ServerErrors int64 `json:"serverErrors"`
	Throttles    int64 `json:"throttles"`
	Timeouts     int64 `json:"timeouts"`
	// Rejections counts PUTs refused with 400 by ContentFaults.RejectEvents.
	Rejections int64 `json:"rejections"`
	// Breakdown counts the 503s of a Breakdown (broken periods and the
	// outage); ServerErrors includes them.
	Breakdown int64 `json:"breakdown"`
}

// Write is one accepted PUT in a period's history.
type Write struct {
	// Revision is the revision the PUT created; BaseRevision the one the
	// client said it read.
	Revision     int64 `json:"revision"`
	BaseRevision int64 `json:"baseRevision"`
	LostUpdate   bool  `json:"lostUpdate"`
	// Applied lists, by entity key order, the event ids of the entity stamps
	// this PUT introduced or changed: the events that took effect.
	Applied []string `json:"applied"`
	// Dropped lists entity keys the PUT removed; the consumer never removes
	// entities (it keeps tombstones), so anything here is a lost update.
	Dropped []string `json:"dropped,omitempty"`
}
