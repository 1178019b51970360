// Package schedule applies schedule events to the third-party schedule API.
//
// The API has no concurrency control: a writer fetches the document of a
// period, modifies it and pushes it back whole. Two writers interleaving on
// the same period lose one of the updates. The ordering engine prevents that
// by running the records of one partition (a period) strictly one after
// another; this package supplies the per-record work (Handler), the domain
// rules (Change, Apply) and the client interface (Client, implemented by
// package scheduleapi).
//
// # Coalescing
//
// The API is the bottleneck: every call costs latency and counts against
// the vendor's rate limit. Handler.HandleChunk (ordering.ChunkHandler)
// applies consecutive records of one period with one GET and at most one
// PUT: the changes are applied in delivery order to the fetched document,
// the stale-event guard deciding each one per entity, which has the same
// effect as one GET and one PUT per record. A later change of an entity
// replaces an earlier one of the same chunk before the push, which carries
// only the newest change per entity; the earlier one is reported as
// superseded (EffectSuperseded), like a stale event, and the API never
// judges it. When the GET or the PUT fails, the ordering engine runs the
// chunk's records one at a time, so outcomes (poisoned, failed, skipped)
// are those of one record at a time.
//
// # Third-party contract
//
// Every request carries the API key in the x-api-key header.
//
//	GET {base}/schedules/{period}
//	    200 with the document below, or 404 if the period has none yet
//	    (treated as an empty document with version 0).
//	PUT {base}/schedules/{period}
//	    Content-Type: application/json, body: the whole document; replaces
//	    the stored one. Any 2xx is success.
//
// {period} is the schedule date, YYYY-MM-DD. The document:
//
//	{
//	  "scheduleDate": "2026-11-28",
//	  "version": 12,
//	  "entities": {
//	    "driver/d-42": {
//	      "attributes": {"name": "Ada", "shift": "early"},
//	      "stamp": {"version": 7, "time": "2026-11-27T10:00:00Z", "eventId": "6f1c..."}
//	    },
//	    "vehicle/v-7": {
//	      "deleted": true,
//	      "stamp": {"time": "2026-11-27T10:05:00Z", "eventId": "a2b9..."}
//	    }
//	  }
//	}
//
// "entities" maps "driver/<id>" or "vehicle/<id>" to the entity's
// attributes (any JSON object), a "deleted" tombstone flag, and the stamp of
// the last event applied to it. The API stores the document as it is given;
// the stamps are how the consumer keeps its idempotency and stale-event
// state without a database of its own. "version" is the server's revision
// of the document on GET; on PUT the consumer sends back the revision it
// read. The real API ignores it; the fake server (package fakeapi) uses it
// to detect lost updates.
//
// Error classes, as the client sees them:
//
//   - 2xx (and 404 on GET): success.
//   - 408, 429, 5xx, network errors and timeouts: transient. The client
//     retries with exponential backoff and full jitter, a bounded number of
//     attempts within a bounded time that also respects the invocation
//     deadline; on 429 and 503 it honours Retry-After (seconds or an HTTP
//     date), capped. When it gives up, the error stays transient: the
//     ordering engine fails the record and the event source redelivers it.
//   - 401 and 403: transient, not retried within the call. A rejected key
//     is an operational fault, not the event's: the record fails and waits
//     in order until the key is fixed, instead of every event being poisoned.
//   - any other 4xx: permanent. The record goes to the poison queue.
//
// # Idempotency and stale events
//
// Each event is turned into a Change: an upsert or a delete of one entity,
// stamped with (detail.version, event time, event id). Apply takes effect
// only if the change's stamp is strictly newer than the entity's recorded
// stamp, compared by version (absent counts as 0), then time, then event id.
// Hence:
//
//   - Redelivering an event changes nothing (its stamp is not newer than
//     itself), and the handler then skips the PUT: a duplicate costs one GET.
//   - An event that arrives after a newer one for the same entity (EventBridge
//     does not guarantee emission order) is ignored.
//   - A delete keeps a tombstone with its stamp, so an older upsert arriving
//     after it does not resurrect the entity.
//   - Because the stamp order is total, the final state of every entity is
//     that of its newest event, whatever the arrival order.
//
// Events without detail.version are ordered by EventBridge's "time", which
// has one-second resolution: two updates of the same entity within the same
// second are ordered by event id, which is arbitrary. Producers that can
// should send a version.
package schedule
