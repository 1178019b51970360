package test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/orderly-dev/orderly/infra/relay"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/infra/stacks"
	"github.com/orderly-dev/orderly/lambda/envvar"
)

// deadLetterRetentionSeconds is SQS's maximum retention, 14 days.
const deadLetterRetentionSeconds = 1209600

// TestFailedEventsAreKeptForRedrive covers every synthesized case: each
// dead-letter and poison queue keeps its messages for the maximum 14 days,
// a created bus is archived for as long, and the Kinesis mapping's
// on-failure destination is the S3 bucket.
func TestFailedEventsAreKeptForRedrive(t *testing.T) {
	if defaults.DeadLetterRetentionDays*86400 != deadLetterRetentionSeconds {
		t.Fatalf("defaults.DeadLetterRetentionDays = %d, want 14 (1209600 s)", defaults.DeadLetterRetentionDays)
	}
	for _, sc := range allSyntheses(t) {
		s := synth(t, sc.env, sc.overrides)
		for _, id := range []string{stacks.KinesisStackID, stacks.FifoStackID} {
			if sc.fifoOnly && id != stacks.FifoStackID {
				continue
			}
			t.Run(sc.name+"/"+id, func(t *testing.T) {
				dlqs := s.failureQueues(t, id)
				// Kinesis: poison + target DLQ; FIFO: + the queue's DLQ (+ the ingest DLQ per key);
				// both: + the isolated queue when isolation is on.
				want := map[string]int{stacks.KinesisStackID: 2, stacks.FifoStackID: 3}[id]
				if s.cfg.Isolation.AfterSeconds > 0 {
					want++
				}
				if sc.name == "fifo-per-key" || (sc.env == "prod" && id == stacks.FifoStackID) {
					want++
				}
				if len(dlqs) != want {
					t.Errorf("%d dead-letter and poison queues (%v), want %d", len(dlqs), dlqs, want)
				}
				for qid, q := range dlqs {
					expect(t, qid+" MessageRetentionPeriod", q["MessageRetentionPeriod"], float64(deadLetterRetentionSeconds))
				}
				s.expectArchive(t, id, s.cfg.Bus.ArchiveRetentionDays)
				if id == stacks.KinesisStackID {
					_, esm := s.only(t, id, "AWS::Lambda::EventSourceMapping")
					s.expectOnFailureBucket(t, id, esm, s.cfg.Kinesis.OnFailureExpirationDays)
				}
			})
		}
	}
}

// TestArchiveRetentionZeroMeansNoArchive: 0 turns the archive off.
func TestArchiveRetentionZeroMeansNoArchive(t *testing.T) {
	s := synth(t, "dev", map[string]string{"bus.archiveRetentionDays": "0", "kinesis.onFailureExpirationDays": "3"})
	for _, id := range []string{stacks.KinesisStackID, stacks.FifoStackID} {
		s.expectArchive(t, id, 0)
	}
	_, esm := s.only(t, stacks.KinesisStackID, "AWS::Lambda::EventSourceMapping")
	s.expectOnFailureBucket(t, stacks.KinesisStackID, esm, 3)
}

// failureQueues are the queues that are a last stop of failed events: every
// queue that is some queue's redrive target, some rule target's dead-letter
// queue, or the consumer's poison queue (named in its environment).
func (s *synthesis) failureQueues(t testing.TB, stackID string) map[string]map[string]any {
	t.Helper()
	queues := s.resources(stackID, "AWS::SQS::Queue")
	out := map[string]map[string]any{}
	add := func(ref any) {
		m, ok := ref.(map[string]any)
		if !ok {
			t.Fatalf("%s: %v is not a reference", stackID, ref)
		}
		var qid string
		if getAtt, ok := m["Fn::GetAtt"].([]any); ok {
			qid = fmt.Sprint(getAtt[0])
		} else {
			qid = fmt.Sprint(m["Ref"])
		}
		q, ok := queues[qid]
		if !ok {
			t.Fatalf("%s: %v is not a queue of the stack", stackID, ref)
		}
		out[qid] = q
	}
	for _, q := range queues {
		if redrive, ok := q["RedrivePolicy"].(map[string]any); ok {
			add(redrive["deadLetterTargetArn"])
		}
	}
	for _, rule := range s.resources(stackID, "AWS::Events::Rule") {
		for _, target := range rule["Targets"].([]any) {
			if dlc, ok := target.(map[string]any)["DeadLetterConfig"].(map[string]any); ok {
				add(dlc["Arn"])
			}
		}
	}
	_, fn := s.only(t, stackID, "AWS::Lambda::Function")
	vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	// The poison queue, and the isolated queue when isolation is on.
	var named, want []string
	for name, v := range vars {
		if ref, ok := v.(map[string]any); ok && ref["Ref"] != nil {
			if _, isQueue := queues[fmt.Sprint(ref["Ref"])]; isQueue {
				add(ref)
				named = append(named, name)
			}
		}
	}
	want = []string{envvar.PoisonQueueURL}
	if s.cfg.Isolation.AfterSeconds > 0 {
		want = append(want, envvar.IsolatedQueueURL)
	}
	slices.Sort(named)
	slices.Sort(want)
	if !slices.Equal(named, want) {
		t.Errorf("%s: the consumer's environment names queues by %v, want %v", stackID, named, want)
	}
	return out
}

// expectOnFailureBucket checks that the mapping's on-failure destination is
// an S3 bucket of the stack that is encrypted, TLS-only, blocks public
// access, expires objects after days, and is alarmed on any PUT.
func (s *synthesis) expectOnFailureBucket(t testing.TB, stackID string, esm map[string]any, days int) {
	t.Helper()
	dest := esm["DestinationConfig"].(map[string]any)["OnFailure"].(map[string]any)["Destination"]
	getAtt, _ := dest.(map[string]any)["Fn::GetAtt"].([]any)
	if len(getAtt) != 2 || getAtt[1] != "Arn" {
		t.Fatalf("%s: on-failure destination %v is not a resource's Arn", stackID, dest)
	}
	bucketID := fmt.Sprint(getAtt[0])
	b, ok := s.resources(stackID, "AWS::S3::Bucket")[bucketID]
	if !ok {
		t.Fatalf("%s: on-failure destination %s is not an S3 bucket", stackID, bucketID)
	}
	encryption := map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}
	if key := s.keyRef(t, stackID); key != nil {
		encryption = map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}, "BucketKeyEnabled": true}
	}
	expect(t, "bucket encryption", b["BucketEncryption"], map[string]any{"ServerSideEncryptionConfiguration": []any{encryption}})
	expect(t, "public access block", b["PublicAccessBlockConfiguration"], map[string]any{
		"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true})
	expect(t, "lifecycle", b["LifecycleConfiguration"], map[string]any{"Rules": []any{
		map[string]any{"Id": "ExpireDiscardedBatches", "ExpirationInDays": float64(days), "Status": "Enabled"}}})
	expect(t, "request metrics", b["MetricsConfigurations"], []any{map[string]any{"Id": relay.OnFailureMetricsID}})
	if !s.deniesInsecureTransport(stackID, "AWS::S3::BucketPolicy", "Bucket", map[string]any{"Ref": bucketID}) {
		t.Errorf("%s: bucket %s has no policy denying aws:SecureTransport=false", stackID, bucketID)
	}
	alarm := s.alarmOn(t, stackID, "PutRequests")
	expect(t, "on-failure alarm namespace", alarm["Namespace"], "AWS/S3")
	expect(t, "on-failure alarm threshold", alarm["Threshold"], float64(0))
	expect(t, "on-failure alarm dimensions", alarm["Dimensions"], []any{
		map[string]any{"Name": "BucketName", "Value": map[string]any{"Ref": bucketID}},
		map[string]any{"Name": "FilterId", "Value": relay.OnFailureMetricsID},
	})
}

// expectArchive checks the bus archive: none for 0 days, otherwise one on
// the stack's bus, over the rule's base pattern, keeping events for days.
func (s *synthesis) expectArchive(t testing.TB, stackID string, days int) {
	t.Helper()
	archives := s.resources(stackID, "AWS::Events::Archive")
	if days == 0 {
		expect(t, stackID+" archives", len(archives), 0)
		return
	}
	_, a := s.only(t, stackID, "AWS::Events::Archive")
	busID := s.logicalID(t, stackID, "AWS::Events::EventBus")
	expect(t, "archive source", a["SourceArn"], map[string]any{"Fn::GetAtt": []any{busID, "Arn"}})
	expect(t, "archive retention", a["RetentionDays"], float64(days))
	pattern, _ := a["EventPattern"].(map[string]any)
	for _, rule := range s.resources(stackID, "AWS::Events::Rule") {
		rp := rule["EventPattern"].(map[string]any)
		expect(t, "archive source pattern", pattern["source"], rp["source"])
		expect(t, "archive detail-type pattern", pattern["detail-type"], rp["detail-type"])
	}
}

// TestEveryRuleMayWriteItsDeadLetterQueue: EventBridge can put an event it
// could not deliver into the rule's dead-letter queue only if the queue's
// own policy lets events.amazonaws.com send from that rule. Without the
// statement the dead-letter send fails too and the event is gone.
func TestEveryRuleMayWriteItsDeadLetterQueue(t *testing.T) {
	for _, sc := range allSyntheses(t) {
		s := synth(t, sc.env, sc.overrides)
		for _, id := range []string{stacks.KinesisStackID, stacks.FifoStackID} {
			if sc.fifoOnly && id != stacks.FifoStackID {
				continue
			}
			for ruleID, rule := range s.resources(id, "AWS::Events::Rule") {
				for _, target := range rule["Targets"].([]any) {
					dlc, ok := target.(map[string]any)["DeadLetterConfig"].(map[string]any)
					if !ok {
						t.Errorf("%s/%s rule %s: a target without a dead-letter queue", sc.name, id, ruleID)
						continue
					}
					queueID := fmt.Sprint(dlc["Arn"].(map[string]any)["Fn::GetAtt"].([]any)[0])
					if !s.queueAllowsRule(id, queueID, ruleID) {
						t.Errorf("%s/%s: no policy on dead-letter queue %s lets events.amazonaws.com send from rule %s", sc.name, id, queueID, ruleID)
					}
				}
			}
		}
	}
}

// queueAllowsRule reports whether a policy on queueID allows
// events.amazonaws.com sqs:SendMessage with aws:SourceArn naming ruleID.
func (s *synthesis) queueAllowsRule(stackID, queueID, ruleID string) bool {
	ruleArn := fmt.Sprint(map[string]any{"Fn::GetAtt": []any{ruleID, "Arn"}})
	for _, policy := range s.resources(stackID, "AWS::SQS::QueuePolicy") {
		names := false
		for _, q := range policy["Queues"].([]any) {
			names = names || fmt.Sprint(q) == fmt.Sprint(map[string]any{"Ref": queueID})
		}
		if !names {
			continue
		}
		doc := policy["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			stmt := st.(map[string]any)
			principal, _ := stmt["Principal"].(map[string]any)
			cond, _ := stmt["Condition"].(map[string]any)
			arnEquals, _ := cond["ArnEquals"].(map[string]any)
			if stmt["Effect"] != "Allow" || principal["Service"] != "events.amazonaws.com" || !mentions(stmt["Action"], "sqs:SendMessage") {
				continue
			}
			for _, arn := range asList(arnEquals["aws:SourceArn"]) {
				if fmt.Sprint(arn) == ruleArn {
					return true
				}
			}
		}
	}
	return false
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func mentions(actions any, action string) bool {
	for _, a := range asList(actions) {
		if a == action {
			return true
		}
	}
	return false
}
