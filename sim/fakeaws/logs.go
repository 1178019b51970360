package fakeaws

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// LogEvent is one line in a log group.
type LogEvent struct {
	Stream    string
	Timestamp time.Time
	Message   string
}

// AddLogGroup creates an empty log group.
func (s *Server) AddLogGroup(name string) {
	s.mu.Lock()
	if _, ok := s.logs[name]; !ok {
		s.logs[name] = nil
	}
	s.mu.Unlock()
}

// AppendLog adds lines to a log group (creating it).
func (s *Server) AppendLog(group string, events ...LogEvent) {
	s.mu.Lock()
	s.logs[group] = append(s.logs[group], events...)
	s.mu.Unlock()
}

// logsPerPage is small so that tests exercise FilterLogEvents pagination.
const logsPerPage = 3

func (s *Server) cloudWatchLogs(op string, body []byte) (any, *apiError) {
	var in struct {
		LogGroupName, FilterPattern, NextToken string
		StartTime, EndTime                     *int64
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "FilterLogEvents":
		events, ok := s.logs[in.LogGroupName]
		if !ok {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
		}
		match, err := jsonEqualsPattern(in.FilterPattern)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterException", "%v", err)
		}
		var hits []map[string]any
		for i, e := range events {
			ms := e.Timestamp.UnixMilli()
			if (in.StartTime != nil && ms < *in.StartTime) || (in.EndTime != nil && ms > *in.EndTime) || !match(e.Message) {
				continue
			}
			hits = append(hits, map[string]any{"logStreamName": e.Stream, "timestamp": ms, "ingestionTime": ms,
				"message": e.Message, "eventId": fmt.Sprint(i)})
		}
		start := 0
		if in.NextToken != "" {
			fmt.Sscanf(in.NextToken, "%d", &start)
		}
		start = min(start, len(hits))
		end := min(start+logsPerPage, len(hits))
		out := map[string]any{"events": append([]map[string]any{}, hits[start:end]...)}
		if end < len(hits) {
			out["nextToken"] = fmt.Sprint(end)
		}
		return out, nil
	}
	return nil, unknownOperation("logs", op)
}

var equalsTerm = regexp.MustCompile(`^\(?\s*\$\.([A-Za-z0-9_]+)\s*=\s*"([^"]*)"\s*\)?$`)

// jsonEqualsPattern evaluates the subset of CloudWatch Logs filter syntax
// the tools use: empty (everything), or a JSON pattern of top-level string
// equalities joined by || ({ ($.a = "x") || ($.b = "y") }). Anything else is
// rejected rather than silently matched.
func jsonEqualsPattern(pattern string) (func(string) bool, error) {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" {
		return func(string) bool { return true }, nil
	}
	if !strings.HasPrefix(pattern, "{") || !strings.HasSuffix(pattern, "}") {
		return nil, fmt.Errorf("fakeaws supports only JSON filter patterns, got %q", pattern)
	}
	type term struct{ key, value string }
	var terms []term
	for _, part := range strings.Split(strings.Trim(pattern, "{} "), "||") {
		m := equalsTerm.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			return nil, fmt.Errorf("fakeaws supports only ($.key = \"value\") terms joined by ||, got %q", part)
		}
		terms = append(terms, term{m[1], m[2]})
	}
	return func(msg string) bool {
		var doc map[string]any
		if json.Unmarshal([]byte(msg), &doc) != nil {
			return false
		}
		for _, t := range terms {
			if v, ok := doc[t.key].(string); ok && v == t.value {
				return true
			}
		}
		return false
	}, nil
}
