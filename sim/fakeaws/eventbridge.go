package fakeaws

import (
	"fmt"
	"net/http"
	"time"
)

// PutEvent is one entry accepted by PutEvents, with the id the fake gave it.
type PutEvent struct {
	EventID      string
	EventBusName string
	Source       string
	DetailType   string
	Detail       string
	Time         time.Time
	Resources    []string
}

// PutEventResult lets OnPutEvents reject an entry, as PutEvents does per entry.
type PutEventResult struct {
	ErrorCode, ErrorMessage string
}

// AddBus creates an event bus with the named rules on it.
func (s *Server) AddBus(name string, rules ...string) {
	s.mu.Lock()
	s.buses[name] = append(s.buses[name], rules...)
	s.mu.Unlock()
}

// OnPutEvents installs a hook called for every entry PutEvents accepts, after
// the fake's lock is released: a test uses it to play the deployed pipeline
// (append the consumer's log lines, fill a dead-letter queue).
func (s *Server) OnPutEvents(hook func(PutEvent) PutEventResult) {
	s.mu.Lock()
	s.onPutEvents = hook
	s.mu.Unlock()
}

// AfterPutEvents installs a hook called once per PutEvents request, after
// its accepted entries are recorded and before the answer is written: a
// test uses it to kill a client that EventBridge has answered but that has
// not read the answer yet.
func (s *Server) AfterPutEvents(hook func(accepted []PutEvent)) {
	s.mu.Lock()
	s.afterPutEvents = hook
	s.mu.Unlock()
}

// PutEvents returns every entry PutEvents accepted (not those OnPutEvents rejected).
func (s *Server) PutEvents() []PutEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PutEvent(nil), s.events...)
}

// RuleTarget is one target of a rule, as ListTargetsByRule reports it.
type RuleTarget struct {
	ID, Arn string
	// PartitionKeyPath is a Kinesis target's, MessageGroupID an SQS FIFO
	// target's; empty leaves the parameters out.
	PartitionKeyPath, MessageGroupID string
}

// PutRuleTargets replaces the targets of a rule on a bus ("default" for
// the account's default bus).
func (s *Server) PutRuleTargets(bus, rule string, targets ...RuleTarget) {
	s.mu.Lock()
	s.ruleTargets[bus+"|"+rule] = targets
	s.mu.Unlock()
}

// rulesPerPage is small so that tests exercise ListRules pagination.
const rulesPerPage = 2

func (s *Server) eventBridge(op string, body []byte) (any, *apiError) {
	switch op {
	case "PutEvents":
		return s.putEvents(body)
	}
	var in struct {
		Name, EventBusName, NextToken, Rule string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "DescribeEventBus":
		if _, ok := s.buses[in.Name]; !ok {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Event bus %s does not exist.", in.Name)
		}
		return map[string]any{"Name": in.Name, "Arn": s.busARN(in.Name)}, nil
	case "ListRules":
		rules, ok := s.buses[in.EventBusName]
		if !ok {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Event bus %s does not exist.", in.EventBusName)
		}
		start := 0
		if in.NextToken != "" {
			fmt.Sscanf(in.NextToken, "%d", &start)
		}
		end := min(start+rulesPerPage, len(rules))
		page := []map[string]any{}
		for _, r := range rules[start:end] {
			page = append(page, map[string]any{"Name": r, "EventBusName": in.EventBusName})
		}
		out := map[string]any{"Rules": page}
		if end < len(rules) {
			out["NextToken"] = fmt.Sprint(end)
		}
		return out, nil
	case "ListTargetsByRule":
		bus := in.EventBusName
		if bus == "" {
			bus = "default"
		}
		targets, ok := s.ruleTargets[bus+"|"+in.Rule]
		if !ok {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Rule %s does not exist on EventBus %s.", in.Rule, bus)
		}
		out := []map[string]any{}
		for _, t := range targets {
			target := map[string]any{"Id": t.ID, "Arn": t.Arn}
			if t.PartitionKeyPath != "" {
				target["KinesisParameters"] = map[string]any{"PartitionKeyPath": t.PartitionKeyPath}
			}
			if t.MessageGroupID != "" {
				target["SqsParameters"] = map[string]any{"MessageGroupId": t.MessageGroupID}
			}
			out = append(out, target)
		}
		return map[string]any{"Targets": out}, nil
	}
	return nil, unknownOperation("events", op)
}

func (s *Server) busARN(name string) string {
	return "arn:aws:events:eu-west-1:" + s.caller.Account + ":event-bus/" + name
}

func (s *Server) putEvents(body []byte) (any, *apiError) {
	var in struct {
		Entries []struct {
			EventBusName, Source, DetailType, Detail string
			Time                                     *float64
			Resources                                []string
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	accepted := make([]PutEvent, 0, len(in.Entries))
	for _, e := range in.Entries {
		if _, ok := s.buses[e.EventBusName]; !ok {
			s.mu.Unlock()
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Event bus %s does not exist.", e.EventBusName)
		}
		ev := PutEvent{EventID: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.nextID()), EventBusName: e.EventBusName,
			Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Time: time.Now().UTC(), Resources: e.Resources}
		if e.Time != nil {
			ev.Time = time.Unix(0, int64(*e.Time*1e9)).UTC()
		}
		accepted = append(accepted, ev)
	}
	hook := s.onPutEvents
	s.mu.Unlock()

	entries := make([]map[string]any, len(accepted))
	failed := 0
	for i, ev := range accepted {
		entries[i] = map[string]any{"EventId": ev.EventID}
		if hook != nil {
			if res := hook(ev); res.ErrorCode != "" {
				entries[i] = map[string]any{"ErrorCode": res.ErrorCode, "ErrorMessage": res.ErrorMessage}
				failed++
				continue
			}
		}
		s.mu.Lock()
		s.events = append(s.events, ev)
		s.mu.Unlock()
	}
	s.mu.Lock()
	after := s.afterPutEvents
	s.mu.Unlock()
	if after != nil {
		var ok []PutEvent
		for i, ev := range accepted {
			if _, rejected := entries[i]["ErrorCode"]; !rejected {
				ok = append(ok, ev)
			}
		}
		after(ok)
	}
	return map[string]any{"Entries": entries, "FailedEntryCount": failed}, nil
}
