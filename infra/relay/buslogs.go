package relay

import (
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// busLogTypes are, by the config's name of a bus log level, the level the
// bus logs at and the log types it delivers: at INFO a bus writes its
// error records as ERROR_LOGS and the rest as INFO_LOGS, so both are
// delivered. "off" (defaults.BusLogLevel) logs nothing and is not listed.
var busLogTypes = map[string]struct {
	level awsevents.Level
	types []string
}{
	"error": {awsevents.Level_ERROR, []string{"ERROR_LOGS"}},
	"info":  {awsevents.Level_INFO, []string{"ERROR_LOGS", "INFO_LOGS"}},
}

// BusLogLevels are the bus log levels by their config names, "off" first.
func BusLogLevels() []string {
	out := []string{defaults.BusLogLevel}
	for name := range busLogTypes {
		out = append(out, name)
	}
	sort.Strings(out[1:])
	return out
}

// BusLogs is a created bus's log delivery to CloudWatch Logs.
type BusLogs struct {
	constructs.Construct
	// LogGroup receives the bus's records (its retention is the
	// consumer's).
	LogGroup awslogs.LogGroup
}

// deliveryNameRE is what CloudWatch Logs accepts in a delivery source or
// destination name (at most 60 characters).
var deliveryNameRE = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// newBusLogs turns on the bus's logging at level (a key of busLogTypes)
// and delivers its records to a log group of their own: the bus states
// its LogConfig, and a CloudWatch Logs delivery source per log type sends
// to one delivery destination, the log group, whose resource policy lets
// the log delivery service of this account write to it. Event details are
// left out of the records (IncludeDetail NONE): they would copy every
// event's payload into the logs.
func newBusLogs(scope constructs.Construct, bus awsevents.EventBus, busName, level string, retention awslogs.RetentionDays, removal awscdk.RemovalPolicy) *BusLogs {
	c := constructs.NewConstruct(scope, jsii.String("BusLogs"))
	spec := busLogTypes[level]
	cfn := bus.Node().DefaultChild().(awsevents.CfnEventBus)
	cfn.SetLogConfig(&awsevents.CfnEventBus_LogConfigProperty{Level: jsii.String(string(spec.level)), IncludeDetail: jsii.String(string(awsevents.IncludeDetail_NONE))})

	logs := awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{Retention: retention, RemovalPolicy: removal})
	stack := awscdk.Stack_Of(c)
	policy := logs.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBusLogDelivery"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("delivery.logs.amazonaws.com"), nil)},
		Actions:    jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources:  jsii.Strings(*logs.LogGroupArn()),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike":      map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("logs"), Resource: jsii.String("*")})},
		},
	}))
	destination := awslogs.NewCfnDeliveryDestination(c, jsii.String("Destination"), &awslogs.CfnDeliveryDestinationProps{
		Name: deliveryName(c, busName, "bus-logs"),
		// The log group's ARN without the ":*" its Arn attribute ends in.
		DestinationResourceArn: stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: logs.LogGroupName(),
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		}),
	})
	for _, typ := range spec.types {
		kind := strings.ToLower(strings.TrimSuffix(typ, "_LOGS"))
		source := awslogs.NewCfnDeliverySource(c, jsii.String("Source"+strings.ToUpper(kind[:1])+kind[1:]), &awslogs.CfnDeliverySourceProps{
			Name:        deliveryName(c, busName, "bus-"+kind),
			LogType:     jsii.String(typ),
			ResourceArn: bus.EventBusArn(),
		})
		delivery := awslogs.NewCfnDelivery(c, jsii.String("Delivery"+strings.ToUpper(kind[:1])+kind[1:]), &awslogs.CfnDeliveryProps{
			DeliverySourceName:     source.Name(),
			DeliveryDestinationArn: destination.AttrArn(),
		})
		delivery.AddDependency(source)
		// Deliver only once the log group lets the log delivery write.
		if policy.PolicyDependable != nil {
			delivery.Node().AddDependency(policy.PolicyDependable)
		}
	}
	return &BusLogs{Construct: c, LogGroup: logs}
}

// deliveryName names a delivery source or destination, unique per region:
// after the bus when the bus is named (a bus name is unique there too),
// otherwise after the construct path.
func deliveryName(c constructs.Construct, busName, suffix string) *string {
	const maxLen = 60
	if busName != "" {
		base := deliveryNameRE.ReplaceAllString(busName, "-")
		return jsii.String(base[:min(len(base), maxLen-len(suffix)-1)] + "-" + suffix)
	}
	return jsii.String(*awscdk.Names_UniqueResourceName(c, &awscdk.UniqueResourceNameOptions{MaxLength: jsii.Number(maxLen - len(suffix) - 1)}) + "-" + suffix)
}
