package relay

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
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

// CatchAllGroup receives events whose routing field is missing, null, not
// an integer, or out of range, so that no event matches zero rules.
const CatchAllGroup = "catch-all"

// StaticRoutes returns the rules of a static grouping. A classic rule can
// only set a static MessageGroupId, so N groups need N rules: rule g matches
// the integer g at fieldPath, and one catch-all rule matches everything else.
// Together they match every event exactly once, provided the field is a
// scalar (EventBridge matches an array if any element matches).
func StaticRoutes(groups int, fieldPath string) []Route {
	if groups <= 1 {
		return []Route{{ID: "Rule", GroupID: "g0"}}
	}
	routes := make([]Route, 0, groups+1)
	inRange := make([]any, groups)
	for g := range groups {
		inRange[g] = g
		routes = append(routes, Route{
			ID:      fmt.Sprintf("RuleGroup%d", g),
			GroupID: fmt.Sprintf("g%d", g),
			Detail:  nestUnderDetail(fieldPath, []any{g}),
		})
	}
	// Null is listed on its own: a present-but-null field is not matched by
	// "exists": false, and anything-but is not documented to match null.
	catchAll := awsevents.Match_AnyOf(
		awsevents.Match_DoesNotExist(),
		awsevents.Match_NullValue(),
		awsevents.Match_AnythingBut(inRange...),
	)
	routes = append(routes, Route{ID: "RuleCatchAll", GroupID: CatchAllGroup, Detail: nestUnderDetail(fieldPath, catchAll)})
	return routes
}

// nestUnderDetail turns "$.detail.a.b" and a condition into {"a": {"b": cond}}.
func nestUnderDetail(path string, condition any) map[string]any {
	fields := strings.Split(strings.TrimPrefix(path, "$.detail."), ".")
	node := map[string]any{fields[len(fields)-1]: condition}
	for i := len(fields) - 2; i >= 0; i-- {
		node = map[string]any{fields[i]: node}
	}
	return node
}

// PipeGroupPath is the EventBridge Pipes path of the partition key inside an
// SQS message forwarded by a pipe: the message body is parsed as JSON and
// exposed under $.body.
func PipeGroupPath(partitionKeyPath string) string {
	return "$.body." + strings.TrimPrefix(partitionKeyPath, "$.")
}
