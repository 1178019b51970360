// Package redrive puts failed events back on a deployed stack's bus once
// their cause is fixed. It takes them out of every place they end up: the
// poison queue, the rule target's dead-letter queue, the FIFO dead-letter
// queue(s) and the Kinesis on-failure bucket; extracts the original
// EventBridge events; and puts them back with PutEvents, per period in
// stamp order.
//
// Nothing is lost to a crash: a message or object is deleted only after
// PutEvents accepted every event it carries. A crash between the two sends
// those events again on the next run, which is harmless: each copy carries
// the original event id (schedule.OriginalEventIDField), so it has the
// original's stamp, and the consumer's stale-event guard gives it no effect
// once one copy was applied.
//
// A run goes in rounds: receive every message it can (hidden for the
// visibility timeout meanwhile) and list every object, put the events,
// delete what was accepted, and go again until a round finds nothing new.
// A FIFO dead-letter queue hands out at most 10 messages of a group until
// they are deleted, so a large group spans rounds, and order holds within a
// round only; the stale-event guard makes the order a courtesy rather than
// a requirement. What stays (events that do not parse, rejected entries) is
// made visible again at the end and reported.
package redrive
