package keypolicy

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Verdict of one required statement against a key policy.
type Verdict string

// Verdicts. Unverifiable means only statements with conditions Check does
// not evaluate could allow the calls.
const (
	Allowed      Verdict = "allowed"
	Missing      Verdict = "missing"
	Denied       Verdict = "denied"
	Unverifiable Verdict = "unverifiable"
)

// Result is the verdict on one required statement.
type Result struct {
	Statement Statement
	Verdict   Verdict
	// Actions are the statement's actions the policy does not allow (all
	// of them when Verdict is Missing or Denied).
	Actions []string
	// Detail explains a Denied or Unverifiable verdict.
	Detail string
}

// Check evaluates whether policy, a key policy document as GetKeyPolicy
// returns it, allows every required statement's principal each of its
// actions on keyArn, for calls carrying the statement's request context.
// It evaluates what key policies use: Allow and Deny; service, account and
// "*" principals; actions with wildcards; Resource "*" or the key's ARN;
// and the String, Arn and Null condition operators (IfExists included).
// A statement it cannot evaluate makes a verdict Unverifiable rather than
// a guess.
func Check(policy, keyArn string, required []Statement) ([]Result, error) {
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return nil, fmt.Errorf("the key policy is not JSON: %w", err)
	}
	statements, err := parseStatements(doc.Statement)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(required))
	for _, r := range required {
		res := Result{Statement: r, Verdict: Allowed}
		var unverifiable []string
		for _, action := range r.Actions {
			verdict, detail := decide(statements, r, action, keyArn)
			switch verdict {
			case Allowed:
				continue
			case Denied:
				res.Verdict, res.Detail = Denied, detail
			case Unverifiable:
				if res.Verdict == Allowed {
					res.Verdict = Unverifiable
				}
				unverifiable = append(unverifiable, detail)
			default:
				if res.Verdict != Denied {
					res.Verdict = Missing
				}
			}
			res.Actions = append(res.Actions, action)
		}
		if res.Verdict == Unverifiable {
			slices.Sort(unverifiable)
			res.Detail = strings.Join(slices.Compact(unverifiable), "; ")
		}
		out = append(out, res)
	}
	return out, nil
}

// statement is one parsed policy statement.
type statement struct {
	sid, effect string
	// principals: "*" for everyone, else "service:<name>" and "aws:<arn or account>".
	principals []string
	actions    []string
	notAction  bool
	resources  []string
	conditions map[string]map[string][]string
	// unsupported names what makes the statement unevaluable.
	unsupported string
}

func decide(statements []statement, r Statement, action, keyArn string) (Verdict, string) {
	allowed := false
	var unverifiable string
	for _, s := range statements {
		if !s.namesPrincipal(r.Principal) || !s.namesAction(action) || !s.namesResource(keyArn) {
			continue
		}
		if s.unsupported != "" {
			unverifiable = fmt.Sprintf("statement %s has %s", s.label(), s.unsupported)
			continue
		}
		holds, why := s.conditionsHold(r.Request)
		if why != "" {
			unverifiable = fmt.Sprintf("statement %s has %s", s.label(), why)
			continue
		}
		if !holds {
			continue
		}
		if s.effect == "Deny" {
			return Denied, fmt.Sprintf("statement %s denies %s", s.label(), action)
		}
		allowed = true
	}
	switch {
	case allowed:
		return Allowed, ""
	case unverifiable != "":
		return Unverifiable, unverifiable
	}
	return Missing, ""
}

func (s statement) label() string {
	if s.sid != "" {
		return fmt.Sprintf("%q", s.sid)
	}
	return "without a Sid"
}

func (s statement) namesPrincipal(p Principal) bool {
	for _, have := range s.principals {
		switch {
		case have == "*":
			return true
		case p.Service != "" && have == "service:"+p.Service:
			return true
		case p.AWS != "" && strings.HasPrefix(have, "aws:"):
			// An account root may be written as its ARN or its id.
			arn := strings.TrimPrefix(have, "aws:")
			if arn == p.AWS || strings.HasSuffix(p.AWS, "::"+arn+":root") {
				return true
			}
		}
	}
	return false
}

func (s statement) namesAction(action string) bool {
	matched := slices.ContainsFunc(s.actions, func(pattern string) bool { return wildcard(strings.ToLower(pattern), strings.ToLower(action)) })
	return matched != s.notAction
}

func (s statement) namesResource(keyArn string) bool {
	return slices.ContainsFunc(s.resources, func(r string) bool { return r == "*" || wildcard(r, keyArn) })
}

// conditionsHold evaluates every condition against the request context;
// why is not empty when a condition cannot be evaluated.
func (s statement) conditionsHold(request map[string]string) (holds bool, why string) {
	context := map[string]string{}
	for k, v := range request {
		context[strings.ToLower(k)] = v
	}
	for op, keys := range s.conditions {
		base, ifExists := strings.CutSuffix(op, "IfExists")
		for key, values := range keys {
			got, present := context[strings.ToLower(key)]
			ok, known := evaluate(base, got, present, values)
			if !known {
				return false, fmt.Sprintf("a condition Check does not evaluate (%s on %s)", op, key)
			}
			if !present && ifExists {
				ok = true
			}
			if !ok {
				return false, ""
			}
		}
	}
	return true, ""
}

// evaluate applies one condition operator; known is false for an operator
// Check does not implement.
func evaluate(op, got string, present bool, values []string) (ok, known bool) {
	anyOf := func(match func(v string) bool) bool { return present && slices.ContainsFunc(values, match) }
	switch op {
	case "StringEquals", "ArnEquals":
		return anyOf(func(v string) bool { return v == got }), true
	case "StringEqualsIgnoreCase":
		return anyOf(func(v string) bool { return strings.EqualFold(v, got) }), true
	case "StringLike", "ArnLike":
		return anyOf(func(v string) bool { return wildcard(v, got) }), true
	// A negated operator holds when the key is absent (IAM's rule).
	case "StringNotEquals", "ArnNotEquals":
		return !anyOf(func(v string) bool { return v == got }), true
	case "StringNotLike", "ArnNotLike":
		return !anyOf(func(v string) bool { return wildcard(v, got) }), true
	case "Null":
		return slices.Contains(values, fmt.Sprint(!present)), true
	}
	return false, false
}

// wildcard matches IAM's * and ? (and nothing else: path.Match's [ and \
// are taken literally by escaping them).
func wildcard(pattern, s string) bool {
	escaped := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(pattern)
	// path.Match does not let * cross a /; IAM's does.
	ok, err := path.Match(strings.ReplaceAll(escaped, "/", "\x00"), strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

// stringList is a policy value written as one string or a list of them.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", b)
	}
	*l = many
	return nil
}

func parseStatements(raw json.RawMessage) ([]statement, error) {
	type rawStatement struct {
		Sid          string
		Effect       string
		Principal    json.RawMessage
		NotPrincipal json.RawMessage
		Action       stringList
		NotAction    stringList
		Resource     stringList
		NotResource  stringList
		Condition    map[string]map[string]stringList
	}
	var list []rawStatement
	if err := json.Unmarshal(raw, &list); err != nil {
		var one rawStatement
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("the key policy's Statement: %w", err)
		}
		list = []rawStatement{one}
	}
	out := make([]statement, 0, len(list))
	for _, rs := range list {
		s := statement{sid: rs.Sid, effect: rs.Effect, actions: rs.Action, resources: rs.Resource, conditions: map[string]map[string][]string{}}
		if len(rs.NotAction) > 0 {
			s.actions, s.notAction = rs.NotAction, true
		}
		switch {
		case len(rs.NotPrincipal) > 0:
			s.unsupported = "NotPrincipal"
		case len(rs.NotResource) > 0:
			s.unsupported = "NotResource"
		}
		principals, err := parsePrincipal(rs.Principal)
		if err != nil {
			return nil, fmt.Errorf("statement %q: %w", rs.Sid, err)
		}
		s.principals = principals
		for op, keys := range rs.Condition {
			if strings.Contains(op, ":") { // ForAnyValue:, ForAllValues:
				s.unsupported = "the set operator " + op
			}
			s.conditions[op] = map[string][]string{}
			for k, v := range keys {
				s.conditions[op][k] = v
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func parsePrincipal(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		return []string{star}, nil
	}
	var byKind map[string]stringList
	if err := json.Unmarshal(raw, &byKind); err != nil {
		return nil, fmt.Errorf("Principal %s: %w", raw, err)
	}
	var out []string
	for kind, names := range byKind {
		for _, n := range names {
			switch {
			case n == "*" && kind == "AWS":
				out = append(out, "*")
			case kind == "Service":
				out = append(out, "service:"+n)
			case kind == "AWS":
				out = append(out, "aws:"+n)
			}
		}
	}
	return out, nil
}
