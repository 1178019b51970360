// Package eventpattern evaluates EventBridge event patterns against events,
// so that the planner, local runs and tests know what synthesized rules
// match without an AWS account.
//
// It implements the subset orderly's rules use, with EventBridge's documented
// semantics: a pattern field lists alternatives (OR), fields combine with AND,
// matching is type-sensitive ("1" is not 1) except that numbers compare by
// value, an array-valued event field matches if any element matches, and the
// operators exists, anything-but (a value, a list, or {"suffix": s or a list
// of s}), prefix, suffix and numeric. Anything else is reported as an error
// rather than guessed.
//
// anything-but with suffixes follows EventBridge's rule engine (aws/event-
// ruler), which matches on the JSON text of a value: a number, a boolean or
// an object is not a string ending in one of the suffixes, so it matches. A
// missing field and JSON null never match anything-but.
package eventpattern

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Match reports whether event matches pattern. Both are decoded JSON.
func Match(pattern, event map[string]any) (bool, error) {
	for field, cond := range pattern {
		value, present := event[field]
		if nested, ok := cond.(map[string]any); ok {
			sub, isObject := value.(map[string]any)
			if !present || !isObject {
				// A nested pattern on a missing or non-object field can only
				// match through "exists": false alternatives below it.
				sub = map[string]any{}
			}
			ok, err := Match(nested, sub)
			if err != nil || !ok {
				return false, err
			}
			continue
		}
		alternatives, ok := cond.([]any)
		if !ok {
			return false, fmt.Errorf("field %q: pattern value must be an array or object, got %v", field, cond)
		}
		ok, err := matchAny(alternatives, value, present)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchAny(alternatives []any, value any, present bool) (bool, error) {
	values := []any{value}
	if arr, isArray := value.([]any); isArray {
		values = arr
		if len(arr) == 0 {
			// An empty array yields no value to match: the field is absent.
			values, present = []any{nil}, false
		}
	}
	for _, alt := range alternatives {
		for _, v := range values {
			ok, err := matchOne(alt, v, present)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
	}
	return false, nil
}

func matchOne(alt, value any, present bool) (bool, error) {
	op, isOp := alt.(map[string]any)
	if !isOp {
		return present && equal(alt, value), nil
	}
	if len(op) != 1 {
		return false, fmt.Errorf("operator object must have one key: %v", op)
	}
	for name, arg := range op {
		switch name {
		case "exists":
			want, ok := arg.(bool)
			if !ok {
				return false, fmt.Errorf("exists takes a boolean: %v", arg)
			}
			return present == want, nil
		case "anything-but":
			if !present || value == nil {
				return false, nil
			}
			if inner, ok := arg.(map[string]any); ok {
				return anythingButSuffix(inner, value)
			}
			excluded, isList := arg.([]any)
			if !isList {
				excluded = []any{arg}
			}
			for _, e := range excluded {
				if equal(e, value) {
					return false, nil
				}
			}
			return true, nil
		case "prefix":
			p, ok := arg.(string)
			s, isString := value.(string)
			if !ok {
				return false, fmt.Errorf("prefix takes a string: %v", arg)
			}
			return present && isString && strings.HasPrefix(s, p), nil
		case "suffix":
			p, ok := arg.(string)
			s, isString := value.(string)
			if !ok {
				return false, fmt.Errorf("suffix takes a string: %v", arg)
			}
			return present && isString && strings.HasSuffix(s, p), nil
		case "numeric":
			return matchNumeric(arg, value, present)
		default:
			return false, fmt.Errorf("operator %q is not supported by this evaluator", name)
		}
	}
	return false, nil
}

// anythingButSuffix matches a value that is not a string ending in one of
// the suffixes of {"suffix": s} or {"suffix": [s, ...]}.
func anythingButSuffix(inner map[string]any, value any) (bool, error) {
	arg, ok := inner["suffix"]
	if !ok || len(inner) != 1 {
		return false, fmt.Errorf("anything-but takes a value, a list or {\"suffix\": ...}: %v", inner)
	}
	suffixes, isList := arg.([]any)
	if !isList {
		suffixes = []any{arg}
	}
	s, isString := value.(string)
	for _, x := range suffixes {
		suffix, ok := x.(string)
		if !ok {
			return false, fmt.Errorf("anything-but suffix takes strings: %v", x)
		}
		if isString && strings.HasSuffix(s, suffix) {
			return false, nil
		}
	}
	return true, nil
}

func matchNumeric(arg, value any, present bool) (bool, error) {
	terms, ok := arg.([]any)
	if !ok || len(terms)%2 != 0 {
		return false, fmt.Errorf("numeric takes [op, n, ...]: %v", arg)
	}
	n, isNumber := value.(float64)
	if !present || !isNumber {
		return false, nil
	}
	for i := 0; i < len(terms); i += 2 {
		op, _ := terms[i].(string)
		bound, ok := terms[i+1].(float64)
		if !ok {
			return false, fmt.Errorf("numeric bound must be a number: %v", terms[i+1])
		}
		var holds bool
		switch op {
		case "=":
			holds = n == bound
		case "<":
			holds = n < bound
		case "<=":
			holds = n <= bound
		case ">":
			holds = n > bound
		case ">=":
			holds = n >= bound
		default:
			return false, fmt.Errorf("numeric operator %q is not supported", op)
		}
		if !holds {
			return false, nil
		}
	}
	return true, nil
}

// equal compares JSON scalars; numbers by value, everything else by type and value.
func equal(a, b any) bool {
	an, aNum := toFloat(a)
	bn, bNum := toFloat(b)
	if aNum || bNum {
		return aNum && bNum && an == bn
	}
	return a == b
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
