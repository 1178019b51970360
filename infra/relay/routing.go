package relay

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"
	"github.com/orderly-dev/orderly/infra/routing"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// Route is one FIFO rule: the events it matches and the message group it
// delivers them to.
type Route struct {
	// ID is the rule's construct id.
	ID string
	// GroupID is the static MessageGroupId of the rule's SQS target.
	GroupID string
	// Detail is the condition added under "detail" in the event pattern; nil
	// matches every event of the base pattern.
	Detail map[string]any
}

// IngestGroup is the static group of the ingest queue in per-key mode.
const IngestGroup = "ingest"

// CatchAllGroup receives events without a routable period.
const CatchAllGroup = routing.CatchAllGroup

// StaticRoutes returns the rules of a static grouping. A classic rule can
// only set a static MessageGroupId, so N groups need N rules: rule g matches
// the periods whose day of the month group g owns (a suffix of the period
// value, routing.StaticGroups), and one catch-all rule matches every event
// whose period is missing, null or does not end in a day of the month. So
// every event matches exactly one rule, and all events of a period the same
// one, whatever other fields the producer sets. (EventBridge matches an
// array-valued field if any element matches; the consumer poisons a period
// that is not a string.) groups must be valid for routing.Validate.
func StaticRoutes(groups int, periodPath schedule.PeriodPath) []Route {
	if groups <= 1 {
		return []Route{{ID: "Rule", GroupID: "g0"}}
	}
	dealt, err := routing.StaticGroups(groups)
	if err != nil {
		panic(fmt.Sprintf("relay: StaticRoutes called with an unchecked group count: %v", err))
	}
	routes := make([]Route, 0, groups+1)
	for g, group := range dealt {
		suffixes := make([]any, len(group.Suffixes))
		for i, s := range group.Suffixes {
			suffixes[i] = map[string]any{"suffix": s}
		}
		routes = append(routes, Route{
			ID:      fmt.Sprintf("RuleGroup%d", g),
			GroupID: group.ID,
			Detail:  nestUnderDetail(periodPath, suffixes),
		})
	}
	all := make([]*string, 0, routing.MaxStaticGroups)
	for _, s := range routing.AllDaySuffixes() {
		all = append(all, jsii.String(s))
	}
	// Null is listed on its own: anything-but never matches null, and a
	// present-but-null field is not matched by "exists": false.
	catchAll := awsevents.Match_AnyOf(
		awsevents.Match_DoesNotExist(),
		awsevents.Match_NullValue(),
		awsevents.Match_AnythingButSuffix(all...),
	)
	routes = append(routes, Route{ID: "RuleCatchAll", GroupID: CatchAllGroup, Detail: nestUnderDetail(periodPath, catchAll)})
	return routes
}

// nestUnderDetail turns "$.detail.a.b" and a condition into {"a": {"b": cond}}.
func nestUnderDetail(path schedule.PeriodPath, condition any) map[string]any {
	fields := path.DetailFields()
	node := map[string]any{fields[len(fields)-1]: condition}
	for i := len(fields) - 2; i >= 0; i-- {
		node = map[string]any{fields[i]: node}
	}
	return node
}

// PipeGroupPath is the EventBridge Pipes path of the period inside an SQS
// message forwarded by a pipe: the message body is parsed as JSON and
// exposed under $.body.
func PipeGroupPath(periodPath schedule.PeriodPath) string {
	return "$.body." + strings.TrimPrefix(periodPath.String(), "$.")
}
