// Package diagram draws a synthesized stack as a Graphviz DOT graph: every
// resource type of the template has a place (a node in a cluster, or a
// counted summary node), and references between resources become edges in
// the direction events flow. `make diagram` renders the DOT with graphviz.
package diagram

import "strings"

// Place is where a resource type goes in the picture.
type Place struct {
	// Cluster groups nodes ("Ingress", "Transport", ...).
	Cluster string
	// Label names the resource for a reader.
	Label string
	// Shape is a Graphviz node shape.
	Shape string
	// Summarized types are drawn as one node per type with a count
	// (roles, policies, alarms): their edges would only add noise.
	Summarized bool
	// Omitted types are known and deliberately left out of the picture.
	Omitted bool
}

// Clusters in drawing order.
var clusters = []string{"Ingress", "Transport", "Consumer", "Failure handling", "Observability", "Security"}

// Places holds every resource type the stacks synthesize. A type missing
// here fails the diagram (and its test), so a new resource cannot silently
// drop out of the pictures.
var Places = map[string]Place{
	"AWS::Events::EventBus":           {Cluster: "Ingress", Label: "Event bus", Shape: "box"},
	"AWS::Events::Rule":               {Cluster: "Ingress", Label: "Rule", Shape: "box"},
	"AWS::Events::Archive":            {Cluster: "Ingress", Label: "Archive (replay)", Shape: "cylinder"},
	"AWS::S3::Bucket":                 {Cluster: "Failure handling", Label: "On-failure bucket (S3)", Shape: "cylinder"},
	"AWS::Kinesis::Stream":            {Cluster: "Transport", Label: "Kinesis stream", Shape: "cylinder"},
	"AWS::SQS::Queue":                 {Cluster: "Transport", Label: "SQS queue", Shape: "cylinder"},
	"AWS::Pipes::Pipe":                {Cluster: "Transport", Label: "EventBridge Pipe", Shape: "cds"},
	"AWS::Lambda::EventSourceMapping": {Cluster: "Consumer", Label: "Event source mapping", Shape: "cds"},
	"AWS::Lambda::Function":           {Cluster: "Consumer", Label: "Go consumer (arm64)", Shape: "component"},
	"AWS::Logs::LogGroup":             {Cluster: "Observability", Label: "Log groups", Shape: "note", Summarized: true},
	"AWS::CloudWatch::Alarm":          {Cluster: "Observability", Label: "CloudWatch alarms", Shape: "note", Summarized: true},
	"AWS::CloudWatch::Dashboard":      {Cluster: "Observability", Label: "CloudWatch dashboard", Shape: "note", Summarized: true},
	// The bus's log delivery (bus.logLevel).
	"AWS::Logs::DeliverySource":      {Cluster: "Observability", Label: "Bus log delivery sources", Shape: "note", Summarized: true},
	"AWS::Logs::DeliveryDestination": {Cluster: "Observability", Label: "Bus log delivery destination", Shape: "note", Summarized: true},
	"AWS::Logs::Delivery":            {Cluster: "Observability", Label: "Bus log deliveries", Shape: "note", Summarized: true},
	"AWS::Logs::ResourcePolicy":      {Cluster: "Security", Label: "Log group resource policies", Shape: "note", Summarized: true},
	"AWS::IAM::Role":                 {Cluster: "Security", Label: "IAM roles", Shape: "note", Summarized: true},
	"AWS::IAM::Policy":               {Cluster: "Security", Label: "IAM policies (least privilege)", Shape: "note", Summarized: true},
	// CDK's version reporting (the golden templates drop it).
	"AWS::CDK::Metadata":    {Omitted: true},
	"AWS::SQS::QueuePolicy": {Cluster: "Security", Label: "Queue policies (TLS only)", Shape: "note", Summarized: true},
	"AWS::S3::BucketPolicy": {Cluster: "Security", Label: "Bucket policies (TLS only)", Shape: "note", Summarized: true},
	// With encryption.kmsKey = create; every store refers to it, so its
	// edges would only add noise.
	"AWS::KMS::Key": {Cluster: "Security", Label: "KMS key (customer managed)", Shape: "note", Summarized: true},
}

// failureQueue tells dead-letter, on-failure and poison queues from the
// queues events flow through, by the construct ids the stacks give them.
func failureQueue(logicalID string) bool {
	for _, marker := range []string{"DeadLetter", "OnFailure", "Poison"} {
		if strings.Contains(logicalID, marker) {
			return true
		}
	}
	return false
}
