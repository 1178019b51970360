// Package drift compares every setting of a deployed orderly stack that
// decides whether events keep their order with the synthesized template,
// using read-only calls: the stream's mode and record distribution
// strategy, each rule target's partition key path or message group, the
// FIFO queues' FIFO, deduplication, visibility and redrive attributes, the
// event source mapping's state, batch size, parallelization factor and
// batch item failure reporting, the pipe's message group path, and the
// consumer's ORDERLY_* environment. Any of them can be changed in the
// console without CloudFormation noticing; preflight (on an update) and
// smoke report each difference. The expected values are what
// infra/assembly reads from the template.
package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/pipes"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
)

// Permissions are the read-only IAM actions Check calls.
var Permissions = []string{
	"cloudformation:ListStackResources",
	"kinesis:DescribeStreamSummary",
	"events:ListTargetsByRule",
	"sqs:GetQueueAttributes",
	"lambda:GetEventSourceMapping",
	"lambda:GetFunctionConfiguration",
	"pipes:DescribePipe",
}

// Difference is one ordering setting whose deployed value is not the
// template's.
type Difference struct {
	// Type, LogicalID and PhysicalID name the resource.
	Type, LogicalID, PhysicalID string
	Setting                     string
	Deployed, Expected          string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s %s (%s): %s is %s, the template says %s", d.Type, d.LogicalID, d.PhysicalID, d.Setting, d.Deployed, d.Expected)
}

// Result is what Check found.
type Result struct {
	Differences []Difference
	// Compared counts the settings compared, Resources the resources read.
	Compared, Resources int
	// NotDeployed are the template's ordering resources the deployed stack
	// does not hold yet: the deploy creates them, so there is nothing to
	// compare.
	NotDeployed []string
}

// Check reads the ordering settings of the deployed stack stackName and
// compares them with tmpl's. An error means a resource could not be read
// (a missing permission, a throttle), not a difference.
func Check(ctx context.Context, cfg aws.Config, stackName string, tmpl assembly.Template) (Result, error) {
	o, err := tmpl.Ordering()
	if err != nil {
		return Result{}, fmt.Errorf("read the template's ordering settings: %w", err)
	}
	physical, err := stackResources(ctx, cfg, stackName)
	if err != nil {
		return Result{}, err
	}
	c := &checker{ctx: ctx, cfg: cfg, physical: physical}
	if o.Stream != nil {
		c.stream(*o.Stream)
	}
	for _, r := range o.Rules {
		c.rule(r)
	}
	for _, q := range o.Queues {
		c.queue(q)
	}
	c.mapping(o.Mapping)
	if o.Pipe != nil {
		c.pipe(*o.Pipe)
	}
	c.function(o.Function)
	return c.result, c.err
}

// stackResources maps the stack's logical ids to physical ids.
func stackResources(ctx context.Context, cfg aws.Config, stackName string) (map[string]string, error) {
	out := map[string]string{}
	pages := cloudformation.NewListStackResourcesPaginator(cloudformation.NewFromConfig(cfg), &cloudformation.ListStackResourcesInput{StackName: aws.String(stackName)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the resources of stack %s: %s", stackName, awsenv.Describe(err))
		}
		for _, r := range page.StackResourceSummaries {
			out[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
		}
	}
	return out, nil
}

type checker struct {
	ctx      context.Context
	cfg      aws.Config
	physical map[string]string
	result   Result
	err      error
}

// resource returns the physical id of a template resource, or false when
// the stack does not hold it yet or an earlier read failed.
func (c *checker) resource(logicalID string) (string, bool) {
	if c.err != nil {
		return "", false
	}
	id, ok := c.physical[logicalID]
	if !ok || id == "" {
		c.result.NotDeployed = append(c.result.NotDeployed, logicalID)
		return "", false
	}
	c.result.Resources++
	return id, true
}

func (c *checker) failed(typ, logicalID, physicalID string, err error) {
	c.err = fmt.Errorf("read %s %s (%s): %s", typ, logicalID, physicalID, awsenv.Describe(err))
}

// compare records one setting, and a Difference when deployed != expected.
func (c *checker) compare(typ, logicalID, physicalID, setting, deployed, expected string) {
	c.result.Compared++
	if deployed != expected {
		c.result.Differences = append(c.result.Differences, Difference{Type: typ, LogicalID: logicalID, PhysicalID: physicalID,
			Setting: setting, Deployed: deployed, Expected: expected})
	}
}

func quote(s string) string {
	if s == "" {
		return "unset"
	}
	return strconv.Quote(s)
}

const (
	typeStream   = "AWS::Kinesis::Stream"
	typeRule     = "AWS::Events::Rule"
	typeQueue    = "AWS::SQS::Queue"
	typeMapping  = "AWS::Lambda::EventSourceMapping"
	typePipe     = "AWS::Pipes::Pipe"
	typeFunction = "AWS::Lambda::Function"
)

func (c *checker) stream(s assembly.StreamOrdering) {
	name, ok := c.resource(s.LogicalID)
	if !ok {
		return
	}
	out, err := kinesis.NewFromConfig(c.cfg).DescribeStreamSummary(c.ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		c.failed(typeStream, s.LogicalID, name, err)
		return
	}
	summary := out.StreamDescriptionSummary
	mode := assembly.StreamModeProvisioned
	if summary.StreamModeDetails != nil && summary.StreamModeDetails.StreamMode != "" {
		mode = string(summary.StreamModeDetails.StreamMode)
	}
	c.compare(typeStream, s.LogicalID, name, "StreamMode", mode, s.Mode)
	if s.Mode == assembly.StreamModeOnDemand {
		// Kinesis reports the strategy of on-demand streams only; its
		// absence there is the default, placement by partition key.
		strategy := string(summary.RecordDistributionStrategy)
		if strategy == "" {
			strategy = assembly.DefaultRecordDistributionStrategy
		}
		c.compare(typeStream, s.LogicalID, name, "RecordDistributionStrategy", strategy, s.RecordDistributionStrategy)
	}
}

func (c *checker) rule(r assembly.Rule) {
	id, ok := c.resource(r.LogicalID)
	if !ok {
		return
	}
	// CloudFormation names a rule of a custom bus "<bus>|<rule>".
	in := &eventbridge.ListTargetsByRuleInput{Rule: aws.String(id)}
	if bus, rule, custom := strings.Cut(id, "|"); custom {
		in = &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rule), EventBusName: aws.String(bus)}
	}
	out, err := eventbridge.NewFromConfig(c.cfg).ListTargetsByRule(c.ctx, in)
	if err != nil {
		c.failed(typeRule, r.LogicalID, id, err)
		return
	}
	c.compare(typeRule, r.LogicalID, id, "the number of targets", strconv.Itoa(len(out.Targets)), "1")
	if len(out.Targets) != 1 {
		return
	}
	target := out.Targets[0]
	if r.PartitionKeyPath != "" {
		var got string
		if target.KinesisParameters != nil {
			got = aws.ToString(target.KinesisParameters.PartitionKeyPath)
		}
		c.compare(typeRule, r.LogicalID, id, "the target's PartitionKeyPath", quote(got), quote(r.PartitionKeyPath))
	}
	if r.MessageGroupID != "" {
		var got string
		if target.SqsParameters != nil {
			got = aws.ToString(target.SqsParameters.MessageGroupId)
		}
		c.compare(typeRule, r.LogicalID, id, "the target's MessageGroupId", quote(got), quote(r.MessageGroupID))
	}
}

func (c *checker) queue(q assembly.QueueOrdering) {
	url, ok := c.resource(q.LogicalID)
	if !ok {
		return
	}
	out, err := sqs.NewFromConfig(c.cfg).GetQueueAttributes(c.ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		c.failed(typeQueue, q.LogicalID, url, err)
		return
	}
	a := out.Attributes
	// SQS leaves the FIFO attributes out of a standard queue's answer.
	orFalse := func(v string) string {
		if v == "" {
			return "false"
		}
		return v
	}
	c.compare(typeQueue, q.LogicalID, url, "FifoQueue", orFalse(a["FifoQueue"]), strconv.FormatBool(q.Fifo))
	c.compare(typeQueue, q.LogicalID, url, "ContentBasedDeduplication", orFalse(a["ContentBasedDeduplication"]), strconv.FormatBool(q.ContentBasedDeduplication))
	if q.Fifo {
		c.compare(typeQueue, q.LogicalID, url, "DeduplicationScope", quote(a["DeduplicationScope"]), quote(q.DeduplicationScope))
		c.compare(typeQueue, q.LogicalID, url, "FifoThroughputLimit", quote(a["FifoThroughputLimit"]), quote(q.FifoThroughputLimit))
	}
	c.compare(typeQueue, q.LogicalID, url, "VisibilityTimeout", a["VisibilityTimeout"], strconv.Itoa(q.VisibilityTimeout))

	// A redrive policy present on one side only is one difference (quote
	// renders an absent one as "unset", like wantPolicy).
	dlqURL := c.physical[q.DeadLetterLogicalID]
	raw := a["RedrivePolicy"]
	wantPolicy := "unset"
	if q.MaxReceiveCount > 0 {
		wantPolicy = fmt.Sprintf("maxReceiveCount %d to the queue %s (%s)", q.MaxReceiveCount, q.DeadLetterLogicalID, quote(dlqURL))
	}
	if raw == "" || q.MaxReceiveCount == 0 {
		c.compare(typeQueue, q.LogicalID, url, "RedrivePolicy", quote(raw), wantPolicy)
		return
	}
	var redrive struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(raw), &redrive); err != nil {
		c.compare(typeQueue, q.LogicalID, url, "RedrivePolicy", quote(raw), wantPolicy)
		return
	}
	// SQS writes maxReceiveCount as a number or as a string.
	c.compare(typeQueue, q.LogicalID, url, "RedrivePolicy.maxReceiveCount", strings.Trim(string(redrive.MaxReceiveCount), `"`), strconv.Itoa(q.MaxReceiveCount))
	// Compared by queue name: the dead-letter queue's physical id is its
	// URL, whose last segment is the name an ARN ends in.
	wantName := dlqURL[strings.LastIndex(dlqURL, "/")+1:]
	gotName := redrive.DeadLetterTargetArn[strings.LastIndex(redrive.DeadLetterTargetArn, ":")+1:]
	c.result.Compared++
	if dlqURL == "" || gotName != wantName {
		c.result.Differences = append(c.result.Differences, Difference{Type: typeQueue, LogicalID: q.LogicalID, PhysicalID: url,
			Setting: "RedrivePolicy.deadLetterTargetArn", Deployed: quote(redrive.DeadLetterTargetArn),
			Expected: fmt.Sprintf("the queue %s (%s)", q.DeadLetterLogicalID, quote(dlqURL))})
	}
}

func (c *checker) mapping(m assembly.MappingOrdering) {
	uuid, ok := c.resource(m.LogicalID)
	if !ok {
		return
	}
	out, err := lambda.NewFromConfig(c.cfg).GetEventSourceMapping(c.ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
	if err != nil {
		c.failed(typeMapping, m.LogicalID, uuid, err)
		return
	}
	state, want := aws.ToString(out.State), "Enabled"
	if !m.Enabled {
		want = "Disabled"
	}
	// A mapping being created or updated is on its way to the template's
	// state; only one switched the other way differs.
	switch state {
	case "Creating", "Enabling", "Updating":
		if m.Enabled {
			state = want
		}
	}
	c.compare(typeMapping, m.LogicalID, uuid, "State", state, want)
	c.compare(typeMapping, m.LogicalID, uuid, "BatchSize", strconv.Itoa(int(aws.ToInt32(out.BatchSize))), strconv.Itoa(m.BatchSize))
	if m.ParallelizationFactor > 0 {
		c.compare(typeMapping, m.LogicalID, uuid, "ParallelizationFactor", strconv.Itoa(int(aws.ToInt32(out.ParallelizationFactor))), strconv.Itoa(m.ParallelizationFactor))
	}
	reports := slices.Contains(out.FunctionResponseTypes, lambdatypes.FunctionResponseTypeReportBatchItemFailures)
	c.compare(typeMapping, m.LogicalID, uuid, "FunctionResponseTypes has ReportBatchItemFailures", strconv.FormatBool(reports), strconv.FormatBool(m.ReportsItemFailures))
}

func (c *checker) pipe(p assembly.PipeOrdering) {
	name, ok := c.resource(p.LogicalID)
	if !ok {
		return
	}
	out, err := pipes.NewFromConfig(c.cfg).DescribePipe(c.ctx, &pipes.DescribePipeInput{Name: aws.String(name)})
	if err != nil {
		c.failed(typePipe, p.LogicalID, name, err)
		return
	}
	var group, dedup string
	if t := out.TargetParameters; t != nil && t.SqsQueueParameters != nil {
		group, dedup = aws.ToString(t.SqsQueueParameters.MessageGroupId), aws.ToString(t.SqsQueueParameters.MessageDeduplicationId)
	}
	c.compare(typePipe, p.LogicalID, name, "the target's MessageGroupId", quote(group), quote(p.GroupIDPath))
	c.compare(typePipe, p.LogicalID, name, "the target's MessageDeduplicationId", quote(dedup), quote(p.DeduplicationIDPath))
}

func (c *checker) function(f assembly.FunctionOrdering) {
	name, ok := c.resource(f.LogicalID)
	if !ok {
		return
	}
	out, err := lambda.NewFromConfig(c.cfg).GetFunctionConfiguration(c.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if err != nil {
		c.failed(typeFunction, f.LogicalID, name, err)
		return
	}
	deployed := map[string]string{}
	if out.Environment != nil {
		deployed = out.Environment.Variables
	}
	names := slices.Collect(maps.Keys(f.Environment))
	for n := range deployed {
		if strings.HasPrefix(n, assembly.OrderlyEnvPrefix) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		got, set := deployed[n]
		gotText := quote(got)
		if !set {
			gotText = "unset"
		}
		want, stated := f.Environment[n]
		wantText := quote(want)
		if !stated {
			wantText = "unset"
		}
		c.compare(typeFunction, f.LogicalID, name, "environment variable "+n, gotText, wantText)
	}
}
