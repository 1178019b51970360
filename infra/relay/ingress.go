package relay

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// IngressProps configures NewIngress.
type IngressProps struct {
	// BusName is the bus to create. Default: a name CDK derives from the
	// construct path.
	BusName string
	// ExistingBus is the name or ARN of a bus to import instead. Real teams
	// usually have one already. Default: create BusName.
	ExistingBus string
	// Sources and DetailTypes form the base event pattern. Sources is required;
	// empty DetailTypes matches every detail-type.
	Sources, DetailTypes []string
	// ArchiveRetentionDays archives a created bus's events matching the base
	// pattern for this many days, for replay. Default 0: no archive (the
	// relays pass defaults.ArchiveRetentionDays). An imported bus is never
	// archived here: it is archived where it is managed.
	ArchiveRetentionDays int
	// RemovalPolicy of a created bus and its archive. Default
	// defaults.RemovalPolicy (RETAIN).
	RemovalPolicy awscdk.RemovalPolicy
	// EncryptionKey encrypts a created bus and its archive. Default nil:
	// AWS-owned keys. EventBridge then needs the bus statements of
	// keypolicy.ServiceStatements for CreatedBusName in the key policy
	// (the relays add them). An imported bus keeps its own encryption.
	EncryptionKey awskms.IKey
	// LogLevel is what a created bus logs ("off", "error", "info":
	// BusLogLevels). Default defaults.BusLogLevel ("off").
	LogLevel string
	// LogRetention of the bus's log group. Default
	// defaults.LogRetentionDays.
	LogRetention awslogs.RetentionDays
}

// Ingress is the event bus and the base pattern every orderly rule extends.
type Ingress struct {
	constructs.Construct
	Bus awsevents.IEventBus
	// BasePattern selects orderly's events; rules copy it and may add Detail.
	BasePattern awsevents.EventPattern
	// Archive keeps the events the base pattern selects, for replay; nil
	// when the bus is imported or ArchiveRetentionDays is 0.
	Archive awsevents.Archive
	// Logs is the created bus's log delivery; nil when it logs nothing.
	Logs     *BusLogs
	existing string
	// busName is the created bus's name as a literal: a key policy that
	// named it through the bus resource would depend on the bus, which
	// depends on the key.
	busName string
}

// CreatedBusName is the name of the bus NewIngress created, "" for an
// imported one.
func (in *Ingress) CreatedBusName() string { return in.busName }

// IsDefaultBus reports whether the account's default bus was imported.
func (in *Ingress) IsDefaultBus() bool {
	return in.existing == "default" || strings.HasSuffix(in.existing, ":event-bus/default")
}

// NewIngress creates or imports the bus.
func NewIngress(scope constructs.Construct, id string, props IngressProps) *Ingress {
	if props.RemovalPolicy == "" {
		props.RemovalPolicy = defaultRemovalPolicy()
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	in := &Ingress{Construct: c, existing: props.ExistingBus, BasePattern: awsevents.EventPattern{Source: jsii.Strings(props.Sources...)}}
	if len(props.DetailTypes) > 0 {
		in.BasePattern.DetailType = jsii.Strings(props.DetailTypes...)
	}
	switch {
	case strings.HasPrefix(props.ExistingBus, "arn:"):
		in.Bus = awsevents.EventBus_FromEventBusArn(c, jsii.String("Bus"), jsii.String(props.ExistingBus))
	case props.ExistingBus != "":
		in.Bus = awsevents.EventBus_FromEventBusName(c, jsii.String("Bus"), jsii.String(props.ExistingBus))
	default:
		bp := &awsevents.EventBusProps{}
		if props.BusName != "" {
			bp.EventBusName = jsii.String(props.BusName)
		}
		bus := awsevents.NewEventBus(c, jsii.String("Bus"), bp)
		bus.ApplyRemovalPolicy(props.RemovalPolicy)
		in.Bus = bus
		// The name CDK gives an unnamed bus.
		in.busName = props.BusName
		if in.busName == "" {
			in.busName = *awscdk.Names_UniqueId(bus)
		}
		if props.EncryptionKey != nil {
			// On the resource: CDK's bus construct would add its own key
			// policy statement, and its archive construct one naming the
			// bus's ARN, a circular reference.
			bus.Node().DefaultChild().(awsevents.CfnEventBus).SetKmsKeyIdentifier(props.EncryptionKey.KeyArn())
		}
		if props.ArchiveRetentionDays > 0 {
			in.Archive = in.newArchive(props)
		}
		if props.LogLevel != "" && props.LogLevel != defaults.BusLogLevel {
			if _, ok := busLogTypes[props.LogLevel]; !ok {
				// RelayProps and the config refuse it first, with a message.
				panic(fmt.Sprintf("relay: IngressProps.LogLevel %q: must be one of %s", props.LogLevel, strings.Join(BusLogLevels(), ", ")))
			}
			if props.LogRetention == "" {
				props.LogRetention = defaultLogRetention()
			}
			in.Logs = newBusLogs(c, bus, props.BusName, props.LogLevel, props.LogRetention, props.RemovalPolicy)
		}
	}
	return in
}

// newArchive archives only what the base pattern selects, so a replay
// sends back orderly's events and nothing else on the bus.
func (in *Ingress) newArchive(props IngressProps) awsevents.Archive {
	pattern := in.BasePattern
	archive := awsevents.NewArchive(in.Construct, jsii.String("Archive"), &awsevents.ArchiveProps{
		SourceEventBus: in.Bus,
		EventPattern:   &pattern,
		Retention:      awscdk.Duration_Days(jsii.Number(float64(props.ArchiveRetentionDays))),
		Description:    jsii.String("orderly: the relay's events, for replay (see the README's replay runbook)"),
	})
	archive.ApplyRemovalPolicy(props.RemovalPolicy)
	if props.EncryptionKey != nil {
		archive.Node().DefaultChild().(awsevents.CfnArchive).SetKmsKeyIdentifier(props.EncryptionKey.KeyArn())
	}
	return archive
}

// NewRule adds a rule on the bus matching the base pattern plus detail, a
// nested object of event pattern conditions under "detail" (nil for none).
func (in *Ingress) NewRule(id, description string, detail map[string]any) awsevents.Rule {
	pattern := in.BasePattern
	if detail != nil {
		pattern.Detail = &detail
	}
	return awsevents.NewRule(in.Construct, jsii.String(id), &awsevents.RuleProps{
		EventBus:     in.Bus,
		EventPattern: &pattern,
		Description:  jsii.String(description),
	})
}
